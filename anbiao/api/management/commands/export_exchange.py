from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.api.exchange import export_package
from anbiao.core.importing import CellError, parse_date


class Command(BaseCommand):
    help = "导出某区域截至某日的数据交换包(zip:各实体的 JSON Lines 文件和带校验和的清单)。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="统计日期,默认今天,如 2025-12-31")
        parser.add_argument("--region", required=True, help="区划代码,如 350213007(民安街道)")
        parser.add_argument("-o", "--output", required=True, help="输出文件路径(.zip)")

    def handle(self, *args, **options):
        try:
            on = parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"没有区划代码为“{options['region']}”的区域")
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        try:
            manifest = export_package(region=region, on=on, path=output)
        except ValidationError as exc:
            raise CommandError(";".join(exc.messages)) from exc
        counts = ",".join(
            f"{name.removesuffix('.jsonl')} {entry['count']}"
            for name, entry in manifest["files"].items()
        )
        self.stdout.write(
            self.style.SUCCESS(f"已导出{region.name}截至{on}的交换包到 {output}:{counts}")
        )
