"""Every persona's working day in a real browser (issue 15): each demo account opens every page
of its menu, and the first page of each kind linked from them, at 1440 px and at 390 px (a
phone). The walk fails on a server error or a refused request, a console error, a page wider than
a phone's screen, English interface words, or a page title wrapped one character per line.

The demo data set is built once for the walk (the same world a new user tries); one Chromium
serves every persona. Screenshots of every page at both widths go to the folder named by
ANBIAO_WALK_SHOTS when it is set (to look at them), nowhere otherwise.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

from anbiao.accounts.models import User
from anbiao.demo.builder import build_demo
from anbiao.testing.browser import BrowserProblems

pytest_plugins = ["anbiao.testing.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Every demo account: one of each role, and a station of each kind (民安 has the campaign, 新店
# has none).
PERSONAS = (
    "admin",
    "quzhuanban",
    "dingji",
    "minan",
    "xindian",
    "hangye",
    "qiye",
    "jigou",
    "zhuanjia",
)
# Interface words a Chinese user must never meet: framework defaults that escaped translation,
# labels keyed by a field name, the empty choice of a select.
ENGLISH_WORDS = re.compile(
    r"\b(Name|Region|Updated|Created|Status|Date|Search|Filter|Submit|Save|Delete|Cancel|"
    r"Edit|Next|Previous|Page|Yes|No|None|Unknown|Loading|Error|Select|Choose|Show|Hide|"
    r"Close|Back|Login|Logout|Password|Username|Required|descending|ascending|required|"
    r"Enter a valid|This field|Ordering)\b|-{5,}"
)
# Links that download, print, sign out or leave the application are not pages to walk.
SKIP_LINK = re.compile(
    r"/(export|download|xlsx|docx|pdf|template|print|logout|media|static|api)(/|\.|$|\?)"
    r"|\.(xlsx|docx|pdf|zip|csv|png|jpg)$"
)
DETAIL_PAGES_PER_PERSONA = 30

SCRIPT_CHECKS = """() => {
  const doc = document.documentElement;
  const overflow = doc.scrollWidth - doc.clientWidth;
  const wrapped = [];
  for (const el of document.querySelectorAll('h1, h2.page-title, .page-title, .card-title')) {
    const text = (el.innerText || '').trim();
    if (text.length < 3 || el.offsetParent === null) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set();
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    if (tops.size >= 3 && tops.size >= text.replace(/\\s/g, '').length * 0.5) wrapped.push(text);
  }
  const options = [...document.querySelectorAll('option')].map(o => o.textContent);
  const attrs = [...document.querySelectorAll('[placeholder], [title], [aria-label]')]
    .flatMap(e => [e.getAttribute('placeholder'), e.getAttribute('title'),
                   e.getAttribute('aria-label')]).filter(Boolean);
  return {overflow, wrapped, text: [document.title, document.body.innerText, ...options,
          ...attrs].join('\\n')};
}"""


@dataclass
class Walk:
    """What one persona's walk found, page by page."""

    persona: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def add(self, url: str, what: str) -> None:
        self.problems.append(f"{self.persona} {url}: {what}")


def shape(path: str) -> str:
    """A page's kind: its path with every number replaced, and the last word of a deep path
    dropped (/campaigns/x/enterprises/started/ and …/completed/ are one kind of page), so the
    walk opens one page of each kind."""
    parts = re.sub(r"\d+", "N", path).strip("/").split("/")
    if len(parts) >= 4 and parts[-1] != "N":
        parts = parts[:-1]
    return "/".join(parts)


def english_words(text: str) -> set[str]:
    return {m.group(0) for m in ENGLISH_WORDS.finditer(text)}


def check_page(page, walk: Walk, url: str, shots: Path | None) -> list[str]:
    """Open `url` at both widths and record what a user would stumble on; return its links."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", urlsplit(url).path).strip("-") or "home"
    page.set_viewport_size(WIDE)
    try:
        response = page.goto(url)  # waits for the load event: scripts and charts have run
    except PlaywrightError as exc:
        if "Download is starting" in str(exc):
            return []  # a download linked from a page, not a page
        raise
    if response is None or response.status >= 400:
        walk.add(url, f"HTTP {response.status if response else '—'}")
        return []
    found = page.evaluate(SCRIPT_CHECKS)
    for title in found["wrapped"]:
        walk.add(url, f"title wrapped one character per line at 1440 px: {title!r}")
    if words := english_words(found["text"]):
        walk.add(url, f"English interface words: {sorted(words)}")
    if shots:
        page.screenshot(path=str(shots / f"{walk.persona}-{name}-1440.png"), full_page=True)
    links = page.evaluate(
        """() => [...document.querySelectorAll('.page-header a[href], .page-body a[href]')]
             .map(a => a.getAttribute('href'))"""
    )
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(60)  # let charts and the layout follow the new width
    found = page.evaluate(SCRIPT_CHECKS)
    if found["overflow"] > 1:
        walk.add(url, f"wider than the phone's screen by {found['overflow']} px at 390 px")
    for title in found["wrapped"]:
        walk.add(url, f"title wrapped one character per line at 390 px: {title!r}")
    if shots:
        page.screenshot(path=str(shots / f"{walk.persona}-{name}-390.png"), full_page=True)
    walk.visited.append(url)
    return links


def walk_persona(browser, base_url: str, user: User, shots: Path | None) -> Walk:
    walk = Walk(user.username)
    client = Client()
    client.force_login(user)
    context = browser.new_context(
        base_url=base_url, viewport=WIDE, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(20_000)
    context.set_default_navigation_timeout(20_000)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    page = context.new_page()
    problems = BrowserProblems()
    problems.watch(page)
    try:
        page.goto("/")
        menu = page.evaluate(
            """() => [...document.querySelectorAll('#sidebar-menu a.nav-link, .dropdown-menu a')]
                 .map(a => a.getAttribute('href'))"""
        )
        seen = set()
        queue = []
        for href in menu:
            path = urlsplit(href).path
            if not SKIP_LINK.search(path) and path not in seen:
                seen.add(path)
                queue.append(href)
        shapes = {shape(urlsplit(h).path) for h in queue}
        details = []
        for url in queue:
            before = len(problems.seen)
            links = check_page(page, walk, url, shots)
            for href in links:
                if not href or href.startswith(("#", "javascript:", "mailto:", "http")):
                    continue
                path = urlsplit(href).path
                if SKIP_LINK.search(path) or shape(path) in shapes:
                    continue
                shapes.add(shape(path))
                details.append(href)
            for problem in problems.seen[before:]:
                walk.add(url, problem)
        for url in details[:DETAIL_PAGES_PER_PERSONA]:
            before = len(problems.seen)
            check_page(page, walk, url, shots)
            for problem in problems.seen[before:]:
                walk.add(url, problem)
    finally:
        context.close()
    return walk


@pytest.fixture
def demo_world(transactional_db):
    build_demo()
    return {u.username: u for u in User.objects.filter(username__in=PERSONAS)}


def test_every_persona_walks_every_page_at_both_widths_without_friction(
    browser, live_server, demo_world
):
    shots = os.environ.get("ANBIAO_WALK_SHOTS")
    folder = Path(shots) if shots else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    assert set(demo_world) == set(PERSONAS)
    problems, visited = [], 0
    for persona in PERSONAS:
        walk = walk_persona(browser, live_server.url, demo_world[persona], folder)
        assert len(walk.visited) >= 3, f"{persona} reached almost nothing: {walk.visited}"
        visited += len(walk.visited)
        problems += walk.problems
    assert not problems, f"{len(problems)} problems on {visited} pages:\n" + "\n".join(problems)
