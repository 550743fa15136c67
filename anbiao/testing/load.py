"""A scratch anbiao installation under real servers, and small HTTP clients that use it the way
people do (log in, browse, upload an import, confirm it), counting every error and timing every
request. Used by the slow test `anbiao/core/tests/test_import_under_load.py` and the load
benchmarks `bench/import_under_load.py` and `bench/load.py` (docs: bench/README.md).

The site runs as production does (docs/operations.md): gunicorn with `DEBUG` off and the
background worker (`anbiao db-worker`), on an SQLite file or a PostgreSQL database of its own.
Only the standard library is used for the clients (threads and `urllib`): they wait on the
network, so threads are enough to keep tens of users busy, and nothing new is installed.
"""

import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

BIN = Path(sys.executable).parent
ANBIAO = str(BIN / "anbiao")
GUNICORN = str(BIN / "gunicorn")
PSQL = shutil.which("psql") or "psql"
DEMO_PASSWORD = "Anbiao@2025"  # noqa: S105 - the demo data's documented password
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
JOB_URL = re.compile(r"/imports/(\d+)/$")


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it; safe under pytest-xdist)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """A scratch installation in `root`: its environment, commands, web server and worker.

    `database_url` is an SQLite file under `root` by default; a PostgreSQL URL must name a
    database that may be dropped (it is created empty by `install`)."""

    def __init__(self, root: Path, database_url: str | None = None, **env: str):
        self.root = root
        self.database_url = database_url or f"sqlite:///{root / 'anbiao.sqlite3'}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("ANBIAO_DEV", "ANBIAO_DEBUG", "ANBIAO_TASKS_IMMEDIATE")
        }
        self.env.update(
            {
                "ANBIAO_VAR_DIR": str(root / "var"),
                "DATABASE_URL": self.database_url,
                "ANBIAO_SECRET_KEY": secrets.token_urlsafe(50),
                "ANBIAO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                **env,
            }
        )
        self.processes: list[subprocess.Popen] = []

    @property
    def postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    def run(self, *args: str, timeout: float = 1800) -> str:
        done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [ANBIAO, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"anbiao {' '.join(args)}: {done.stderr[-3000:]}")
        return done.stdout

    def install(self) -> None:
        """An empty database, migrated, with the demo data (its users log in below)."""
        if self.postgres:
            self._drop_postgres(create=True)
        self.run("migrate", "--no-input", "-v", "0")
        self.run("demo")

    def _drop_postgres(self, *, create: bool = False) -> None:
        server, name = self.database_url.rsplit("/", 1)
        sql = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']
        if create:
            sql.append(f'CREATE DATABASE "{name}"')
        for statement in sql:
            subprocess.run(  # noqa: S603 - psql with our own statement
                [PSQL, f"{server}/postgres", "-qc", statement],
                check=True,
                capture_output=True,
            )

    def start(self, *, web_workers: int = 3, worker: bool = True) -> None:
        """gunicorn as deploy/anbiao-web.service runs it (TCP instead of the Unix socket, no
        nginx in front) and the background worker; returns once the login page answers."""
        log = open(self.root / "gunicorn.log", "ab")  # noqa: SIM115 - kept open by the child
        self.processes.append(
            subprocess.Popen(  # noqa: S603 - our own command
                [
                    GUNICORN,
                    "config.wsgi",
                    "--config",
                    "python:config.gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(web_workers),
                    "--timeout",
                    "120",
                ],
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
        if worker:
            wlog = open(self.root / "worker.log", "ab")  # noqa: SIM115 - kept open by the child
            self.processes.append(
                subprocess.Popen(  # noqa: S603 - our own command
                    [ANBIAO, "db-worker", "--interval", "0.5", "--no-reload"],
                    env=self.env,
                    stdout=wlog,
                    stderr=wlog,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                Client(self.base).get("/accounts/login/")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer within 120 s")

    def stop(self, *, drop: bool = False) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        self.processes = []
        if drop and self.postgres:
            self._drop_postgres()


class _NoRedirect(HTTPRedirectHandler):
    """Redirects are answers to record (a login's 302), not to follow blindly."""

    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Answer:
    status: int
    body: str
    location: str = ""


class Client:
    """One user's browser: a cookie jar, the CSRF token of the last form, no redirects."""

    def __init__(self, base: str, timeout: float = 120):
        self.base = base
        self.timeout = timeout
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(
        self, method: str, path: str, data: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        request = Request(  # noqa: S310 - self.base is our own http:// site
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read().decode("utf-8", "replace")
                return Answer(response.status, body, response.headers.get("Location", ""))
        except HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            return Answer(exc.code, body, exc.headers.get("Location", "") if exc.headers else "")

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        found = CSRF.search(page.body)
        if not found:
            raise AssertionError(f"no form on {path} ({page.status})")
        return found.group(1)

    def post(self, path: str, fields: dict, *, form_from: str | None = None) -> Answer:
        token = self.csrf(form_from or path)
        body = urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.base + (form_from or path),
        }
        return self.request("POST", path, body, headers)

    def upload(self, path: str, fields: dict, name: str, content: bytes) -> Answer:
        token = self.csrf(path)
        boundary = uuid.uuid4().hex
        parts = []
        for key, value in {"csrfmiddlewaretoken": token, **fields}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": self.base + path,
        }
        return self.request("POST", path, b"".join(parts), headers)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Answer:
        return self.post("/accounts/login/", {"username": username, "password": password})


@dataclass
class Recorder:
    """Every request's kind, seconds and outcome, from many threads."""

    timings: dict[str, list[float]] = field(default_factory=dict)
    # The same seconds by page (`page=` of `time`), to tell which page makes a kind's p95.
    pages: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def time(
        self, kind: str, call, *, ok=lambda a: a.status == 200, what: str = "", page: str = ""
    ) -> Answer:
        started = time.perf_counter()
        try:
            answer = call()
        except (OSError, URLError) as exc:
            answer = Answer(0, str(exc))
        seconds = time.perf_counter() - started
        with self.lock:
            self.timings.setdefault(kind, []).append(seconds)
            if page:
                self.pages.setdefault(page, []).append(seconds)
            if not ok(answer):
                snippet = re.sub(r"\s+", " ", answer.body)[:200]
                self.errors.append(f"{kind} {what}: {answer.status} {answer.location} {snippet}")
        return answer

    def count(self) -> int:
        return sum(len(t) for t in self.timings.values())

    def summary(self, by_page: bool = False) -> dict:
        out = {}
        for kind, values in sorted((self.pages if by_page else self.timings).items()):
            ordered = sorted(values)
            out[kind] = {
                "n": len(ordered),
                "p50": percentile(ordered, 50),
                "p95": percentile(ordered, 95),
                "max": ordered[-1],
            }
        return out

    def report(self, by_page: bool = False) -> str:
        lines = [f"{'kind':<12} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"]
        for kind, row in self.summary().items():
            lines.append(
                f"{kind:<12} {row['n']:>6} {row['p50'] * 1000:>8.0f} {row['p95'] * 1000:>8.0f} "
                f"{row['max'] * 1000:>8.0f}"
            )
        if by_page and self.pages:
            lines.append(f"{'page':<24} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for page, row in self.summary(by_page=True).items():
                lines.append(
                    f"{page:<24} {row['n']:>6} {row['p50'] * 1000:>8.0f} "
                    f"{row['p95'] * 1000:>8.0f} {row['max'] * 1000:>8.0f}"
                )
        lines.append(f"errors: {len(self.errors)}")
        lines.extend("  " + e for e in self.errors[:20])
        return "\n".join(lines)


def percentile(ordered: list[float], p: int) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


BROWSE = ("/", "/enterprises/", "/cases/", "/notifications/")  # every browsing role may
BROWSERS = ("quzhuanban", "dingji", "minan", "xindian", "hangye", "admin")


def browse_until(site: Site, stop: threading.Event, recorder: Recorder, username: str) -> None:
    """Log in, open the everyday pages, log out; again and again until `stop`."""
    while not stop.is_set():
        try:
            _browse_once(site, stop, recorder, username)
        except Exception as exc:  # noqa: BLE001 - an unexpected answer is an error to count
            with recorder.lock:
                recorder.errors.append(f"browse {username}: {exc!r}")
            time.sleep(1)


def _browse_once(site: Site, stop: threading.Event, recorder: Recorder, username: str) -> None:
    client = Client(site.base)
    recorder.time(
        "login",
        lambda c=client: c.login(username),
        ok=lambda a: a.status == 302 and "/accounts/login" not in a.location,
        what=username,
    )
    for path in BROWSE:
        if stop.is_set():
            break
        recorder.time("page", lambda c=client, p=path: c.get(p), what=f"{username} {path}")
    recorder.time(
        "logout",
        lambda c=client: c.post("/accounts/logout/", {}, form_from="/notifications/"),
        ok=lambda a: a.status == 302,
        what=username,
    )


def run_import(
    site: Site, recorder: Recorder, username: str, kind: str, name: str, content: bytes
) -> dict:
    """Upload a file as `username`, wait for its check, confirm, wait for the import; returns
    the job's final state as the import page shows it."""
    client = Client(site.base)
    answer = client.login(username)
    if answer.status != 302:
        raise RuntimeError(f"{username} cannot log in: {answer.status}")
    answer = recorder.time(
        "upload",
        lambda: client.upload(f"/imports/new/{kind}/", {}, name, content),
        ok=lambda a: a.status == 302 and JOB_URL.search(a.location) is not None,
    )
    job = int(JOB_URL.search(answer.location).group(1))
    timeline = {"job": job, "uploaded": time.monotonic()}
    state = wait_for_job(site, client, recorder, job, ("检查通过", "检查失败"))
    timeline["checked"] = time.monotonic()
    if state != "检查通过":
        return {**timeline, "state": state}
    recorder.time(
        "confirm",
        lambda: client.post(f"/imports/{job}/confirm/", {}, form_from=f"/imports/{job}/"),
        ok=lambda a: a.status == 302,
    )
    state = wait_for_job(site, client, recorder, job, ("已完成", "失败"))
    timeline["done"] = time.monotonic()
    return {**timeline, "state": state}


def wait_for_job(
    site: Site, client: Client, recorder: Recorder, job: int, states: tuple[str, ...]
) -> str:
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        page = recorder.time("job page", lambda: client.get(f"/imports/{job}/"))
        for state in states:
            if f">{state}<" in page.body:
                return state
        time.sleep(1)
    raise AssertionError(f"job {job} did not reach {states}")


def import_while_browsing(
    site: Site, *, rows: int, clients: int = 10, username: str = "minan"
) -> tuple[dict, Recorder]:
    """One user imports a ledger of `rows` new enterprises (check, then import) while
    `clients` others log in and browse; returns the import's timeline and the recorder."""
    from anbiao.testing.workbooks import ledger_workbook

    content = ledger_workbook(rows)
    recorder = Recorder()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=browse_until,
            args=(site, stop, recorder, BROWSERS[n % len(BROWSERS)]),
            daemon=True,
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        outcome = run_import(site, recorder, username, "ledger", "台账.xlsx", content)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
    return outcome, recorder


def dump(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, default=str)


# ---------------------------------------------------------------- a mixed workload


class FormFields(HTMLParser):
    """The values a browser would submit from each POST form of a page: text inputs, hidden
    inputs, checked boxes and radios, selected options, textareas."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.in_form, self.fields = True, []
            self.forms.append(self.fields)
        if not self.in_form or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self.fields.append(
                    (a["name"], a.get("value") or ("on" if kind == "checkbox" else ""))
                )
        elif tag == "select":
            self.select, self.select_first, self.select_chosen = a["name"], None, False
        elif tag == "option" and self.select is not None:
            if self.select_first is None:
                self.select_first = a.get("value") or ""
            if "selected" in a:
                self.fields.append((self.select, a.get("value") or ""))
                self.select_chosen = True
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None:
            if not self.select_chosen and self.select_first is not None:
                self.fields.append((self.select, self.select_first))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, self.text))
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form = False

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data


def form_fields(html: str) -> list[tuple[str, str]]:
    """The fields of the page's main form (the POST form with the most fields: not the
    navigation bar's 退出 form)."""
    parser = FormFields()
    parser.feed(html)
    return max(parser.forms, key=len, default=[])


def submit_form(
    client: Client, path: str, changes: dict[str, str], recorder: "Recorder", what: str
) -> Answer:
    """GET the page's form (timed as a read), change some values and POST it back as a browser
    would (timed as the write; a saved form answers with a redirect)."""
    page = recorder.time("read", lambda: client.get(path), what=what)
    if page.status != 200:
        return page
    fields = [(k, v) for k, v in form_fields(page.body) if k not in changes]
    fields += list(changes.items())
    body = urlencode(fields).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": client.base + path,
    }
    return recorder.time(
        "write", lambda: client.request("POST", path, body, headers), ok=REDIRECTED, what=what
    )


READS = ("/", "/enterprises/", "/cases/", "/notifications/", "/enterprises/?q=jx")
ENTERPRISE_LINK = re.compile(r'href="/enterprises/(\d+)/"')
REDIRECTED = lambda a: a.status == 302  # noqa: E731 - a form that saved answers with a redirect


def mixed_user(
    site: Site,
    stop: threading.Event,
    recorder: Recorder,
    username: str,
    *,
    write_share: float,
    seed: int,
    think: tuple[float, float] = (0.0, 0.0),
    ready: threading.Barrier | None = None,
) -> None:
    """Log in once, then until `stop`: mostly read pages (the dashboard, lists, a search, an
    enterprise's page), sometimes write (an enterprise's principal's phone for a station officer,
    otherwise the notification settings; and 全部已读). Between two actions the user reads the
    page for a random time in `think` (seconds; (0, 0) hammers the server). With `ready`, the
    user waits there after logging in until every user has (the measured steady state)."""

    rng = random.Random(seed)  # noqa: S311 - a repeatable workload, not a secret
    client = Client(site.base)
    recorder.time(
        "login",
        lambda: client.login(username),
        ok=lambda a: a.status == 302 and "/accounts/login" not in a.location,
        what=username,
    )
    try:
        enterprises = ENTERPRISE_LINK.findall(client.get("/enterprises/").body)
    except OSError as exc:  # counted, and the user still joins the others at `ready`
        with recorder.lock:
            recorder.errors.append(f"{username} /enterprises/: {exc!r}")
        enterprises = []
    station = username in ("minan", "xindian")
    if ready is not None:
        ready.wait()
        stop.wait(rng.uniform(*think))  # not all on the same millisecond
    while not stop.is_set():
        try:
            if rng.random() < write_share:
                if station and enterprises:
                    pk = rng.choice(enterprises)
                    phone = f"0592{rng.randint(1000000, 9999999)}"
                    submit_form(
                        client,
                        f"/enterprises/{pk}/edit/",
                        {"principal_phone": phone},
                        recorder,
                        f"{username} edit {pk}",
                    )
                elif rng.random() < 0.5:
                    submit_form(
                        client,
                        "/notifications/preferences/",
                        {"email_digest": "on"} if rng.random() < 0.5 else {},
                        recorder,
                        f"{username} preferences",
                    )
                else:
                    recorder.time(
                        "write",
                        lambda: client.post(
                            "/notifications/read-all/", {}, form_from="/notifications/"
                        ),
                        ok=REDIRECTED,
                        what=f"{username} read-all",
                    )
            else:
                if enterprises and rng.random() < 0.3:
                    path = f"/enterprises/{rng.choice(enterprises)}/"
                    page = "/enterprises/<id>/"
                else:
                    path = page = rng.choice(READS)
                recorder.time(
                    "read", lambda p=path: client.get(p), what=f"{username} {path}", page=page
                )
        except Exception as exc:  # noqa: BLE001 - an unexpected answer is an error to count
            with recorder.lock:
                recorder.errors.append(f"{username}: {exc!r}")
            time.sleep(1)
        if think[1] > 0:
            stop.wait(rng.uniform(*think))


def mixed_load(
    site: Site,
    *,
    users: int,
    seconds: float,
    write_share: float = 0.2,
    usernames=BROWSERS,
    think: tuple[float, float] = (0.0, 0.0),
    spawn_rate: float = 5.0,
) -> Recorder:
    """`users` concurrent users (round robin over `usernames`) for `seconds`, each pausing a
    random time in `think` between actions. Users log in `spawn_rate` per second, as people
    arrive at work one by one; the `seconds` of mixed reads and writes start once all have
    logged in (like locust's --reset-stats after spawning), so logins (timed as "login") and
    the steady state are reported apart."""
    recorder = Recorder()
    stop = threading.Event()
    ready = threading.Barrier(users + 1)
    threads = [
        threading.Thread(
            target=mixed_user,
            args=(site, stop, recorder, usernames[n % len(usernames)]),
            kwargs={"write_share": write_share, "seed": n, "think": think, "ready": ready},
            daemon=True,
        )
        for n in range(users)
    ]
    for thread in threads:
        thread.start()
        time.sleep(1 / spawn_rate)
    ready.wait(timeout=600)
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=300)
    return recorder
