"""The progress import replays a file in memory and writes it in batches: what it writes is what
recording the same rows one by one through the case services writes, its check writes nothing,
and a batch that cannot be written leaves the batches before it written."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anbiao.cases import importers
from anbiao.cases.choices import CaseState, EventKind
from anbiao.cases.importers import import_progress
from anbiao.cases.models import Case, CaseEvent, Certificate
from anbiao.cases.services import CertificateData, case_record_event
from anbiao.cases.services.history import HistoryChanged
from anbiao.cases.tests.test_import_progress import workbook
from anbiao.core.models import ChangeLog
from anbiao.testing.factories import certify, make_enterprise, record_steps

pytestmark = pytest.mark.django_db
K = EventKind
GRADES = {"三级": "level3", "小微达标": "micro", "": ""}

# Per enterprise: the steps already recorded before the import, then the file's rows
# (事项, 日期, 等级, 证书编号, 有效期至, 得分, 备注).
STORIES = [
    (
        [],
        [
            ("启动创建", date(2022, 3, 1), "", "", "", "", "召开启动会"),
            ("完成自评", date(2022, 5, 10), "", "", "", 72.5, ""),
            ("申请评审", date(2022, 6, 1), "", "", "", "", ""),
            ("评审通过", date(2022, 7, 1), "三级", "", "", 78, ""),
            ("取得证书", date(2022, 7, 20), "", "{p}-1", "", "", ""),
            ("年度自评", date(2023, 12, 1), "", "", "", 81, ""),
            ("申请评审", date(2025, 4, 1), "", "", "", "", "换证评审"),
            ("评审通过", date(2025, 5, 1), "小微达标", "", "", 88, ""),
            ("换发证书", date(2025, 5, 20), "", "{p}-2", date(2028, 5, 31), "", ""),
        ],
    ),
    (
        [],
        [
            ("启动创建", date(2021, 1, 5), "", "", "", "", ""),
            ("申请评审", date(2021, 3, 1), "", "", "", "", ""),
            ("评审不通过", date(2021, 4, 1), "", "", "", "", "资料不全"),
            ("申请评审", date(2021, 6, 1), "", "", "", "", ""),
            ("评审通过", date(2021, 7, 1), "小微达标", "", "", "", ""),
            ("取得证书", date(2021, 7, 15), "", "{p}-3", "", "", ""),
            ("撤销证书", date(2022, 2, 1), "", "", "", "", "发生生产安全事故"),
            ("启动创建", date(2022, 3, 1), "", "", "", "", ""),
            ("申请评审", date(2022, 9, 1), "", "", "", "", ""),
        ],
    ),
    (
        [(K.START, date(2023, 1, 1)), (K.SELF_ASSESSED, date(2023, 2, 1))],
        [
            ("完成自评", date(2023, 2, 1), "", "", "", "", ""),  # already there: 无变化
            ("申请评审", date(2023, 3, 1), "", "", "", "", ""),
            ("评审通过", date(2023, 4, 1), "三级", "", "", 80, ""),
            ("取得证书", date(2023, 4, 20), "", "{p}-4", "", "", ""),
        ],
    ),
    (
        "certified",
        [
            ("申请评审", date(2024, 3, 1), "", "", "", "", ""),
            ("评审通过", date(2024, 4, 1), "小微达标", "", "", 90, ""),
            ("换发证书", date(2024, 4, 20), "", "{p}-5", "", "", ""),
        ],
    ),
]


def _before(enterprise, before, prefix, actor):
    if before == "certified":
        certify(enterprise, date(2023, 5, 1), number=f"{prefix}-0")
    elif before:
        record_steps(enterprise, *before, actor=actor)


def _by_hand(enterprise, rows, prefix, actor):
    """The rows through the service, one by one, as an officer (or the old importer) would."""
    for kind, on, grade, number, expires, score, note in rows:
        kind = importers.parse_kind(kind)
        if kind in (K.SELF_ASSESSED,) and (kind, on) in set(
            CaseEvent.objects.filter(case__enterprise=enterprise).values_list("kind", "on")
        ):
            continue
        certificate = None
        if kind in (K.CERTIFICATE, K.RENEWAL):
            certificate = CertificateData(
                number=number.format(p=prefix), grade=GRADES[grade], expires_on=expires or None
            )
        case_record_event(
            actor=actor,
            enterprise=enterprise,
            kind=kind,
            on=on,
            note=note,
            grade=GRADES[grade],
            score=score if score != "" else None,
            certificate=certificate,
            source="import",
            proxy_for="历史导入" if kind in importers.GRADING_KINDS else "",
        )


def _everything(enterprise, prefix):
    """What the case page, the certificates and the change log show, ids left out."""
    case = Case.objects.get(enterprise=enterprise)
    events = [
        (e.kind, e.on, e.state_after, e.grade, e.score, e.note, e.actor_id, e.source, e.proxy_for)
        for e in case.events.order_by("on", "id")
    ]
    numbers = {}
    certificates = []
    for c in Certificate.objects.filter(case__enterprise=enterprise).order_by("issued_on", "id"):
        number = c.number.removeprefix(prefix)
        numbers[c.pk] = number
        certificates.append(
            (
                number,
                c.grade,
                c.issuer,
                c.issued_on,
                c.expires_on,
                numbers.get(c.replaces_id),
                c.ended_on,
                c.end_kind,
                c.end_reason,
                c.end_event.kind if c.end_event else None,
                c.void,
            )
        )
    logs = [
        (log.action, log.note, log.changes, log.actor_id, log.object_repr)
        for log in ChangeLog.objects.filter(
            object_type="cases.case", enterprise=enterprise
        ).order_by("id")
    ]
    stored = (case.state, case.state_since, case.started_on, case.flagged, case.flag_reason)
    return stored, events, certificates, logs


def _file_rows(enterprises, prefix):
    return [
        [e.uscc, kind, on, grade, number.format(p=prefix), expires, score, note]
        for e, (_, story) in zip(enterprises, STORIES, strict=True)
        for kind, on, grade, number, expires, score, note in story
    ]


def test_the_batched_import_writes_exactly_what_the_services_write_row_by_row(
    station_officer, settings, tmp_path
):
    settings.ANBIAO_IMPORT_WRITE_BATCH_ROWS = 4  # several batches in a small file
    imported = [make_enterprise(name=f"导入企业{n}") for n in range(len(STORIES))]
    by_hand = [make_enterprise(name=f"手工企业{n}") for n in range(len(STORIES))]
    for n, (before, story) in enumerate(STORIES):
        _before(imported[n], before, "IMP", station_officer)
        _before(by_hand[n], before, "UI", station_officer)
        _by_hand(by_hand[n], story, "UI", station_officer)

    path = workbook(tmp_path / "进度.xlsx", _file_rows(imported, "IMP"))
    outcome = import_progress(path, user=station_officer)

    assert outcome.errors == []
    assert (outcome.created, outcome.unchanged, outcome.written) == (24, 1, True)
    for mine, theirs in zip(imported, by_hand, strict=True):
        got, expected = _everything(mine, "IMP"), _everything(theirs, "UI")
        assert got[0] == expected[0]
        assert got[1] == expected[1]
        assert got[2] == expected[2]
        assert [log[:4] for log in got[3]] == [log[:4] for log in expected[3]]
    states = [Case.objects.get(enterprise=e).state for e in imported]
    assert states == [
        CaseState.CERTIFIED,
        CaseState.APPLIED,
        CaseState.CERTIFIED,
        CaseState.CERTIFIED,
    ]

    again = import_progress(path, user=station_officer)
    assert (again.created, again.unchanged) == (0, 25)  # idempotent


def test_the_check_writes_nothing_and_opens_no_transaction(station_officer, tmp_path):
    enterprises = [make_enterprise(name=f"企业{n}") for n in range(len(STORIES))]
    for enterprise, (before, _) in zip(enterprises, STORIES, strict=True):
        _before(enterprise, before, "IMP", station_officer)
    path = workbook(tmp_path / "进度.xlsx", _file_rows(enterprises, "IMP"))
    events, logs = CaseEvent.objects.count(), ChangeLog.objects.count()

    with CaptureQueriesContext(connection) as queries:
        outcome = import_progress(path, user=station_officer, dry_run=True)

    assert (outcome.created, outcome.unchanged, outcome.written) == (24, 1, False)
    writes = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN", "ROLLBACK")
    assert [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(writes)] == []
    assert len(queries) < 15  # a few reads per chunk of enterprises, none per row
    assert (CaseEvent.objects.count(), ChangeLog.objects.count()) == (events, logs)


def test_the_check_reports_what_the_import_would_refuse_without_writing(station_officer, tmp_path):
    enterprise = make_enterprise(name="厦门顺达五金有限公司")
    rows = [
        [enterprise.uscc, "启动创建", date(2024, 1, 1), "", "", "", "", ""],
        [enterprise.uscc, "取得证书", date(2024, 2, 1), "", "X-1", "", "", ""],
        [enterprise.uscc, "申请评审", date(2024, 3, 1), "", "", "", "", ""],
    ]
    path = workbook(tmp_path / "进度.xlsx", rows)

    check = import_progress(path, user=station_officer, dry_run=True)

    assert [(e.row, e.column) for e in check.errors] == [(4, "事项"), (5, "事项")]
    assert "取得证书之前须有“评审通过”记录" in check.errors[0].message
    assert CaseEvent.objects.count() == 0 and Case.objects.count() == 0


def test_a_batch_changed_meanwhile_is_not_written_and_the_earlier_batches_stay(
    station_officer, settings, tmp_path, monkeypatch
):
    settings.ANBIAO_IMPORT_WRITE_BATCH_ROWS = 2
    first, second = make_enterprise(name="先写企业"), make_enterprise(name="后写企业")
    rows = [
        [first.uscc, "启动创建", date(2024, 1, 1), "", "", "", "", ""],
        [first.uscc, "完成自评", date(2024, 2, 1), "", "", "", "", ""],
        [second.uscc, "启动创建", date(2024, 1, 1), "", "", "", "", ""],
        [second.uscc, "完成自评", date(2024, 2, 1), "", "", "", "", ""],
    ]
    path = workbook(tmp_path / "进度.xlsx", rows)
    write = importers._write

    def an_officer_records_a_step_meanwhile(planned, user):
        record_steps(second, (K.START, date(2023, 12, 1)), actor=station_officer)
        write(planned, user)

    monkeypatch.setattr(importers, "_write", an_officer_records_a_step_meanwhile)
    with pytest.raises(HistoryChanged, match="本批未写入"):
        import_progress(path, user=station_officer)

    assert Case.objects.get(enterprise=first).state == CaseState.SELF_ASSESSED
    assert list(CaseEvent.objects.filter(case__enterprise=second).values_list("on", flat=True)) == [
        date(2023, 12, 1)
    ]


def test_an_officer_cannot_import_steps_of_another_streets_enterprise(
    other_station_officer, minan_enterprise, xindian_enterprise, tmp_path
):
    rows = [
        [minan_enterprise.uscc, "启动创建", date(2024, 1, 1), "", "", "", "", ""],
        [xindian_enterprise.uscc, "启动创建", date(2024, 1, 1), "", "", "", "", ""],
    ]
    path = workbook(tmp_path / "进度.xlsx", rows)

    outcome = import_progress(path, user=other_station_officer, skip_invalid=True)

    assert [(e.row, e.column) for e in outcome.errors] == [(3, "统一社会信用代码")]
    assert "不在您的管辖范围内" in outcome.errors[0].message
    assert not CaseEvent.objects.filter(case__enterprise=minan_enterprise).exists()
    assert CaseEvent.objects.filter(case__enterprise=xindian_enterprise).count() == 1


def test_the_import_reads_and_writes_in_a_fixed_number_of_queries_however_many_enterprises(
    reference, tmp_path
):
    """A system import (no user) of 3 and of 9 enterprises: the same statements, none per
    enterprise (an enterprise's fields not loaded up front would cost a query each)."""
    counts = []
    for size in (3, 9):
        enterprises = [make_enterprise(name=f"厦门定量{size}-{n}有限公司") for n in range(size)]
        rows = [
            [e.uscc, step, on, "", "", "", "", ""]
            for e in enterprises
            for step, on in (("启动创建", date(2024, 1, 10)), ("完成自评", date(2024, 3, 1)))
        ]
        path = workbook(tmp_path / f"进度{size}.xlsx", rows)
        with CaptureQueriesContext(connection) as queries:
            outcome = import_progress(path, user=None)
        assert (outcome.created, outcome.written) == (2 * size, True), outcome.errors
        counts.append(len(queries))
    assert counts[0] == counts[1]
