"""分类监管: each rule of classes.yaml hit once on a constructed set of enterprises; the dated
class history and a station override."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from anbiao.enterprises.models import RiskTag
from anbiao.supervision import services
from anbiao.supervision.classes import classes_on, evaluate, facts_on
from anbiao.supervision.models import ClassRecord
from anbiao.supervision.reference import class_rules
from anbiao.testing.factories import certify, make_enterprise, record_steps

ON = date(2026, 6, 1)


@pytest.fixture
def constructed(reference):
    """One enterprise per rule (and one for the default), named by what it should get."""
    e = {
        name: make_enterprise()
        for name in ("major", "incident", "slide", "lapsed", "key", "cert", "plain")
    }
    services.hazard_register(
        actor=None,
        enterprise=e["major"],
        level="major",
        description="除尘器无泄爆",
        found_on=date(2026, 5, 2),
    )
    services.incident_record(
        actor=None,
        enterprise=e["incident"],
        occurred_on=date(2026, 1, 9),
        description="机械伤害一人轻伤",
    )
    certify(e["slide"], date(2025, 9, 1))
    record_steps(e["slide"], ("slide", date(2026, 3, 1), {"note": "年度自评逾期"}))
    certify(e["lapsed"], date(2025, 8, 1), expires_on=date(2026, 2, 1))
    record_steps(e["lapsed"], ("expire", date(2026, 2, 2)))
    e["key"].risk_tags.set(RiskTag.objects.filter(code="dust_explosion"))
    certify(e["cert"], date(2025, 10, 1))
    return e


def test_each_rule_is_hit_exactly_once_on_the_constructed_set(constructed):
    verdicts = {
        name: evaluate(f)
        for name, f in zip(
            constructed, facts_on([e.pk for e in constructed.values()], ON).values(), strict=True
        )
    }
    got = {name: (v.klass, v.rule) for name, v in verdicts.items()}
    assert got == {
        "major": ("D", "major_hazard_open"),
        "incident": ("D", "recent_incident"),
        "slide": ("C", "management_slide"),
        "lapsed": ("C", "certificate_lapsed"),
        "key": ("C", "key_risk"),
        "cert": ("A", "certified"),
        "plain": ("B", ""),
    }
    assert {r.code for r in class_rules().rules} == {rule for _, rule in got.values() if rule}
    assert verdicts["plain"].reason == class_rules().default_reason


def test_the_rules_read_facts_as_of_the_date(constructed):
    before = classes_on([constructed["major"].pk, constructed["incident"].pk], date(2026, 1, 1))
    assert before[constructed["major"].pk].klass == "B"  # the hazard was found in May
    assert before[constructed["incident"].pk].klass == "B"  # the accident happened on 9 January
    later = classes_on([constructed["incident"].pk], date(2027, 2, 1))
    assert later[constructed["incident"].pk].klass == "B"  # more than a year ago by then


def test_the_class_history_is_dated_with_reasons_and_an_override_stands(
    constructed, station_officer
):
    from anbiao.enterprises.models import Enterprise

    plain = constructed["plain"]
    qs = Enterprise.objects.filter(pk=plain.pk)
    assert services.classes_refresh(actor=station_officer, enterprises=qs, on=date(2026, 4, 1)) == 1
    assert (
        services.classes_refresh(actor=station_officer, enterprises=qs, on=date(2026, 4, 15)) == 0
    )
    services.hazard_register(
        actor=station_officer,
        enterprise=plain,
        level="major",
        description="有限空间无通风",
        found_on=date(2026, 5, 1),
    )
    assert services.classes_refresh(actor=station_officer, enterprises=qs, on=date(2026, 5, 2)) == 1
    history = list(
        ClassRecord.objects.filter(enterprise=plain).values_list("on", "klass", "reason")
    )
    assert history == [
        (date(2026, 4, 1), "B", class_rules().default_reason),
        (date(2026, 5, 2), "D", "存在未销号的重大隐患(挂牌督办中)"),
    ]
    assert classes_on([plain.pk], date(2026, 4, 20))[plain.pk].klass == "B"
    assert classes_on([plain.pk], date(2026, 5, 20))[plain.pk].klass == "D"

    with pytest.raises(ValidationError) as exc:
        services.class_override(
            actor=station_officer, enterprise=plain, klass="C", on=date(2026, 5, 10), reason=""
        )
    assert "理由" in str(exc.value)
    services.class_override(
        actor=station_officer,
        enterprise=plain,
        klass="C",
        on=date(2026, 5, 10),
        reason="隐患已停产隔离",
    )
    assert (
        services.classes_refresh(actor=station_officer, enterprises=qs, on=date(2026, 5, 20)) == 0
    )
    current = classes_on([plain.pk], date(2026, 5, 20))[plain.pk]
    assert (current.klass, current.reason) == ("C", "隐患已停产隔离")
