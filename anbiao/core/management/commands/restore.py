"""`anbiao restore FILE`: an archive made by `anbiao backup`, into an empty database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from anbiao.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "从 anbiao backup 生成的归档恢复数据库和上传文件(目标数据库和文件目录须为空)"
    requires_system_checks = []  # the empty database has no tables for checks to read

    def add_arguments(self, parser):
        parser.add_argument("archive", help="anbiao backup 生成的归档文件")

    def handle(self, *args, archive, **options):
        connections.close_all()  # the restore writes the database outside Django
        try:
            manifest = restore(Path(archive))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest.tables.values())
        self.stdout.write(
            f"已恢复 {archive}(备份于 {manifest.created_at}):{len(manifest.tables)} 张表 "
            f"{rows} 行,文件 {len(manifest.files)} 个,均已与清单核对一致"
        )
