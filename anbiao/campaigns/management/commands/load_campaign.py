from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from anbiao.campaigns.loader import load_campaign_file

OUTCOMES = {"created": "已新建", "updated": "已更新", "unchanged": "无变化"}


class Command(BaseCommand):
    help = "从YAML文件载入专项行动方案(阶段、任务、目标、分工表),可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="专项行动YAML文件")

    def handle(self, *args, **options):
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"文件不存在:{path}")
            try:
                result = load_campaign_file(path)
            except ValidationError as exc:
                raise CommandError(f"{path}:{';'.join(exc.messages)}") from exc
            self.stdout.write(self.style.SUCCESS(f"{result.slug}:{OUTCOMES[result.outcome]}"))
