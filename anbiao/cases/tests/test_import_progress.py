"""The progress import: history from the stations' spreadsheets, replayed per enterprise through
the same service as the case page, errors by Excel row and column, all or nothing, idempotent."""

import io
import json
from datetime import date

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from python_calamine import CalamineWorkbook

from anbiao.cases.choices import CaseState, EventKind
from anbiao.cases.importers import import_progress
from anbiao.cases.models import Case, CaseEvent, Certificate
from anbiao.cases.services import CertificateData
from anbiao.core.models import ChangeLog, ImportJob
from anbiao.testing.factories import make_enterprise, make_uscc, record_steps

pytestmark = pytest.mark.django_db
K = EventKind
HEADER = [
    "序号",
    "统一社会信用代码",
    "事项",
    "日期",
    "等级",
    "证书编号",
    "有效期至",
    "得分",
    "备注",
]
FIRST_ROW = 3  # a title line, then the header; data starts at Excel row 3


def workbook(path, rows, header=HEADER):
    """A progress workbook as stations keep it: a merged title, the header, real date cells."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, len(header) - 1, "民安街道安全生产标准化创建进度台账")
    sheet.write_row(1, 0, header)
    for r, row in enumerate(rows, start=FIRST_ROW - 1):
        for c, value in enumerate([r - 1, *row]):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, dates)
            elif value not in ("", None):
                sheet.write(r, c, value)
    book.close()
    return path


def counts():
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        Certificate.objects.count(),
        ChangeLog.objects.filter(object_type="cases.case").count(),
    )


def where(outcome):
    return [(e.row, e.column) for e in outcome.errors]


@pytest.fixture
def minan_two(reference):
    return make_enterprise(name="厦门鑫泰食品有限公司")


# A whole history, rows deliberately out of date order (the import sorts each enterprise's rows).
HISTORY = [
    ("启动创建", date(2022, 3, 1), "", "", "", "", "召开启动会"),
    ("完成自评", date(2022, 5, 10), "", "", "", 72.5, ""),
    ("取得证书", date(2022, 7, 20), "", "{n}-1", "", "", ""),
    ("申请评审", date(2022, 6, 1), "", "", "", "", ""),
    ("评审通过", date(2022, 7, 1), "三级", "", "", "78分", ""),
    ("年度自评", date(2023, 12, 1), "", "", "", "81.0", ""),
    ("申请评审", date(2025, 4, 1), "", "", "", "", "换证评审"),
    ("评审通过", date(2025, 5, 1), "小微达标", "", "", 88, ""),
    ("换发证书", date(2025, 5, 20), "", "{n}-2", date(2028, 5, 31), "", ""),
    ("年度自评", date(2025, 11, 30), "", "", "", "", ""),
]


def history_rows(uscc, prefix):
    return [
        [uscc, kind, on, grade, number.format(n=prefix), expires, score, note]
        for kind, on, grade, number, expires, score, note in HISTORY
    ]


def snapshot(enterprise, prefix):
    """Everything a case page shows, with certificate numbers made comparable."""
    case = Case.objects.get(enterprise=enterprise)
    events = [
        (e.kind, e.on, e.state_after, e.grade, e.score, e.note, e.actor_id)
        for e in case.events.order_by("on", "id")
    ]
    certificates = [
        (
            c.number.removeprefix(prefix),
            c.grade,
            c.issued_on,
            c.expires_on,
            c.replaces.number.removeprefix(prefix) if c.replaces else None,
        )
        for c in case.certificates.order_by("issued_on")
    ]
    logs = [
        (log.action, log.note, log.changes, log.actor_id)
        for log in ChangeLog.objects.filter(
            object_type="cases.case", enterprise=enterprise
        ).order_by("id")
    ]
    state = (case.state, case.state_since, case.started_on, case.flagged)
    return state, events, certificates, logs


SENT = {"proxy_for": "历史导入"}  # a station enters the grading authority's decisions as 代录


def test_a_valid_history_imports_exactly_as_the_ui_services_record_it(
    station_officer, minan_enterprise, minan_two, tmp_path
):
    path = workbook(tmp_path / "进度.xlsx", history_rows(minan_enterprise.uscc, "IMP"))
    outcome = import_progress(path, user=station_officer)
    assert (outcome.total, outcome.created, outcome.invalid, outcome.written) == (10, 10, 0, True)
    assert outcome.errors == []

    record_steps(
        minan_two,
        (K.START, date(2022, 3, 1), {"note": "召开启动会"}),
        (K.SELF_ASSESSED, date(2022, 5, 10), {"score": "72.5"}),
        (K.APPLY, date(2022, 6, 1)),
        (K.REVIEW_PASS, date(2022, 7, 1), {"grade": "level3", "score": 78} | SENT),
        (
            K.CERTIFICATE,
            date(2022, 7, 20),
            {"certificate": CertificateData(number="UI-1")} | SENT,
        ),
        (K.ANNUAL, date(2023, 12, 1), {"score": "81.0"}),
        (K.APPLY, date(2025, 4, 1), {"note": "换证评审"}),
        (K.REVIEW_PASS, date(2025, 5, 1), {"grade": "micro", "score": 88} | SENT),
        (
            K.RENEWAL,
            date(2025, 5, 20),
            {"certificate": CertificateData(number="UI-2", expires_on=date(2028, 5, 31))} | SENT,
        ),
        (K.ANNUAL, date(2025, 11, 30)),
        actor=station_officer,
    )
    imported, by_hand = snapshot(minan_enterprise, "IMP"), snapshot(minan_two, "UI")
    assert imported == by_hand
    state, _, certificates, _ = imported
    assert state == (CaseState.CERTIFIED, date(2025, 11, 30), date(2022, 3, 1), False)
    assert certificates == [
        ("-1", "level3", date(2022, 7, 20), date(2025, 7, 19), None),
        ("-2", "micro", date(2025, 5, 20), date(2028, 5, 31), "-1"),
    ]
    assert set(
        CaseEvent.objects.filter(case__enterprise=minan_enterprise).values_list("source", flat=True)
    ) == {"import"}
    proxies = CaseEvent.objects.filter(case__enterprise=minan_enterprise).exclude(proxy_for="")
    assert sorted(proxies.values_list("kind", flat=True)) == sorted(
        [K.REVIEW_PASS, K.CERTIFICATE, K.REVIEW_PASS, K.RENEWAL]
    )


def test_an_illegal_order_is_rejected_with_row_numbers_and_writes_nothing(
    station_officer, minan_enterprise, minan_two, tmp_path
):
    earlier = make_enterprise()
    record_steps(earlier, (K.APPLY, date(2025, 5, 1)))
    before = counts()
    rows = [
        [minan_enterprise.uscc, "启动创建", date(2025, 1, 10), "", "", "", "", ""],  # row 3
        [minan_enterprise.uscc, "取得证书", date(2025, 3, 1), "", "C-1", "", "", ""],  # row 4
        [minan_enterprise.uscc, "年度自评", date(2025, 11, 1), "", "", "", "", ""],  # row 5
        [minan_two.uscc, "申请评审", date(2025, 2, 1), "", "", "", "", ""],  # row 6: fine
        [minan_two.uscc, "评审通过", date(2025, 3, 1), "小微达标", "", "", "", ""],  # row 7
        [earlier.uscc, "完成自评", date(2025, 4, 1), "", "", "", "", ""],  # row 8
    ]
    outcome = import_progress(workbook(tmp_path / "乱序.xlsx", rows), user=station_officer)
    assert where(outcome) == [(4, "事项"), (5, "事项"), (8, "日期")]
    messages = [e.message for e in outcome.errors]
    assert "取得证书之前须有“评审通过”记录" in messages[0]
    assert messages[1] == "同一企业的第4行有误,该企业此后的记录未予处理"
    assert "早于上一条记录“申请评审”(2025-05-01)" in messages[2]
    assert (outcome.invalid, outcome.created, outcome.written) == (3, 0, False)
    assert counts() == before


def test_every_kind_of_problem_names_its_row_column_and_reason(
    station_officer, minan_enterprise, tmp_path
):
    started = make_enterprise()
    certifiable = make_enterprise()
    record_steps(certifiable, (K.APPLY, date(2025, 1, 5)))
    rows = [
        [make_uscc(), "启动创建", date(2025, 1, 10), "", "", "", "", ""],  # 3: unknown USCC
        [minan_enterprise.uscc, "开会", date(2025, 1, 10), "", "", "", "", ""],  # 4: 事项
        [started.uscc, "启动创建", "2025年13月1日", "", "", "", "", ""],  # 5: date
        [certifiable.uscc, "评审通过", date(2025, 2, 1), "特级", "", "", "", ""],  # 6: grade
        [certifiable.uscc, "取得证书", date(2025, 2, 9), "", "", "", "", ""],  # 7: skipped
    ]
    outcome = import_progress(workbook(tmp_path / "错.xlsx", rows), user=station_officer)
    assert where(outcome) == [
        (3, "统一社会信用代码"),
        (4, "事项"),
        (5, "日期"),
        (6, "等级"),
        (7, "事项"),
    ]
    text = [e.message for e in outcome.errors]
    assert "系统中没有该统一社会信用代码的企业" in text[0]
    assert "“开会”不是可选值(启动创建、完成自评、申请评审" in text[1]
    assert "无法识别的日期" in text[2]
    assert "等级“特级”不在本地等级规则中(可选:一级、二级、三级、小微达标)" == text[3]

    rows = [
        [certifiable.uscc, "评审通过", date(2025, 2, 1), "小微", "", "", "", ""],
        [certifiable.uscc, "取得证书", date(2025, 2, 9), "", " ", "", "", ""],  # no number
    ]
    outcome = import_progress(workbook(tmp_path / "无编号.xlsx", rows), user=station_officer)
    assert [(e.row, e.column, e.message) for e in outcome.errors] == [
        (4, "证书编号", "发证须填写证书编号")
    ]
    assert CaseEvent.objects.filter(case__enterprise=certifiable).count() == 1


def test_a_reimport_of_the_same_gb18030_csv_creates_nothing(
    station_officer, minan_enterprise, tmp_path
):
    uscc = minan_enterprise.uscc
    text = (  # header variants, as other stations spell them
        "信用代码,进度事项,办理日期,证书等级,证书号,证书有效期至,评审得分,说明\n"
        f"{uscc},申请评审,2024/3/1,,,,,\n"
        f"{uscc},评审通过,2024-04-01,小微达标,,,76.5%,\n"
        f"{uscc},发证,2024年4月20日,,安标-2024-7,,,\n"
        f"{uscc},撤销证书,2025.06.30,,,,,发生较大事故\n"
    )
    path = tmp_path / "进度.csv"
    path.write_bytes(text.encode("gb18030"))
    first = import_progress(path, user=station_officer)
    assert (first.created, first.unchanged, first.invalid) == (4, 0, 0)
    case = Case.objects.get(enterprise=minan_enterprise)
    assert (case.state, case.flagged) == (CaseState.REVOKED, True)
    certificate = Certificate.objects.get(number="安标-2024-7")
    assert (certificate.end_kind, certificate.end_reason) == ("revoked", "发生较大事故")
    assert CaseEvent.objects.get(kind=K.REVIEW_PASS).score == 76.5
    before = counts()
    again = import_progress(path, user=station_officer)
    assert (again.created, again.unchanged, again.invalid, again.written) == (0, 4, 0, True)
    assert counts() == before


def test_skip_invalid_keeps_valid_enterprises_and_stops_a_broken_one_at_its_error(
    station_officer, minan_enterprise, minan_two, tmp_path
):
    a, b = minan_enterprise.uscc, minan_two.uscc
    rows = [
        [a, "申请评审", date(2025, 1, 5), "", "", "", "", ""],  # 3: written
        [b, "启动创建", date(2025, 1, 6), "", "", "", "", ""],  # 4: written
        [a, "取得证书", date(2025, 2, 5), "", "X-1", "", "", ""],  # 5: no passed review
        [a, "申请评审", date(2025, 3, 5), "", "", "", "", ""],  # 6: skipped, said so
        [b, "完成自评", date(2025, 2, 6), "", "", "", 65, ""],  # 7: written
    ]
    path = workbook(tmp_path / "部分.xlsx", rows)
    strict = import_progress(path, user=station_officer)
    assert (strict.written, strict.created, strict.invalid) == (False, 0, 2)
    assert not CaseEvent.objects.exists()

    outcome = import_progress(path, user=station_officer, skip_invalid=True)
    assert (outcome.created, outcome.unchanged, outcome.invalid, outcome.written) == (3, 0, 2, True)
    assert [(e.row, e.column, e.message) for e in outcome.errors] == [
        (5, "事项", "当前状态为“已申请评审”,不能记录“取得证书”:取得证书之前须有“评审通过”记录"),
        (6, "事项", "同一企业的第5行有误,该企业此后的记录未予处理"),
    ]
    assert Case.objects.get(enterprise=minan_enterprise).state == CaseState.APPLIED
    assert Case.objects.get(enterprise=minan_two).state == CaseState.SELF_ASSESSED


def test_a_station_of_another_subdistrict_cannot_import_minan_events(
    other_station_officer, minan_enterprise, xindian_enterprise, tmp_path
):
    rows = [
        [minan_enterprise.uscc, "启动创建", date(2025, 1, 10), "", "", "", "", ""],
        [xindian_enterprise.uscc, "启动创建", date(2025, 1, 10), "", "", "", "", ""],
    ]
    path = workbook(tmp_path / "越界.xlsx", rows)
    outcome = import_progress(path, user=other_station_officer)
    assert [(e.row, e.column, e.message) for e in outcome.errors] == [
        (3, "统一社会信用代码", "该企业不在您的管辖范围内,不能导入其创建进度")
    ]
    assert not Case.objects.exists()
    import_progress(path, user=other_station_officer, skip_invalid=True)
    assert list(Case.objects.values_list("enterprise", flat=True)) == [xindian_enterprise.pk]


def test_the_cli_prints_json_and_exits_non_zero_on_errors(
    station_officer, minan_enterprise, tmp_path, capsys
):
    good = [minan_enterprise.uscc, "启动创建", date(2025, 1, 10), "", "", "", "", ""]
    bad = [minan_enterprise.uscc, "评审通过", date(2025, 2, 10), "三级", "", "", "", ""]
    path = workbook(tmp_path / "cli.xlsx", [good, bad])
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_progress", str(path), "--as", "minan", "--json")
    assert exit_info.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "total": 2,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
        "written": False,
        "errors": [
            {
                "row": 4,
                "column": "事项",
                "message": "当前状态为“创建中”,不能记录“评审通过”:评审结果之前须有“申请评审”记录",
            }
        ],
        "warnings": [],
        "ignored_columns": [],
        "missing_columns": [],
        "new_communities": [],
    }
    assert not CaseEvent.objects.exists()

    call_command("import_progress", str(path), "--as", "minan", "--skip-invalid", "--dry-run")
    out = capsys.readouterr().out
    assert "第4行「事项」" in out and "新增 1,更新 0,无变化 0,错误 1,提示 0(试运行,未写入)" in out
    assert not CaseEvent.objects.exists()

    call_command("import_progress", str(path), "--as", "minan", "--skip-invalid", "--json")
    assert json.loads(capsys.readouterr().out)["written"] is True  # exit code 0
    call_command("import_progress", str(path), "--skip-invalid")  # no --as: the system
    assert "新增 0,更新 0,无变化 1,错误 1" in capsys.readouterr().out
    assert CaseEvent.objects.get().actor == station_officer


def test_the_cli_refuses_an_unreadable_file_and_a_user_without_the_right(
    station_officer, district_officer, tmp_path
):
    path = tmp_path / "无表头.csv"
    path.write_text("名称,地址\n某公司,某地\n", encoding="utf-8")
    with pytest.raises(CommandError, match="没有找到表头行"):
        call_command("import_progress", str(path), "--as", "minan")
    with pytest.raises(CommandError, match="没有创建进度导入的权限"):
        call_command("import_progress", str(path), "--as", "district")
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("import_progress", str(tmp_path / "nowhere.xlsx"))


def test_the_web_flow_previews_then_confirms(login, station_officer, minan_enterprise, tmp_path):
    client = login(station_officer)
    listing = client.get(reverse("imports:list")).content.decode()
    assert reverse("imports:upload", args=["progress"]) in listing and "导入创建进度" in listing
    template = client.get(reverse("imports:template", args=["progress"]))
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(template.streaming_content)))
    header = book.get_sheet_by_index(0).to_python()[0]
    assert header[:3] == ["统一社会信用代码*", "事项*", "日期*"] and "得分" in header

    rows = history_rows(minan_enterprise.uscc, "WEB")[:5]
    path = workbook(tmp_path / "网页.xlsx", rows)
    response = client.post(
        reverse("imports:upload", args=["progress"]),
        {"file": SimpleUploadedFile("进度.xlsx", path.read_bytes())},
    )
    job = ImportJob.objects.get()
    assert response.url == reverse("imports:detail", args=[job.pk])
    assert (job.kind, job.status, job.created_count, job.invalid_count) == (
        "progress",
        "checked",
        5,
        0,
    )
    assert not CaseEvent.objects.exists()  # the preview writes nothing
    assert "确认导入" in client.get(response.url).content.decode()
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done"
    case = Case.objects.get(enterprise=minan_enterprise)
    assert case.state == CaseState.CERTIFIED
    assert set(case.events.values_list("actor", flat=True)) == {station_officer.pk}


def test_the_web_preview_shows_row_errors_and_cannot_be_confirmed(
    login, station_officer, minan_enterprise, tmp_path
):
    client = login(station_officer)
    rows = [[minan_enterprise.uscc, "取得证书", date(2025, 3, 1), "", "C-9", "", "", ""]]
    path = workbook(tmp_path / "错.xlsx", rows)
    response = client.post(
        reverse("imports:upload", args=["progress"]),
        {"file": SimpleUploadedFile("错.xlsx", path.read_bytes())},
    )
    page = client.get(response.url).content.decode()
    assert "第 3 行" in page and "取得证书之前须有“评审通过”记录" in page
    assert "确认导入" not in page
    client.post(reverse("imports:confirm", args=[ImportJob.objects.get().pk]))
    assert not CaseEvent.objects.exists() and not Certificate.objects.exists()


# The same history twice: as the system would ask for it, and as stations keep it (the grade on
# the certificate row or only a score on the review row, a failed review without a reason).
KEPT = [
    ("启动创建", date(2022, 3, 1), "", "", "", ""),
    ("申请评审", date(2022, 6, 1), "", "", "", ""),
    ("评审不通过", date(2022, 6, 20), "", "", "", "资料不全"),
    ("申请评审", date(2022, 7, 1), "", "", "", ""),
    ("评审通过", date(2022, 7, 15), "三级", "", 78, ""),
    ("取得证书", date(2022, 7, 20), "三级", "{n}-1", "", ""),
    ("申请评审", date(2025, 4, 1), "", "", "", ""),
    ("评审通过", date(2025, 5, 1), "小微达标", "", "", ""),
    ("换发证书", date(2025, 5, 20), "小微达标", "{n}-2", "", ""),
]


def kept_rows(uscc, prefix, *, as_stations_keep_it):
    rows = []
    for kind, on, grade, number, score, note in KEPT:
        if as_stations_keep_it and kind in ("评审通过", "评审不通过"):
            grade, note = "", ""
        rows.append([uscc, kind, on, grade, number.format(n=prefix), "", score, note])
    return rows


def test_a_history_as_stations_keep_it_imports_with_warnings_and_the_same_results(
    station_officer, minan_enterprise, minan_two, tmp_path
):
    from anbiao.campaigns.metrics import Scope, compute
    from anbiao.campaigns.models import Campaign
    from anbiao.enterprises.models import Enterprise

    given = workbook(
        tmp_path / "given.xlsx", kept_rows(minan_enterprise.uscc, "G", as_stations_keep_it=False)
    )
    kept = workbook(
        tmp_path / "kept.xlsx", kept_rows(minan_two.uscc, "K", as_stations_keep_it=True)
    )
    assert import_progress(given, user=station_officer).warnings == []
    outcome = import_progress(kept, user=station_officer)
    assert (outcome.total, outcome.created, outcome.invalid, outcome.written) == (9, 9, 0, True)
    assert [(w.row, w.column, w.message) for w in outcome.warnings] == [
        (5, "备注", "评审不通过未写明原因,记为“历史记录未注明原因”"),
        (7, "等级", "未填写评定等级,按得分78推定为“三级”"),
        (10, "等级", "未填写评定等级,按第11行证书的等级记为“小微达标”"),
    ]

    def results(enterprise, prefix):
        case = Case.objects.get(enterprise=enterprise)
        certificates = [
            (c.number.removeprefix(prefix), c.grade, c.issued_on, c.expires_on, c.ended_on)
            for c in case.certificates.order_by("issued_on")
        ]
        passes = list(case.events.filter(kind=K.REVIEW_PASS).values_list("grade", flat=True))
        campaign = Campaign.objects.get(slug="minan-2025")
        metrics = compute(
            Scope(campaign, Enterprise.objects.filter(pk=enterprise.pk), date(2025, 12, 31))
        )
        return case.state, certificates, passes, metrics

    assert results(minan_two, "K") == results(minan_enterprise, "G")
    fail = CaseEvent.objects.get(case__enterprise=minan_two, kind=K.REVIEW_FAIL)
    assert fail.note == "历史记录未注明原因"


def test_a_passed_review_with_nothing_to_tell_its_grade_is_recorded_as_unrecorded(
    station_officer, minan_enterprise, tmp_path
):
    rows = [
        [minan_enterprise.uscc, "启动创建", date(2024, 3, 1), "", "", "", "", ""],
        [minan_enterprise.uscc, "申请评审", date(2024, 6, 1), "", "", "", "", ""],
        [minan_enterprise.uscc, "评审通过", date(2024, 7, 1), "", "", "", "", ""],
    ]
    outcome = import_progress(workbook(tmp_path / "x.xlsx", rows), user=station_officer)
    assert (outcome.created, outcome.invalid) == (3, 0)
    assert [w.message for w in outcome.warnings] == [
        "未填写评定等级,且无法由得分或证书推定,记为“等级未记录”"
    ]


def test_state_machine_rules_stay_errors_in_a_history(station_officer, minan_enterprise, tmp_path):
    rows = [
        [minan_enterprise.uscc, "启动创建", date(2024, 3, 1), "", "", "", "", ""],
        [minan_enterprise.uscc, "取得证书", date(2024, 7, 1), "三级", "Z-1", "", "", ""],
    ]
    outcome = import_progress(workbook(tmp_path / "y.xlsx", rows), user=station_officer)
    assert (outcome.written, outcome.invalid, outcome.warnings) == (False, 1, [])
    assert outcome.errors[0].message.endswith("取得证书之前须有“评审通过”记录")


def test_the_check_finds_exactly_what_the_import_then_does_and_writes_nothing(
    station_officer, minan_enterprise, minan_two, tmp_path
):
    """The check replays every enterprise in memory: it finds exactly what the import then
    does, refused rows included, and writes nothing."""
    third = make_enterprise()
    a, b, c = minan_enterprise.uscc, minan_two.uscc, third.uscc
    rows = [
        [a, "申请评审", date(2025, 1, 5), "", "", "", "", ""],
        [b, "启动创建", date(2025, 1, 6), "", "", "", "", ""],
        [a, "取得证书", date(2025, 2, 5), "", "X-1", "", "", ""],  # no passed review
        [c, "申请评审", date(2025, 1, 7), "", "", "", "", ""],
        [c, "评审通过", date(2025, 2, 7), "小微达标", "", "", "", ""],
        [c, "取得证书", date(2025, 3, 7), "", "X-2", "", "", ""],
        [b, "完成自评", date(2025, 2, 6), "", "", "", 65, ""],
    ]
    path = workbook(tmp_path / "分批.xlsx", rows)
    before = counts()
    check = import_progress(path, user=station_officer, dry_run=True, skip_invalid=True)
    assert counts() == before
    done = import_progress(path, user=station_officer, skip_invalid=True)
    assert (check.created, check.invalid, where(check)) == (6, 1, [(5, "事项")])
    assert (done.created, done.invalid, where(done), done.written) == (6, 1, [(5, "事项")], True)


def test_one_certificate_number_for_two_enterprises_is_refused_by_the_check(
    station_officer, minan_enterprise, minan_two, tmp_path
):
    """Certificate numbers are unique across enterprises: the check, which tries enterprises
    in separate transactions, finds a number used twice in the file from the file itself."""
    rows = [
        [uscc, kind, on, grade, number, "", "", ""]
        for uscc in (minan_enterprise.uscc, minan_two.uscc)
        for kind, on, grade, number in (
            ("申请评审", date(2025, 1, 5), "", ""),
            ("评审通过", date(2025, 2, 5), "小微达标", ""),
            ("取得证书", date(2025, 3, 5), "", "XA-2025-001"),
        )
    ]
    path = workbook(tmp_path / "重号.xlsx", rows)
    for dry_run in (True, False):
        outcome = import_progress(path, user=station_officer, dry_run=dry_run)
        assert [(e.row, e.column, e.message) for e in outcome.errors] == [
            (8, "证书编号", "证书编号“XA-2025-001”与第5行重复")
        ]
        assert not outcome.written
    assert not Certificate.objects.exists()
