import json
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.campaigns.asknown import known_at
from anbiao.campaigns.metrics import FUTURE_DATE, METRICS, Scope
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.targets import evaluate_all, kpi_document
from anbiao.core.imports.reader import CellError, parse_date
from anbiao.enterprises.models import Enterprise


def known_at_moment(text: str) -> datetime:
    """`--known-at`: a local date (its end) or date and time; refused when unreadable."""
    try:
        if "T" in text or " " in text:
            moment = datetime.fromisoformat(text.strip())
        else:
            moment = datetime.combine(date.fromisoformat(text.strip()), time.max)
    except ValueError as exc:
        raise CommandError(
            f"--known-at“{text}”不是有效的时间(YYYY-MM-DD 或 YYYY-MM-DDTHH:MM)"
        ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


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
        parser.add_argument(
            "--known-at",
            help="只用此时刻前已录入的数据计算(YYYY-MM-DD 或 YYYY-MM-DDTHH:MM,本地时间;"
            "只写日期指当天结束时),即“按当时已知”",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        campaign = Campaign.objects.filter(slug=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"没有代号为“{options['campaign']}”的专项行动")
        try:
            on = parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        if on > timezone.localdate():
            # Metrics describe what happened; the forecast column is for the future.
            raise CommandError(FUTURE_DATE)
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
        if options["known_at"]:
            at = known_at_moment(options["known_at"])
            with known_at(at):
                self._write(campaign, scope, options, at)
        else:
            self._write(campaign, scope, options, None)

    def _write(self, campaign, scope, options, at) -> None:
        on = scope.on
        if options["json"]:
            document = kpi_document(scope)
            if at is not None:
                document["known_at"] = at.isoformat()
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
            return
        metrics, targets = evaluate_all(scope)
        known = f"  按 {timezone.localtime(at):%Y-%m-%d %H:%M} 时已知" if at else ""
        self.stdout.write(f"{campaign.name}  截至 {on}  区域:{scope.area.name}{known}")
        for key, metric in METRICS.items():
            self.stdout.write(
                f"  {metric.label:<10}{show(metrics[key], metric.is_rate):>10}   {key}"
            )
        self.stdout.write("目标:")
        for t in targets:
            when = f",预计达成 {t.forecast_date}" if t.forecast_date and t.status != "met" else ""
            now = f"当前 {show(t.value, t.target.is_rate)}"
            if t.days_left < 0:
                now = f"期限时 {show(t.deadline_value, t.target.is_rate)} · {now}"
            self.stdout.write(
                f"  [{t.status_label}] {t.target.label}:{now},"
                f"目标 {show(t.threshold, t.target.is_rate)},期限 {t.target.deadline}{when}"
            )
