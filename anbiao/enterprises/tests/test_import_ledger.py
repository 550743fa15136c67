"""The ledger import: messy real-world workbooks in, exact rows out, errors by Excel row."""

import json
from datetime import date

import pytest
import xlsxwriter
from django.core.management import call_command

from anbiao.core.imports.reader import read_table
from anbiao.core.models import ChangeLog
from anbiao.enterprises.choices import FactKind, Size
from anbiao.enterprises.importers import COLUMNS, import_ledger
from anbiao.enterprises.models import Enterprise, EnterpriseFact
from anbiao.testing.factories import make_enterprise, make_uscc

pytestmark = pytest.mark.django_db
ON = date(2026, 3, 1)
HEADER = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属镇街",
    "行业",
    "企业规模",
    "从业人数",
    "主要负责人",
    "联系电话",
    "纳入台账日期",
    "是否符合创建条件",
    "不符合原因",
    "重点风险",
]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in text)


def messy_workbook(path, codes):
    """Title and merged cells, a 填报单位 line, a blank row, a footer, mixed-width USCCs, a
    duplicate, a bad check character, phone numbers as numbers, date serials."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, len(HEADER) - 1, "应创安全生产标准化非火炬高新区小微企业情况统计表")
    sheet.merge_range(1, 0, 1, 5, "填报单位(盖章):民安街道安监站")
    sheet.write_row(2, 0, HEADER)
    rows = [
        # Excel row 4: a normal row, date as a real date cell, phone as a number
        [
            1,
            "厦门恒兴机械有限公司",
            codes[0],
            "民安街道",
            "机械",
            "小型",
            45,
            "陈志明",
            13800000001,
            date(2025, 2, 28),
            "是",
            "",
            "粉尘涉爆",
        ],
        # row 5: full-width, lower-case USCC with spaces; 微型企业; date serial number; √
        [
            2,
            "厦门鑫泰食品有限公司",
            " " + full_width(codes[1].lower()),
            "民安街道",
            "轻工",
            "微型企业",
            "8",
            "林建华",
            "13900000002",
            45716,
            "√",
            "",
            "",
        ],
        None,  # row 6: blank
        # row 7: the same USCC as row 4
        [
            3,
            "厦门重复机械有限公司",
            codes[0],
            "民安街道",
            "机械",
            "小型",
            30,
            "黄",
            "",
            "",
            "是",
            "",
            "",
        ],
        # row 8: bad check character
        [
            4,
            "厦门坏码有限公司",
            codes[2][:-1] + ("0" if codes[2][-1] != "0" else "1"),
            "民安街道",
            "机械",
            "小型",
            30,
            "",
            "",
            "",
            "否",
            "仅办公",
            "",
        ],
        # row 9: a valid micro enterprise that is not eligible, text date
        [
            5,
            "厦门宏达纺织有限公司",
            codes[3],
            "民安街道",
            "纺织",
            "微型",
            "5",
            "张三",
            "0592-7123456",
            "2025年9月1日",
            "×",
            "拟搬迁",
            "有限空间作业、粉尘涉爆",
        ],
    ]
    for offset, row in enumerate(rows):
        if row is None:
            continue
        for col, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(3 + offset, col, value, date_format)
            elif value != "":
                sheet.write(3 + offset, col, value)
    sheet.write(10, 0, "填表人:林志明        审核人:          联系电话:0592-7000000")
    book.close()


@pytest.fixture
def messy(tmp_path):
    codes = [make_uscc() for _ in range(4)]
    path = tmp_path / "台账.xlsx"
    messy_workbook(path, codes)
    return path, codes


def test_a_messy_workbook_reports_exactly_the_bad_rows_by_excel_row(station_officer, messy):
    path, codes = messy
    outcome = import_ledger(path, user=station_officer, effective_on=ON)
    assert not outcome.written and not Enterprise.objects.exists()
    assert [(e.row, e.column) for e in outcome.errors] == [
        (7, "统一社会信用代码"),
        (8, "统一社会信用代码"),
    ]
    assert "与第4行重复" in outcome.errors[0].message
    assert "校验位错误" in outcome.errors[1].message
    assert (outcome.total, outcome.invalid) == (5, 2)


def test_skip_invalid_imports_the_good_rows_exactly(station_officer, messy):
    path, codes = messy
    outcome = import_ledger(path, user=station_officer, effective_on=ON, skip_invalid=True)
    assert (outcome.created, outcome.invalid, outcome.written) == (3, 2, True)
    first = Enterprise.objects.get(uscc=codes[0])
    assert first.principal_phone == "13800000001"
    assert first.ledger_since == date(2025, 2, 28)
    assert [t.name for t in first.risk_tags.all()] == ["粉尘涉爆"]
    second = Enterprise.objects.get(uscc=codes[1])
    assert (second.size, second.ledger_since, second.eligible) == (
        Size.MICRO,
        date(2025, 2, 28),
        True,
    )
    third = Enterprise.objects.get(uscc=codes[3])
    assert (third.eligible, third.eligibility_reason) == (False, "拟搬迁")
    assert third.ledger_since == date(2025, 9, 1)
    assert third.facts.get(kind=FactKind.ELIGIBILITY).effective_on == date(2025, 9, 1)
    assert third.principal_phone == "0592-7123456".replace("-", "")
    assert not Enterprise.objects.filter(name="厦门重复机械有限公司").exists()


def test_a_reimport_is_a_no_op_and_an_edit_changes_only_that_field(
    station_officer, messy, tmp_path
):
    path, codes = messy
    import_ledger(path, user=station_officer, effective_on=ON, skip_invalid=True)
    facts, logs = EnterpriseFact.objects.count(), ChangeLog.objects.count()
    again = import_ledger(path, user=station_officer, effective_on=ON, skip_invalid=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (EnterpriseFact.objects.count(), ChangeLog.objects.count()) == (facts, logs)

    book = xlsxwriter.Workbook(str(tmp_path / "edited.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["企业名称", "统一社会信用代码", "企业规模", "联系电话"])
    sheet.write_row(1, 0, ["厦门恒兴机械有限公司", codes[0], "微型", "13800000001"])
    book.close()
    edited = import_ledger(tmp_path / "edited.xlsx", user=station_officer, effective_on=ON)
    assert (edited.updated, edited.unchanged) == (1, 0)
    log = ChangeLog.objects.filter(action="update").get()
    assert log.changes == [{"field": "size", "label": "企业规模", "old": "小型", "new": "微型"}]
    size_fact = (
        Enterprise.objects.get(uscc=codes[0])
        .facts.filter(kind=FactKind.SIZE)
        .latest("effective_on")
    )
    assert (size_fact.value, size_fact.effective_on) == ("micro", ON)


def test_the_same_csv_in_utf8_bom_and_gb18030_imports_identically(
    station_officer, tmp_path, reference
):
    codes = [make_uscc(), make_uscc()]
    text = (
        "企业名称,统一社会信用代码,镇街,行业,规模,从业人员数,安全管理员,安全管理员电话\n"
        f"厦门甲乙机械有限公司,{codes[0]},民安街道,机械,小型,25,王五,13700000000\n"
        f"厦门丙丁塑胶制品有限公司,{codes[1]},民安街道,轻工,微型企业,6,赵六,13700000001\n"
    )
    paths = []
    for encoding in ("utf-8-sig", "gb18030"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        paths.append(path)
    tables = [read_table(path, COLUMNS).rows for path in paths]
    assert [r.values for r in tables[0]] == [r.values for r in tables[1]]
    for path in paths:
        outcome = import_ledger(path, user=station_officer, effective_on=ON)
        assert not outcome.errors
    assert sorted(Enterprise.objects.values_list("name", "size", "safety_manager_name")) == [
        ("厦门丙丁塑胶制品有限公司", "micro", "赵六"),
        ("厦门甲乙机械有限公司", "small", "王五"),
    ]
    assert ChangeLog.objects.filter(action="update").count() == 0  # second import: no change


def test_a_station_cannot_import_into_another_subdistrict(
    station_officer, tmp_path, xindian_enterprise
):
    path = tmp_path / "x.csv"
    path.write_text(
        "企业名称,统一社会信用代码,所属镇街,行业,企业规模\n"
        f"厦门越界机械有限公司,{make_uscc()},新店街道,机械,小型\n"
        f"改名公司,{xindian_enterprise.uscc},民安街道,机械,小型\n",
        encoding="utf-8",
    )
    outcome = import_ledger(path, user=station_officer, effective_on=ON)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "所属镇街"), (3, "统一社会信用代码")]
    assert outcome.errors[1].message == "该统一社会信用代码已登记在您管辖范围以外,不能在此导入"
    xindian_enterprise.refresh_from_db()
    assert xindian_enterprise.name == "厦门新店食品有限公司"
    assert Enterprise.objects.count() == 1


def test_the_cli_prints_json_and_exits_non_zero_on_errors(station_officer, messy, capsys):
    path, _ = messy
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_ledger", str(path), "--as", "minan", "--json")
    assert exit_info.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["invalid"] == 2 and result["written"] is False
    assert result["errors"][0] == {
        "row": 7,
        "column": "统一社会信用代码",
        "message": "统一社会信用代码与第4行重复",
    }


def test_the_cli_dry_run_writes_nothing(station_officer, messy, capsys):
    path, _ = messy
    call_command("import_ledger", str(path), "--as", "minan", "--dry-run", "--skip-invalid")
    out = capsys.readouterr().out
    assert "新增 3" in out and "试运行" in out
    assert not Enterprise.objects.exists()


def test_an_existing_enterprise_blank_cells_do_not_clear_data(station_officer, tmp_path):
    enterprise = make_enterprise(principal_phone="13812345678")
    path = tmp_path / "blank.csv"
    path.write_text(
        f"企业名称,统一社会信用代码,联系电话\n{enterprise.name},{enterprise.uscc},\n",
        encoding="utf-8",
    )
    outcome = import_ledger(path, user=station_officer, effective_on=ON)
    assert outcome.unchanged == 1
    enterprise.refresh_from_db()
    assert enterprise.principal_phone == "13812345678"


def test_the_preview_offers_to_skip_the_invalid_rows_and_shows_what_they_would_leave(
    login, station_officer, messy
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from anbiao.core.models import ImportJob

    path, codes = messy
    client = login(station_officer)
    client.post(
        reverse("imports:upload", args=["ledger"]),
        {"file": SimpleUploadedFile("台账.xlsx", path.read_bytes()), "effective_on": ON},
    )
    job = ImportJob.objects.get()
    assert job.status == "check_failed"
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'id="skip-invalid-form"' in page and "跳过错误行,预览其余的行" in page
    assert 'id="confirm-form"' not in page
    client.post(reverse("imports:skip_invalid", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.skip_invalid, job.created_count, job.invalid_count) == (
        "checked",
        True,
        3,
        2,
    )
    assert not Enterprise.objects.exists()  # a preview writes nothing
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "跳过这些行,将新增 3、更新 0" in page and "跳过错误行并导入" in page
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert Enterprise.objects.count() == 3


def test_the_import_list_groups_its_buttons_under_two_menus(login, station_officer):
    from django.urls import reverse

    page = login(station_officer).get(reverse("imports:list")).content.decode()
    actions = page.split('class="btn-list"')[1].split("</div></div>", 1)[0]
    assert 'id="new-import"' in actions and 'id="import-templates"' in actions
    assert actions.count('class="btn') == 2  # two menus, not a button per kind
    assert "导入企业台账" in actions and reverse("imports:upload", args=["ledger"]) in actions


def test_a_ledger_is_written_in_batches_and_a_stopped_import_is_completed_by_running_it_again(
    station_officer, tmp_path, settings
):
    """Each batch of ANBIAO_IMPORT_WRITE_BATCH_ROWS rows is its own transaction (other writers
    get the lock between them); an import stopped after its first batch is completed by the
    same file again, which writes the rest and finds the first batch unchanged."""
    settings.ANBIAO_IMPORT_WRITE_BATCH_ROWS = 2
    header = "企业名称,统一社会信用代码,行业,企业规模\n"
    lines = [f"厦门分批{n}号机械有限公司,{make_uscc(900_000 + n)},机械,小型\n" for n in range(5)]
    first = tmp_path / "first.csv"
    first.write_text(header + "".join(lines[:2]), encoding="utf-8")  # what one batch wrote
    whole = tmp_path / "whole.csv"
    whole.write_text(header + "".join(lines), encoding="utf-8")
    assert import_ledger(first, user=station_officer, effective_on=ON).created == 2
    again = import_ledger(whole, user=station_officer, effective_on=ON)
    assert (again.created, again.unchanged, again.written) == (3, 2, True)
    assert Enterprise.objects.filter(name__startswith="厦门分批").count() == 5
    logs = ChangeLog.objects.filter(object_repr__startswith="厦门分批", action="create")
    assert logs.count() == 5  # nothing written twice


@pytest.mark.django_db(transaction=True)
def test_a_check_opens_no_transaction(station_officer, tmp_path, transactions_opened):
    """On SQLite every transaction takes the write lock: a check of a province's ledger must not
    make other users' saves wait, so it only reads."""
    existing = make_enterprise()
    path = tmp_path / "check.csv"
    path.write_text(
        "企业名称,统一社会信用代码,所属镇街,行业,企业规模\n"
        f"{existing.name},{existing.uscc},民安街道,机械,小型\n"
        f"新来机械有限公司,{make_uscc()},民安街道,机械,小型\n",
        encoding="utf-8",
    )
    opened = transactions_opened()
    outcome = import_ledger(path, user=station_officer, effective_on=ON, dry_run=True)
    assert (outcome.created, outcome.invalid) == (1, 0), outcome.errors
    assert opened == []
    assert Enterprise.objects.count() == 1


def test_a_uscc_repeated_chunks_later_names_its_first_row_and_nothing_is_written(
    station_officer, tmp_path, settings
):
    """The file is checked a chunk at a time; a USCC given again several chunks later is still
    refused with the row that first gave it, and the all-or-nothing import writes nothing."""
    settings.ANBIAO_IMPORT_WRITE_BATCH_ROWS = 2
    header = "企业名称,统一社会信用代码,行业,企业规模\n"
    codes = [make_uscc(910_000 + n) for n in range(7)]
    lines = [f"厦门重号{n}号机械有限公司,{code},机械,小型\n" for n, code in enumerate(codes)]
    lines.append(f"厦门重号再来机械有限公司,{codes[1]},机械,小型\n")
    path = tmp_path / "again.csv"
    path.write_text(header + "".join(lines), encoding="utf-8")
    outcome = import_ledger(path, user=station_officer, effective_on=ON)
    assert [(e.row, e.message) for e in outcome.errors] == [(9, "统一社会信用代码与第3行重复")]
    assert not outcome.written
    assert not Enterprise.objects.filter(name__startswith="厦门重号").exists()
