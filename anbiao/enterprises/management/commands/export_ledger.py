from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.core.imports.reader import CellError, parse_date
from anbiao.core.official_forms import write_official_form
from anbiao.enterprises.ledger_export import ledger_form
from anbiao.enterprises.models import Enterprise


class Command(BaseCommand):
    help = "按统计日期导出附件3 应创安全生产标准化非火炬高新区小微企业情况统计表(.xlsx)。"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="统计日期,默认今天,如 2025-12-31")
        parser.add_argument("--region", help="区划代码,如 350213007(民安街道);默认全部")
        parser.add_argument("--unit", help="填报单位,默认“<区域>安监站”")
        parser.add_argument("-o", "--output", required=True, help="输出文件路径")

    def handle(self, *args, **options):
        try:
            on = parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"没有区划代码为“{options['region']}”的区域")
        unit = options["unit"] or (f"{region.name}安监站" if region else "安全生产标准化专班")
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        form = ledger_form(Enterprise.objects.all(), on=on, region=region, unit=unit)
        count = write_official_form(str(output), form)
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 家应创企业(截至{on})到 {output}"))
