"""`anbiao backup -o FILE`: the database and every uploaded file in one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from anbiao.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库和全部上传文件到一个归档文件(含清单:各表行数、各文件 SHA-256)"

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="归档文件路径(.tar.gz)")

    def handle(self, *args, output, **options):
        try:
            manifest = backup(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest.tables.values())
        self.stdout.write(
            f"已备份到 {output}:{manifest.engine} 数据库 {len(manifest.tables)} 张表 "
            f"{rows} 行,文件 {len(manifest.files)} 个"
        )
