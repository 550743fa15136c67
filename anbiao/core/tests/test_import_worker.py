"""Imports through a real `anbiao db-worker`: a web import of a few thousand rows is checked and
imported in the background with progress, and a worker killed with SIGKILL mid-import leaves the
database with whole batches of rows or none (killed while it reads the file, as the test aims
to: none) and the job 失败; running it again imports every row once.

The web process and the worker must share one database, which the test database of the other
tests (in memory) cannot be; so this module builds its own site in a scratch directory (an
SQLite file, migrated once) and drives it through `anbiao shell` and `anbiao db-worker`
subprocesses, as production runs them.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import xlsxwriter

from anbiao.testing.factories import make_uscc

# Runs once in CI (on SQLite), not again on PostgreSQL: see .ci/run.
pytestmark = pytest.mark.slow


ANBIAO = str(Path(sys.executable).parent / "anbiao")
LEASE = 6
BATCH = 2000  # ANBIAO_IMPORT_WRITE_BATCH_ROWS of the scratch site


def ledger(path: Path, rows: int, start: int) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(
        0,
        0,
        [
            "企业名称",
            "统一社会信用代码",
            "行业",
            "企业规模",
            "是否位于火炬高新区",
            "经营状态",
            "是否符合创建条件",
        ],
    )
    for n in range(rows):
        uscc = make_uscc(start + n)
        sheet.write_row(
            n + 1, 0, [f"后台导入{start + n}号公司", uscc, "机械", "小型", "否", "在营", "是"]
        )
    book.close()
    return path


class Site:
    """A scratch installation: its environment, a shell to ask it things, its worker."""

    def __init__(self, root: Path):
        self.root = root
        self.env = {
            **os.environ,
            "ANBIAO_VAR_DIR": str(root),
            "DATABASE_URL": f"sqlite:///{root / 'anbiao.sqlite3'}",
            "ANBIAO_ALLOWED_HOSTS": "testserver",
            "ANBIAO_IMPORT_INLINE_ROWS": "100",
            "ANBIAO_IMPORT_LEASE_SECONDS": str(LEASE),
            "ANBIAO_IMPORT_WRITE_BATCH_ROWS": str(BATCH),
            "ANBIAO_TASKS_IMMEDIATE": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        self.worker: subprocess.Popen | None = None

    def run(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [ANBIAO, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def ask(self, code: str, login: bool = True) -> dict:
        """Run `code` inside the site with a logged-in station officer's `client`; it sets
        `result`, which comes back as JSON. Without `login` nothing is written (logging in
        saves last_login), so polling never queues behind the import's writes."""
        prelude = textwrap.dedent(
            """
            import json
            from django.test import Client
            from anbiao.accounts.models import User
            from anbiao.core.models import ImportJob
            from anbiao.enterprises.models import Enterprise
            client = Client()
            result = {}
            """
        )
        if login:
            prelude += 'client.force_login(User.objects.get(username="minan"))\n'
        tail = "\nprint('RESULT' + json.dumps(result, ensure_ascii=False))\n"
        out = self.run("shell", "-c", prelude + textwrap.dedent(code) + tail)
        return json.loads(out.split("RESULT", 1)[1])

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(  # noqa: S603 - our own command
            [ANBIAO, "db-worker", "--interval", "0.2", "--no-reload", "--no-startup-delay"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGKILL)
            self.worker.wait(timeout=30)
        self.worker = None

    def progress_file(self, job: int) -> Path:
        return self.root / "media" / "imports" / "progress" / f"{job}.json"

    def wait_for(self, job: int, *states: str, timeout: float = 900) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.ask(
                f"result = dict(status=ImportJob.objects.get(pk={job}).status)", login=False
            )
            if found["status"] in states:
                return found
            time.sleep(1)
        raise AssertionError(f"job {job} did not reach {states}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("site"))
    site.run("migrate", "--no-input", "-v", "0")
    site.run(
        "shell",
        "-c",
        "from anbiao.accounts.choices import Role; from anbiao.accounts.models import Region, User;"
        " User.objects.create_user('minan', password='Xx-123456', role=Role.STATION,"
        " region=Region.objects.get(code='350213007'))",
    )
    yield site
    site.kill_worker()


UPLOAD = """
from django.core.files.uploadedfile import SimpleUploadedFile

data = open({path!r}, "rb").read()
response = client.post("/imports/new/ledger/",
    {{"file": SimpleUploadedFile("台账.xlsx", data), "effective_on": "2026-03-01"}})
job = ImportJob.objects.latest("id")
page = client.get(f"/imports/{{job.pk}}/").content.decode()
result = dict(code=response.status_code, job=job.pk, status=job.status, total=job.total_rows,
              queued="排队中" in page)
"""


def test_a_web_import_of_thousands_of_rows_runs_in_the_worker_with_progress(site, tmp_path):
    path = ledger(tmp_path / "3000.xlsx", 3000, 700000)
    uploaded = site.ask(UPLOAD.format(path=str(path)))
    assert (uploaded["code"], uploaded["status"], uploaded["total"]) == (302, "checking", 3001)
    assert uploaded["queued"]  # the page answers at once; the check waits for the worker
    job = uploaded["job"]

    site.start_worker()
    site.wait_for(job, "checked")
    checked = site.ask(
        f"""
        job = ImportJob.objects.get(pk={job})
        result = dict(created=job.created_count, written=Enterprise.objects.count())
        response = client.post(f"/imports/{job}/confirm/")
        again = client.post(f"/imports/{job}/confirm/")  # a double click
        job.refresh_from_db()
        result.update(status=job.status, again=again.status_code,
                      bar=client.get(f"/imports/{job}/progress/").content.decode())
        """
    )
    assert (checked["created"], checked["written"]) == (3000, 0)  # the check wrote nothing
    assert checked["status"] in ("importing", "done")
    assert checked["again"] == 302
    if checked["status"] == "importing":
        assert "已处理" in checked["bar"] and "/ 3000 行" in checked["bar"]
    site.wait_for(job, "done")
    done = site.ask(
        f"""
        job = ImportJob.objects.get(pk={job})
        page = client.get(f"/imports/{job}/").content.decode()
        bar = client.get(f"/imports/{job}/progress/")
        result = dict(created=job.created_count, rows=Enterprise.objects.filter(
            name__startswith="后台导入70").count(), done="导入完成" in page,
            refresh=bar.headers.get("HX-Refresh"))
        """
    )
    assert done == {"created": 3000, "rows": 3000, "done": True, "refresh": "true"}
    site.kill_worker()


def test_a_worker_killed_mid_import_leaves_whole_batches_or_none_and_the_job_failed(site, tmp_path):
    path = ledger(tmp_path / "20000.xlsx", 20000, 800000)
    job = site.ask(UPLOAD.format(path=str(path)))["job"]
    site.start_worker()
    site.wait_for(job, "checked")
    before = site.ask(
        f"""
        client.post(f"/imports/{job}/confirm/")
        result = dict(enterprises=Enterprise.objects.count())
        """
    )
    progress = site.progress_file(job)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if json.loads(progress.read_text()).get("done", 0) > 0:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    else:
        raise AssertionError("the import never started")
    site.kill_worker()  # SIGKILL, mid-import

    time.sleep(LEASE + 1)
    after = site.ask(
        f"""
        page = client.get(f"/imports/{job}/").content.decode()
        job = ImportJob.objects.get(pk={job})
        result = dict(status=job.status, enterprises=Enterprise.objects.count(),
                      message=job.errors[0]["message"], retry="重新导入" in page)
        """
    )
    assert after["status"] == "failed"
    # Killed while it read the file (progress counts rows read, then rows written), nothing is
    # written; a test process kept off the CPU longer than the reading takes may kill it after a
    # batch was committed: whole batches, never part of one.
    written = after["enterprises"] - before["enterprises"]
    assert written % BATCH == 0 and written <= 20000, written
    assert "导入进程已中断" in after["message"] and after["retry"]

    site.start_worker()
    site.ask(f'client.post("/imports/{job}/confirm/")')
    site.wait_for(job, "done")
    rerun = site.ask("result = dict(enterprises=Enterprise.objects.count())", login=False)
    assert rerun["enterprises"] == before["enterprises"] + 20000
    site.kill_worker()
