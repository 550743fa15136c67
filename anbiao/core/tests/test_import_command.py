"""`anbiao import KIND FILE`: every registered kind answers with the same options, exit codes and
JSON shape (docs/cli.md), and `--map` names a header the file spells its own way."""

import json

import pytest
from django.core.management import CommandError, call_command

from anbiao.agencies.models import Agency, Expert

pytestmark = pytest.mark.django_db

KEYS = {"errors", "warnings", "ignored_columns", "total", "created", "written"}

FILES = {
    "agency": (
        "机构名称,联系人,联系电话\n厦门安泰安全技术咨询有限公司,林工,0592-5550001\n,王工,0592-5550002\n",
        Agency,
    ),
    "expert": ("姓名,联系电话,工作单位\n曾国庆,13900000001,厦门大学\n陈立,,集美大学\n", Expert),
}


def run(capsys, *args) -> tuple[int, dict]:
    code = 0
    try:
        call_command("import", *args, "--as", "minan", "--json")
    except SystemExit as exit_:
        code = exit_.code
    except CommandError as error:  # what the console shows, with its exit code
        code = error.returncode
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_each_kind_refuses_a_file_with_a_bad_row_then_skips_it_on_request(
    kind, station_officer, tmp_path, capsys
):
    text, model = FILES[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")

    code, refused = run(capsys, kind, str(path))
    assert code == 1
    assert KEYS <= set(refused)
    assert (refused["total"], refused["written"], len(refused["errors"])) == (2, False, 1)
    assert refused["errors"][0]["row"] == 3  # the header is row 1
    assert not model.objects.exists()

    code, skipped = run(capsys, kind, str(path), "--skip-invalid")
    assert code == 0
    assert (skipped["created"], skipped["written"]) == (1, True)
    assert model.objects.count() == 1


def test_a_header_spelt_another_way_is_mapped_with_map(station_officer, tmp_path, capsys):
    path = tmp_path / "experts.csv"
    path.write_text("人员,号码\n曾国庆,13900000001\n", encoding="utf-8")
    code, unmapped = run(capsys, "expert", str(path), "--dry-run")
    assert code == 2  # without a mapping the required columns are missing
    assert "缺少必需的列“姓名、联系电话”" in unmapped["error"]
    assert not Expert.objects.exists()

    code, mapped = run(capsys, "expert", str(path), "--map", "人员=姓名", "--map", "号码=联系电话")
    assert code == 0
    assert mapped["created"] == 1
    assert Expert.objects.get().phone == "13900000001"


def test_an_unknown_kind_is_refused_in_chinese(station_officer, tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(Exception, match="未知的导入类型"):
        call_command("import", "nothing", str(path), "--as", "minan")
