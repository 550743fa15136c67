"""The `anbiao import KIND FILE` command (and its aliases import-ledger, import-progress): every
registered import kind from the command line, with the same options, exit codes and JSON shape
(docs/cli.md)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.models import User
from anbiao.core import audit
from anbiao.core.imports import registry
from anbiao.core.imports.jobs import retry_when_locked
from anbiao.core.imports.reader import CellError, ImportFileError, header_key, parse_date
from anbiao.core.imports.signals import rows_imported
from anbiao.core.models import ImportJob

EXIT_INVALID_ROWS = 1  # rows were refused and --skip-invalid was not given: nothing written
EXIT_UNREADABLE = 2  # the file, a user or an option is wrong: nothing written


def parse_mapping(pairs: list[str], kind: str) -> dict[str, str]:
    """`表头=字段` pairs; 字段 is a column's key or label, or 忽略 to ignore the header."""
    columns = registry.get(kind).columns
    by_name = {header_key(c.label): c.key for c in columns} | {c.key: c.key for c in columns}
    mapping = {}
    for pair in pairs:
        header, sep, target = pair.partition("=")
        if not sep or not header.strip():
            raise CommandError(f"--map 的格式应为“表头=字段”:{pair}", returncode=EXIT_UNREADABLE)
        target = target.strip()
        if target in ("忽略", ""):
            mapping[header.strip()] = ""
        elif header_key(target) in by_name:
            mapping[header.strip()] = by_name[header_key(target)]
        else:
            names = "、".join(c.label for c in columns)
            raise CommandError(
                f"--map:没有名为“{target}”的字段(可选:{names},或“忽略”)",
                returncode=EXIT_UNREADABLE,
            )
    return mapping


class Command(BaseCommand):
    help = (
        "从 .xlsx/.xls/.csv 导入数据:KIND 为导入类型(ledger 企业台账、progress 创建进度、"
        "survey 摸排结果、training 培训签到、agency 第三方机构、expert 专家)。"
        "默认全部行正确才写入。"
    )
    kind: str | None = None  # set by the aliases (import-ledger, import-progress)

    def add_arguments(self, parser):
        if self.kind is None:
            parser.add_argument("kind", help="导入类型:" + "、".join(sorted(registry.KINDS)))
        parser.add_argument("file", help="文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查,不写入")
        parser.add_argument("--skip-invalid", action="store_true", help="写入正确的行,报告错误行")
        parser.add_argument("--json", action="store_true", help="以JSON输出结果、错误和提示")
        parser.add_argument("--as", dest="username", help="以该用户的身份和管辖范围导入")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="表头=字段",
            help="把文件中的表头对应到字段(字段写列名或“忽略”),可重复",
        )
        parser.add_argument("--effective-date", help="变化的生效日期(默认今天),如 2025-08-31")
        parser.add_argument("--target", type=int, help="摸排轮次或培训场次的编号(摸排、签到导入)")

    def fail(self, message: str, options) -> None:
        if options["json"]:
            self.stdout.write(json.dumps({"error": message}, ensure_ascii=False))
        raise CommandError(message, returncode=EXIT_UNREADABLE)

    def handle(self, *args, **options):
        kind = self.kind or options["kind"]
        if kind not in registry.KINDS:
            self.fail(f"未知的导入类型“{kind}”(可选:{'、'.join(sorted(registry.KINDS))})", options)
        spec = registry.get(kind)
        path = Path(options["file"])
        if not path.is_file():
            self.fail(f"文件不存在:{path}", options)
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                self.fail(f"没有名为“{options['username']}”的有效用户", options)
            if not perms.has_perm(user, spec.permission):
                label = ImportJob.Kind(kind).label
                self.fail(f"用户“{user.username}”没有{label}导入的权限", options)
        if spec.targeted and not options["target"]:
            self.fail("该类导入须用 --target 指定摸排轮次或培训场次的编号", options)
        try:
            on = parse_date(options["effective_date"]) if options["effective_date"] else None
        except CellError as exc:
            self.fail(f"--effective-date:{exc}", options)
        mapping = parse_mapping(options["map"], kind)
        try:
            with audit.source(f"命令行导入({path.name})"[:60]):
                outcome = retry_when_locked(
                    spec.runner,
                    path,
                    user=user,
                    filename=path.name,
                    dry_run=options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                    effective_on=on or timezone.localdate(),
                    target_id=options["target"],
                    mapping=mapping or None,
                )
        except ImportFileError as exc:
            self.fail(str(exc), options)
        if outcome.written and not options["dry_run"]:
            rows_imported.send(sender=kind)
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False, indent=2))
        else:
            for notice in outcome.notices():
                self.stdout.write(notice)
            for error in outcome.errors:
                self.stdout.write(str(error))
            for warning in outcome.warnings:
                self.stdout.write(f"提示 {warning}")
            mode = (
                "(试运行,未写入)"
                if options["dry_run"]
                else ("" if outcome.written else "(存在错误,未写入任何数据)")
            )
            self.stdout.write(
                f"共{outcome.total}行:新增 {outcome.created},更新 {outcome.updated},"
                f"无变化 {outcome.unchanged},错误 {outcome.invalid},"
                f"提示 {len(outcome.warnings)}{mode}"
            )
        if outcome.invalid and not options["skip_invalid"]:
            raise SystemExit(EXIT_INVALID_ROWS)
