from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from anbiao.cases.standards import StandardError, load_standard, load_xlsx, parse_grades


class Command(BaseCommand):
    help = (
        "载入评定标准(YAML,或 Excel 评定项表加 --code/--version/--name),可重复执行;"
        "已被评定使用的版本不能修改,只能发布新版本。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="+",
            help="标准文件,如 reference_data/standards/gm-xiaowei.yaml 或 标准.xlsx",
        )
        parser.add_argument("--code", help="Excel:标准代码,如 xm-xiaowei")
        parser.add_argument("--standard-version", type=int, default=1, help="Excel:版本(正整数)")
        parser.add_argument("--name", help="Excel:标准名称")
        parser.add_argument("--issued-by", default="", help="Excel:发布单位")
        parser.add_argument("--grades", default="", help="Excel:等级设置,如 “达标:60”")
        parser.add_argument("--sample", action="store_true", help="Excel:标为示例标准")

    def handle(self, *args, files, **options):
        for path in files:
            try:
                if Path(path).suffix.lower() == ".xlsx":
                    result = load_xlsx(path, filename=Path(path).name, header=_header(options))
                else:
                    result = load_standard(path)
            except StandardError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(str(result)))


def _header(options) -> dict:
    if not options.get("code") or not options.get("name"):
        raise StandardError("载入 Excel 标准须指定 --code 和 --name")
    return {
        "code": options["code"],
        "version": options["standard_version"],
        "name": options["name"],
        "issued_by": options["issued_by"],
        "sample": options["sample"],
        "grades": parse_grades(options["grades"]),
    }
