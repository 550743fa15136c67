import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from anbiao.accounts import permissions as perms
from anbiao.accounts.models import User
from anbiao.cases.importers import import_progress
from anbiao.core.importing import ImportFileError


class Command(BaseCommand):
    help = (
        "从 .xlsx/.xls/.csv 导入创建进度(每行一条事项,逐家企业按日期回放)。"
        "默认全部通过才写入;已记录的事项不会重复导入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="创建进度文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查,不写入")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="写入正确的行;某企业有错误行时,跳过该企业此后的记录",
        )
        parser.add_argument("--json", action="store_true", help="以JSON输出结果和错误明细")
        parser.add_argument("--as", dest="username", help="以该用户的身份和管辖范围导入")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在:{path}")
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"没有名为“{options['username']}”的有效用户")
            if not perms.has_perm(user, perms.CASE_MANAGE):
                raise CommandError(f"用户“{user.username}”没有记录创建进度的权限")
        try:
            outcome = import_progress(
                path,
                user=user,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
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
                f"共{outcome.total}行:新增 {outcome.created},无变化 {outcome.unchanged},"
                f"错误 {outcome.invalid}{mode}"
            )
        if outcome.invalid and not options["skip_invalid"]:
            raise SystemExit(1)
