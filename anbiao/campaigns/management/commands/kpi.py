import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.campaigns.choices import METRICS
from anbiao.campaigns.metrics import Scope
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.targets import evaluate_all, kpi_document
from anbiao.core.importing import CellError, parse_date
from anbiao.enterprises.models import Enterprise


def show(value, is_rate: bool) -> str:
    if value is None:
        return "不适用"
    return f"{value * 100:.1f}%" if is_rate else f"{value:g}"


class Command(BaseCommand):
    help = "计算专项行动在某日的各项指标和目标状态(--json 输出JSON)。"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="专项行动代号,如 minan-2025")
        parser.add_argument("--as-of", help="统计日期,默认今天")
        parser.add_argument("--region", help="区划代码(限于专项行动的实施区域内)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        campaign = Campaign.objects.filter(slug=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"没有代号为“{options['campaign']}”的专项行动")
        try:
            on = parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"没有区划代码为“{options['region']}”的区域")
            if not region.path.startswith(campaign.region.path):
                raise CommandError(
                    f"{region.name}不在该专项行动的实施区域({campaign.region.name})内"
                )
        scope = Scope(campaign, Enterprise.objects.all(), on, region)
        if options["json"]:
            document = kpi_document(scope)
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
            return
        metrics, targets = evaluate_all(scope)
        self.stdout.write(f"{campaign.name}  截至 {on}  区域:{scope.area.name}")
        for key, (label, is_rate) in METRICS.items():
            self.stdout.write(f"  {label:<10}{show(metrics[key], is_rate):>10}   {key}")
        self.stdout.write("目标:")
        for t in targets:
            when = f",预计达成 {t.forecast_date}" if t.forecast_date and t.status != "met" else ""
            if t.days_left < 0:
                when = f",期限时为 {show(t.deadline_value, t.target.is_rate)}"
            self.stdout.write(
                f"  [{t.status_label}] {t.target.label}:当前 {show(t.value, t.target.is_rate)},"
                f"目标 {show(t.threshold, t.target.is_rate)},期限 {t.target.deadline}{when}"
            )
