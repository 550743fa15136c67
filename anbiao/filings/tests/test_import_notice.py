"""Before an import: the check's notice that confirming it would change figures already filed,
told from what the check would write, in memory (docs/filings.md, "Before an import"). The
rolled-back import it replaced is the reference: on varied imports both say the same."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from anbiao.campaigns.models import Campaign
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.core.imports import jobs
from anbiao.core.imports.jobs import import_job_create
from anbiao.core.models import ChangeLog, ImportJob
from anbiao.enterprises.models import Enterprise, EnterpriseFact, LedgerSpan
from anbiao.filings import services
from anbiao.filings.changes import filed_values, preview_filings, preview_notice
from anbiao.testing.factories import (
    certify,
    make_enterprise,
    make_session,
    make_uscc,
    record_steps,
)

pytestmark = pytest.mark.django_db
FILED_ON = (date(2025, 6, 30), date(2025, 9, 30))


@pytest.fixture
def filed(reference, station_officer):
    """民安: A certified in May, B started in April, C not started, D (新店) outside the 镇街,
    R with a certificate that came due in the campaign; filed as of 30 June and 30 September."""
    e = {key: make_enterprise(name=f"厦门报送{key}机械有限公司") for key in "ABCR"}
    e["D"] = make_enterprise("350213002", name="厦门报送D食品有限公司")
    certify(e["A"], date(2025, 5, 20))
    certify(e["R"], date(2022, 4, 1), expires_on=date(2025, 4, 30))
    record_steps(e["B"], ("start", date(2025, 4, 1)))
    campaign = Campaign.objects.get(slug="minan-2025")
    for on in FILED_ON:
        services.filing_submit(actor=station_officer, campaign=campaign, as_of=on)
    return e


def csv(name: str, header: list[str], rows: list[list]) -> SimpleUploadedFile:
    lines = [",".join(header), *(",".join(str(v) for v in row) for row in rows)]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode())


LEDGER = ["企业名称", "统一社会信用代码", "行业", "企业规模", "纳入台账日期", "所属镇街"]
LEDGER += ["是否符合创建条件", "不符合原因", "是否位于火炬高新区", "经营状态", "状态日期"]


def ledger(rows: list[dict]) -> SimpleUploadedFile:
    keys = ["name", "uscc", "industry", "size", "since", "sub", "eligible", "why", "torch"]
    keys += ["status", "status_since"]
    defaults = {"industry": "机械", "size": "小型", "since": "2025-03-01", "sub": "民安街道"}
    defaults |= {"eligible": "是"}
    return csv("台账.csv", LEDGER, [[(defaults | r).get(k, "") for k in keys] for r in rows])


PROGRESS = ["统一社会信用代码", "事项", "日期", "等级", "证书编号", "有效期至", "备注"]


def progress(rows: list[list]) -> SimpleUploadedFile:
    return csv("进度.csv", PROGRESS, [[*row, *[""] * (len(PROGRESS) - len(row))] for row in rows])


def rolled_back(job: ImportJob) -> list[str]:
    """The notice as it was made before: the import run for real in a transaction rolled back,
    today's figures of each filing computed before and inside it."""
    filings = preview_filings(job)
    before = {f.pk: filed_values(f) for f in filings}
    with transaction.atomic():
        jobs._run(job, dry_run=False)
        after = {f.pk: filed_values(f) for f in filings}
        transaction.set_rollback(True)
    return [n for f in filings if (n := preview_notice(f, before[f.pk], after[f.pk]))]


def new_enterprises() -> dict:
    return {
        "rows": [
            *({"name": f"厦门补录{i}号机械有限公司", "uscc": make_uscc()} for i in range(3)),
            {
                "name": "厦门补录办公有限公司",
                "uscc": make_uscc(),
                "eligible": "否",
                "why": "仅办公",
            },
            {"name": "厦门补录中型机械有限公司", "uscc": make_uscc(), "size": "中型"},
            {"name": "厦门补录火炬机械有限公司", "uscc": make_uscc(), "torch": "是"},
            {"name": "厦门补录烟草有限公司", "uscc": make_uscc(), "industry": "烟草"},
            {"name": "厦门新设机械有限公司", "uscc": make_uscc(), "since": "2025-08-01"},
        ]
    }


def changed_facts(e: dict) -> dict:
    return {
        "rows": [
            {"name": e["A"].name, "uscc": e["A"].uscc, "size": "中型"},
            {"name": e["C"].name, "uscc": e["C"].uscc, "eligible": "否", "why": "仅办公"},
            {"name": e["B"].name, "uscc": e["B"].uscc, "industry": "烟草"},
            {"name": e["R"].name, "uscc": e["R"].uscc, "torch": "是"},
        ],
        "effective_on": date(2025, 5, 1),
    }


def closures(e: dict) -> dict:
    return {
        "rows": [
            {
                "name": e["B"].name,
                "uscc": e["B"].uscc,
                "status": "已注销",
                "status_since": "2025-05-15",
            },
            {
                "name": e["A"].name,
                "uscc": e["A"].uscc,
                "status": "停业",
                "status_since": "2025-08-01",
            },
            {
                "name": e["R"].name,
                "uscc": e["R"].uscc,
                "status": "已迁出",
                "status_since": "2025-07-01",
            },
        ]
    }


def steps(e: dict) -> dict:
    return {
        "progress": [
            [e["C"].uscc, "开始创建", "2025-06-01"],  # started
            [e["B"].uscc, "申请评审", "2025-05-01"],
            [e["B"].uscc, "评审通过", "2025-05-20", "小微达标"],
            [e["B"].uscc, "取得证书", "2025-06-10", "小微达标", "XA-IMP-0001"],  # certified
            [e["A"].uscc, "撤销证书", "2025-08-15", "", "", "", "重大隐患"],  # no longer
            [e["R"].uscc, "申请评审", "2025-07-01"],
            [e["R"].uscc, "评审通过", "2025-07-10", "小微达标"],
            [e["R"].uscc, "换发证书", "2025-07-20", "小微达标", "XA-IMP-0002"],  # renewed
        ]
    }


def training(e: dict) -> dict:
    session = make_session(held_on=date(2025, 6, 20))
    rows = [
        ["王一", "企业主要负责人", e["A"].name],
        ["王二", "安全生产管理员", e["A"].name],  # A: both key people trained
        ["李一", "企业主要负责人", e["B"].name],  # B: only one
        ["张一", "安全生产管理员", e["C"].name],
    ]
    return {"training": rows, "target_id": session.pk}


@pytest.mark.parametrize("plan", [new_enterprises, changed_facts, closures, steps, training])
def test_the_notice_says_what_the_rolled_back_import_said(filed, station_officer, plan):
    made = plan() if plan is new_enterprises else plan(filed)
    if "progress" in made:
        upload, kind = progress(made["progress"]), "progress"
    elif "training" in made:
        upload = csv("签到表.csv", ["姓名", "岗位类别", "所在企业"], made["training"])
        kind = "training"
    else:
        upload, kind = ledger(made["rows"]), "ledger"
    job = import_job_create(
        actor=station_officer,
        kind=kind,
        upload=upload,
        effective_on=made.get("effective_on"),
        target_id=made.get("target_id"),
    )
    assert job.status == "checked", job.errors
    expected = rolled_back(job)
    assert expected  # each of these imports changes what was filed
    assert job.report["filed_changes"] == expected


WRITE = {"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"}


def test_a_check_with_standing_filings_opens_no_transaction_and_writes_nothing(
    filed, station_officer, transactions_opened
):
    """On SQLite a transaction takes the write lock for as long as it lasts: the check of an
    import, standing filings or not, must not make other users' saves wait."""
    stored = (Enterprise, EnterpriseFact, LedgerSpan, CaseEvent, Certificate, ChangeLog)

    def counts() -> list[int]:
        return [model.objects.count() for model in stored]

    before = counts()
    opened = transactions_opened()
    with CaptureQueriesContext(connection) as queries:
        ledger_job = import_job_create(
            actor=station_officer, kind="ledger", upload=ledger(new_enterprises()["rows"])
        )
        progress_job = import_job_create(
            actor=station_officer, kind="progress", upload=progress(steps(filed)["progress"])
        )
    assert opened == []
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() in WRITE]
    assert writes and all("core_importjob" in sql for sql in writes), [
        sql[:80] for sql in writes if "core_importjob" not in sql
    ]
    assert counts() == before
    for job in (ledger_job, progress_job):
        assert job.status == "checked" and job.report["filed_changes"], job.report
    assert "应创企业 4 → 9" in ledger_job.report["filed_changes"][0]  # 30 September first
