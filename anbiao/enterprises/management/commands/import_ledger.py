import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from anbiao.accounts.models import User
from anbiao.core.importing import ImportFileError, parse_date
from anbiao.enterprises.importers import import_ledger


class Command(BaseCommand):
    help = "从 .xlsx/.xls/.csv 导入企业台账(按统一社会信用代码新增或更新)。默认全部通过才写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="台账文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查,不写入")
        parser.add_argument("--skip-invalid", action="store_true", help="写入正确的行,报告错误行")
        parser.add_argument("--json", action="store_true", help="以JSON输出结果和错误明细")
        parser.add_argument("--as", dest="username", help="以该用户的身份和管辖范围导入")
        parser.add_argument("--effective-date", help="变化的生效日期(默认今天),如 2025-08-31")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在:{path}")
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"没有名为“{options['username']}”的有效用户")
        on = parse_date(options["effective_date"]) if options["effective_date"] else None
        try:
            outcome = import_ledger(
                path,
                user=user,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                effective_on=on or timezone.localdate(),
            )
        except ImportFileError as exc:
            if options["json"]:
                self.stdout.write(json.dumps({"error": str(exc)}, ensure_ascii=False))
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False, indent=2))
        else:
            for error in outcome.errors:
                self.stdout.write(str(error))
            mode = (
                "(试运行,未写入)"
                if options["dry_run"]
                else ("" if outcome.written else "(存在错误,未写入任何数据)")
            )
            self.stdout.write(
                f"共{outcome.total}行:新增 {outcome.created},更新 {outcome.updated},"
                f"无变化 {outcome.unchanged},错误 {outcome.invalid}{mode}"
            )
        if outcome.invalid and not options["skip_invalid"]:
            raise SystemExit(1)
