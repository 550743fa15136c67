import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from anbiao.campaigns.models import Campaign, Target, Task

pytestmark = pytest.mark.django_db
SHIPPED = Path(settings.BASE_DIR) / "reference_data" / "campaigns" / "minan-2025.yaml"


def test_the_shipped_plan_encodes_every_date_and_target_of_the_seed(reference):
    campaign = Campaign.objects.get(slug="minan-2025")
    assert (campaign.region.name, campaign.issued_on) == ("民安街道", date(2025, 3, 13))
    assert (campaign.baseline_on, campaign.ends_on) == (date(2025, 2, 28), date(2026, 12, 31))
    targets = {(t.metric, float(t.threshold), t.deadline) for t in campaign.targets.all()}
    assert targets == {
        ("completion_rate", 0.5, date(2025, 12, 31)),
        ("benchmarks_cultivating", 1.0, date(2025, 12, 31)),
        ("benchmark_candidates", 2.0, date(2025, 10, 31)),
        ("catalog_size", 1.0, date(2026, 6, 30)),
        ("coverage_rate", 1.0, date(2026, 12, 31)),
        ("start_rate", 1.0, date(2026, 12, 31)),
        ("new_start_rate", 1.0, date(2026, 12, 31)),
        ("renewal_rate", 1.0, date(2026, 12, 31)),
    }
    deadlines = {t.deadline for t in campaign.tasks.all()}
    assert {
        date(2025, 2, 28),
        date(2025, 6, 30),
        date(2025, 7, 31),
        date(2025, 10, 31),
        date(2025, 12, 31),
        date(2026, 6, 30),
        date(2026, 10, 31),
    } <= deadlines
    assert Task.objects.get(campaign=campaign, code="T01").title == "编制方案，排查摸底"
    assert [p.name for p in campaign.phases.all()] == [
        "动员部署阶段",
        "全面创建阶段",
        "总结验收阶段",
        "长效运行阶段",
    ]


def test_loading_twice_changes_nothing(reference, capsys):
    call_command("load_campaign", str(SHIPPED))
    assert "无变化" in capsys.readouterr().out
    assert Target.objects.count() == 8 and Task.objects.count() == 12


def test_ui_edits_survive_a_reload_of_the_same_file(reference):
    task = Task.objects.get(code="T02")
    task.status = "done"
    task.save()
    call_command("load_campaign", str(SHIPPED))
    task.refresh_from_db()
    assert task.status == "done"


def test_an_unquoted_ascii_comma_is_caught(reference, tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "title: 编制方案，排查摸底", "title: 编制方案,排查摸底"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=r"任务第1项\(T01\)含未知字段.*中文逗号"):
        call_command("load_campaign", str(bad))


def test_a_rate_threshold_above_one_is_refused(reference, tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace("threshold: 0.5", "threshold: 50")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="比率指标"):
        call_command("load_campaign", str(bad))


def test_kpi_prints_the_documented_json(reference, minan_enterprise, capsys):
    call_command("kpi", "--campaign", "minan-2025", "--as-of", "2025-12-31", "--json")
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"campaign", "as_of", "region", "metrics", "targets"}
    assert (result["campaign"], result["as_of"], result["region"]) == (
        "minan-2025",
        "2025-12-31",
        "350213007",
    )
    assert result["metrics"]["eligible_total"] == 1
    assert result["metrics"]["completion_rate"] == 0.0
    assert result["metrics"]["renewal_rate"] is None
    first = result["targets"][0]
    assert set(first) >= {"metric", "threshold", "deadline", "value", "status", "forecast_date"}
    assert "value_at_deadline" in first


def test_kpi_refuses_a_region_outside_the_campaign(reference):
    with pytest.raises(CommandError, match="不在该专项行动的实施区域"):
        call_command("kpi", "--campaign", "minan-2025", "--region", "350213002")


def test_reloading_the_changed_plan_moves_an_installed_target_to_its_new_metric(reference):
    """A deployment loaded before the 2025 benchmark target counted 培植打造 gets it on upgrade."""
    campaign = Campaign.objects.get(slug="minan-2025")
    Target.objects.filter(campaign=campaign, code="G2").update(metric="benchmarks")
    Campaign.objects.filter(pk=campaign.pk).update(source_digest="the file as shipped before")
    call_command("load_campaign", str(SHIPPED))
    target = Target.objects.get(campaign=campaign, code="G2")
    assert (target.metric, target.deadline) == ("benchmarks_cultivating", date(2025, 12, 31))
    assert target.metric_label == "培植中的标杆"
    assert Target.objects.filter(campaign=campaign).count() == 8


def test_a_target_on_an_unknown_or_internal_metric_is_refused(tmp_path, reference):
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "metric: renewal_rate,", "metric: renewed_on_time,"
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="renewed_on_time"):
        call_command("load_campaign", str(path))
