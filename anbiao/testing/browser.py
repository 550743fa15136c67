"""Browser-test fixtures: a Playwright `page` on Debian's Chromium, pointed at pytest-django's
`live_server`, that fails the test on any console error (Content-Security-Policy violations
included) or failed request.

A second person (an enterprise user answering an officer) gets `second_page`, a browser context
of its own, instead of logging out and in on `page`.

Use from a test module with `pytest_plugins = ["anbiao.testing.browser"]` and mark the tests
`@pytest.mark.browser`. Chromium is never downloaded: `bash scripts/ensure-browser.sh` installs
Debian's package. Screenshots go to test-artifacts/ (gitignored); a failing test leaves one
named after itself there.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop running in this thread, so Django would refuse
# the ORM calls that test set-up and live_server make while the browser is open.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 10_000


def save_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class BrowserProblems:
    """Console errors, uncaught exceptions and failed requests seen during one test."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        """Expect problems matching `pattern` (a regex searched in the description)."""
        self._allowed.append(re.compile(pattern))

    def add(self, description: str) -> None:
        self.seen.append(description)

    @property
    def unexpected(self) -> list[str]:
        return [p for p in self.seen if not any(a.search(p) for a in self._allowed)]

    def assert_none(self) -> None:
        problems = self.unexpected
        if problems:
            pytest.fail("browser reported problems:\n" + "\n".join(problems), pytrace=False)

    def watch(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.add(f"uncaught exception: {exc}"))
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if _is_favicon(url):
            return
        self.add(f"console error: {message.text}" + (f" [{url}]" if url else ""))

    def _on_response(self, response) -> None:
        if response.status >= 400 and not _is_favicon(response.url):
            request = response.request
            self.add(f"HTTP {response.status}: {request.method} {response.url}")

    def _on_request_failed(self, request) -> None:
        if not _is_favicon(request.url):
            self.add(f"request failed ({request.failure}): {request.method} {request.url}")


def _is_favicon(url: str) -> bool:
    """The browser fetches the page icon on its own schedule and aborts it when the test
    navigates on: neither says anything about the page."""
    return url.split("?", 1)[0].rsplit("/", 1)[-1].startswith("favicon.")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One Chromium for the session: Debian's /usr/bin/chromium, never a downloaded build."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing; `bash scripts/ensure-browser.sh` installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


def _new_page(browser, live_server, browser_problems):
    """A page in a browser context of its own (own cookies and storage), watched for problems."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    browser_page = context.new_page()
    browser_problems.watch(browser_page)
    return browser_page


@pytest.fixture
def page(request, browser, live_server, browser_problems) -> Iterator:
    """A fresh 1440×900 page whose relative URLs resolve against the live server.

    After the test it asserts the browser reported no console errors and no failed requests
    (favicon excepted) other than those the test declared with `browser_problems.allow`.
    """
    browser_page = _new_page(browser, live_server, browser_problems)
    yield browser_page
    report = getattr(request.node, "rep_call", None)
    try:
        if report is not None and report.failed:
            save_screenshot(browser_page, f"failure-{_safe_name(request.node.name)}")
            for problem in browser_problems.seen:
                print(f"browser: {problem}")  # shown with the failure's captured output
    finally:
        browser_page.context.close()
    if report is not None and report.passed:
        browser_problems.assert_none()


@pytest.fixture
def second_page(browser, live_server, browser_problems) -> Iterator:
    """A second person's page, in a browser of its own: logging in there leaves `page`'s session
    alone, as two people on two phones would."""
    browser_page = _new_page(browser, live_server, browser_problems)
    yield browser_page
    browser_page.context.close()


@pytest.fixture
def screenshot(page) -> Callable[[str], Path]:
    """screenshot(name) saves the page, full length, as test-artifacts/<name>.png;
    screenshot(name, of=second_page) saves another page."""
    return lambda name, of=None: save_screenshot(of or page, name)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep the call-phase report on the item so `page` can tell whether the test failed."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
