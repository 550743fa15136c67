from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anbiao.core.models import ChangeLog
from anbiao.enterprises import services
from anbiao.enterprises.choices import FactKind, OperatingStatus, Size
from anbiao.enterprises.models import Enterprise, EnterpriseFact, RiskTag
from anbiao.testing.factories import make_enterprise, make_uscc, region

pytestmark = pytest.mark.django_db
ON = date(2026, 3, 1)


def new_data(**overrides):
    data = {
        "name": " 厦门恒兴机械有限公司 ",
        "uscc": "９１３５０２１３ma0000001" + "X",
        "region": region("350213007"),
        "industry": "machinery",
        "size": Size.MICRO,
        "eligible": True,
    }
    data.update(overrides)
    return data


def test_create_normalizes_the_uscc_and_records_facts_and_history(station_officer):
    code = make_uscc(4242)
    data = new_data(uscc=" " + code.lower()[:8] + " " + code.lower()[8:])
    enterprise = services.enterprise_create(actor=station_officer, data=data, effective_on=ON)
    assert enterprise.uscc == code
    assert enterprise.name == "厦门恒兴机械有限公司"
    assert enterprise.name_initials.startswith("xmhx")
    kinds = set(enterprise.facts.values_list("kind", flat=True))
    assert {FactKind.LEDGER, FactKind.STATUS, FactKind.SIZE, FactKind.ELIGIBILITY} <= kinds
    assert enterprise.facts.filter(effective_on=ON).count() == len(kinds)
    log = ChangeLog.objects.get(enterprise=enterprise)
    assert (log.action, log.actor) == (ChangeLog.Action.CREATE, station_officer)


def test_create_refuses_a_bad_check_character_and_writes_nothing(station_officer):
    with pytest.raises(ValidationError) as excinfo:
        services.enterprise_create(
            actor=station_officer, data=new_data(uscc="91330100716105852E"), effective_on=ON
        )
    assert "校验位错误" in excinfo.value.message_dict["uscc"][0]
    assert not Enterprise.objects.exists()
    assert not ChangeLog.objects.exists()


def test_create_refuses_a_duplicate_uscc(station_officer, minan_enterprise):
    with pytest.raises(ValidationError, match="已登记"):
        services.enterprise_create(
            actor=station_officer, data=new_data(uscc=minan_enterprise.uscc), effective_on=ON
        )


def test_a_station_cannot_register_into_another_subdistrict(station_officer):
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        services.enterprise_create(
            actor=station_officer,
            data=new_data(uscc=make_uscc(), region=region("350213002")),
            effective_on=ON,
        )


def test_district_officer_cannot_register(district_officer):
    with pytest.raises(PermissionDenied):
        services.enterprise_create(
            actor=district_officer, data=new_data(uscc=make_uscc()), effective_on=ON
        )


def test_update_records_old_and_new_values_and_a_dated_size_fact(station_officer):
    enterprise = make_enterprise(size=Size.SMALL, safety_manager_phone="13900000001")
    changes = services.enterprise_update(
        actor=station_officer,
        enterprise=enterprise,
        data={"size": Size.MICRO, "safety_manager_phone": "13900000002"},
        effective_on=ON,
    )
    assert {(c["label"], c["old"], c["new"]) for c in changes} == {
        ("企业规模", "小型", "微型"),
        ("安全管理人员电话", "13900000001", "13900000002"),
    }
    fact = enterprise.facts.filter(kind=FactKind.SIZE).latest("effective_on")
    assert (fact.value, fact.effective_on) == (Size.MICRO, ON)
    assert ChangeLog.objects.filter(enterprise=enterprise, action="update").count() == 1


def test_an_update_that_changes_nothing_leaves_no_trace(station_officer):
    enterprise = make_enterprise()
    facts = EnterpriseFact.objects.count()
    assert (
        services.enterprise_update(
            actor=station_officer,
            enterprise=enterprise,
            data={"name": enterprise.name},
            effective_on=ON,
        )
        == []
    )
    assert EnterpriseFact.objects.count() == facts
    assert not ChangeLog.objects.filter(action="update").exists()


def test_risk_tag_changes_are_in_the_history(station_officer):
    enterprise = make_enterprise()
    dust = RiskTag.objects.get(code="dust_explosion")
    changes = services.enterprise_update(
        actor=station_officer, enterprise=enterprise, data={}, risk_tags=[dust], effective_on=ON
    )
    assert changes == [{"field": "risk_tags", "label": "重点风险", "old": "", "new": "粉尘涉爆"}]


def test_the_enterprise_user_edits_only_profile_fields(enterprise_user, minan_enterprise):
    services.enterprise_update(
        actor=enterprise_user,
        enterprise=minan_enterprise,
        data={"name": "改名公司", "principal_phone": "13711112222", "eligible": False},
        effective_on=ON,
    )
    minan_enterprise.refresh_from_db()
    assert minan_enterprise.name == "厦门恒兴机械有限公司"
    assert minan_enterprise.eligible is True
    assert minan_enterprise.principal_phone == "13711112222"


def test_closing_is_a_dated_status_change_not_a_delete(station_officer):
    enterprise = make_enterprise()
    services.enterprise_change_status(
        actor=station_officer,
        enterprise=enterprise,
        status=OperatingStatus.DEREGISTERED,
        on=ON,
        reason="已注销",
    )
    enterprise.refresh_from_db()
    assert (enterprise.status, enterprise.status_since) == (OperatingStatus.DEREGISTERED, ON)
    fact = enterprise.facts.filter(kind=FactKind.STATUS).latest("effective_on")
    assert (fact.value, fact.effective_on, fact.reason) == ("deregistered", ON, "已注销")
    log = ChangeLog.objects.get(enterprise=enterprise, action="status")
    assert log.changes[0]["new"] == "注销"


def test_a_status_change_needs_a_reason_and_cannot_go_back_in_time(station_officer):
    enterprise = make_enterprise(ledger_since=date(2025, 2, 28))
    with pytest.raises(ValidationError, match="须填写原因"):
        services.enterprise_change_status(
            actor=station_officer, enterprise=enterprise, status="suspended", on=ON
        )
    with pytest.raises(ValidationError, match="不能早于"):
        services.enterprise_change_status(
            actor=station_officer,
            enterprise=enterprise,
            status="suspended",
            on=date(2024, 1, 1),
            reason="停产",
        )


def test_a_station_cannot_change_another_subdistricts_enterprise(
    station_officer, xindian_enterprise
):
    with pytest.raises(PermissionDenied):
        services.enterprise_change_status(
            actor=station_officer,
            enterprise=xindian_enterprise,
            status="suspended",
            on=ON,
            reason="x",
        )
    xindian_enterprise.refresh_from_db()
    assert xindian_enterprise.status == OperatingStatus.OPERATING
