"""The filing schedule: the campaign file's `filing` key, read strictly, and the periods."""

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from anbiao.campaigns.models import Campaign
from anbiao.filings.periods import periods

pytestmark = pytest.mark.django_db
SHIPPED = Path(settings.BASE_DIR) / "reference_data" / "campaigns" / "minan-2025.yaml"
SCHEDULE = "filing: {frequency: monthly, due_days: 5}"


def test_the_shipped_campaign_files_monthly_within_five_days(reference):
    campaign = Campaign.objects.get(slug="minan-2025")
    assert (campaign.filing_frequency, campaign.filing_due_days) == ("monthly", 5)
    found = periods(campaign, date(2025, 7, 1))
    # the campaign starts 2025-03-13: March is its first period
    assert [p.key for p in found] == ["2025-03", "2025-04", "2025-05", "2025-06"]
    assert (found[-1].as_of, found[-1].due_on, found[-1].label) == (
        date(2025, 6, 30),
        date(2025, 7, 5),
        "2025年6月",
    )
    assert periods(campaign, date(2030, 1, 1))[-1].key == "2026-12"  # not beyond its end


def test_quarterly_periods(reference):
    campaign = Campaign.objects.get(slug="minan-2025")
    campaign.filing_frequency, campaign.filing_due_days = "quarterly", 10
    found = periods(campaign, date(2025, 10, 9))
    assert [(p.key, p.as_of, p.due_on) for p in found] == [
        ("2025-Q1", date(2025, 3, 31), date(2025, 4, 10)),
        ("2025-Q2", date(2025, 6, 30), date(2025, 7, 10)),
        ("2025-Q3", date(2025, 9, 30), date(2025, 10, 10)),
    ]
    campaign.filing_frequency = "none"
    assert periods(campaign, date(2026, 1, 1)) == []


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("filing: {frequency: weekly, due_days: 5}", "frequency“weekly”无效"),
        ("filing: {frequency: monthly, due_days: -1}", "due_days"),
        ("filing: {frequency: monthly, due_day: 5}", r"未知字段 \['due_day'\]"),
        ("filing: monthly", "filing 应写成"),
    ],
)
def test_a_wrong_schedule_is_refused_and_changes_nothing(reference, tmp_path, schedule, message):
    text = SHIPPED.read_text(encoding="utf-8")
    assert SCHEDULE in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(SCHEDULE, schedule), encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("load_campaign", str(bad))
    assert Campaign.objects.get(slug="minan-2025").filing_frequency == "monthly"


def test_kpi_answers_as_known_at_a_moment(reference, minan_enterprise, capsys):
    """`anbiao kpi --known-at`: the figures of a date with only what had been entered then."""
    import json

    from django.utils import timezone

    from anbiao.testing.factories import record_steps

    before = timezone.localtime().isoformat(timespec="microseconds")
    record_steps(minan_enterprise, ("start", date(2025, 5, 1)))
    args = ["kpi", "--campaign", "minan-2025", "--as-of", "2025-06-30", "--json"]
    call_command(*args)
    assert json.loads(capsys.readouterr().out)["metrics"]["started"] == 1
    call_command(*args, "--known-at", before)
    then = json.loads(capsys.readouterr().out)
    assert then["metrics"]["started"] == 0 and then["known_at"]
    call_command(*args)  # nothing of the rewind was kept
    assert json.loads(capsys.readouterr().out)["metrics"]["started"] == 1
    with pytest.raises(CommandError, match="--known-at“昨天”不是有效的时间"):
        call_command(*args, "--known-at", "昨天")
