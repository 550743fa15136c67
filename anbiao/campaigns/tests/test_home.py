"""The home page each role lands on."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_enterprise_user_lands_on_their_enterprise_and_its_case(login, enterprise_user):
    page = login(enterprise_user).get(reverse("home")).content.decode()
    assert "厦门恒兴机械有限公司" in page and "标准化创建" in page


def test_an_agency_user_sees_the_enterprises_assigned_to_it(login, agency_user, xindian_enterprise):
    page = login(agency_user).get(reverse("home")).content.decode()
    assert "厦门恒兴机械有限公司" in page
    assert xindian_enterprise.name not in page


def test_an_expert_without_reviews_is_told_so(login, outsider):
    assert "没有待您评审的企业" in login(outsider).get(reverse("home")).content.decode()


def test_an_expert_lands_on_the_reviews_waiting_for_them_with_their_deadlines(
    login, expert_user, minan_enterprise, reviewer_agency
):
    from datetime import date, timedelta

    from anbiao.cases import services
    from anbiao.cases.conf import review_days
    from anbiao.testing.factories import make_enterprise, record_steps

    assigned = date(2025, 5, 2)
    record_steps(minan_enterprise, ("apply", date(2025, 5, 1)))
    waiting = services.review_assign(
        actor=None, enterprise=minan_enterprise, on=assigned, experts=[expert_user]
    )
    other = make_enterprise(name="厦门已评审机械有限公司")
    record_steps(other, ("apply", date(2025, 3, 1)))
    done = services.review_assign(
        actor=None, enterprise=other, on=date(2025, 3, 2), experts=[expert_user]
    )
    services.assessment_conform_rest(actor=None, assessment=done)
    services.assessment_submit(actor=None, assessment=done, on=date(2025, 3, 20))
    page = login(expert_user).get(reverse("home")).content.decode()
    waiting_part, done_part = page.split('id="reviews-waiting"')[1].split('id="reviews-done"')
    assert minan_enterprise.name in waiting_part and other.name not in waiting_part
    assert "指派 2025-05-02" in waiting_part  # the day it was assigned, not the day it was typed
    due = assigned + timedelta(days=review_days())
    assert f"期限 {due:%Y-%m-%d}" in waiting_part
    assert reverse("cases:assessment", kwargs={"pk": waiting.pk}) in waiting_part
    assert "填写评审表" in waiting_part
    assert other.name in done_part and "2025-03-20" in done_part and "100.0" in done_part


def test_a_station_without_a_campaign_gets_a_working_bench_and_is_told_what_to_do(
    login, other_station_officer, xindian_enterprise
):
    from datetime import date

    from anbiao.testing.factories import record_steps

    record_steps(xindian_enterprise, ("start", date(2025, 3, 1)))
    client = login(other_station_officer)
    page = client.get(reverse("home")).content.decode()
    assert 'id="no-campaign"' in page and "请联系区专班为本辖区建立" in page
    states = page.split('id="bench-states"')[1].split('id="bench-follow-up"')[0]
    assert "创建中" in states and "?state=in_progress" in states
    assert "证书 90 天内到期" in page and "整改未销项" in page
    assert "anbiao load-campaign" not in page
    listing = client.get(reverse("campaigns:list")).content.decode()
    assert 'id="no-campaigns"' in listing and "专项行动由区专班创建" in listing
    assert "anbiao load-campaign" not in listing


def test_the_district_is_offered_to_create_a_campaign_when_none_covers_its_area(
    login, district_officer
):
    from anbiao.campaigns.models import Campaign

    Campaign.objects.all().delete()
    listing = login(district_officer).get(reverse("campaigns:list")).content.decode()
    assert 'id="no-campaigns"' in listing and reverse("campaigns:create") in listing


def test_the_district_creates_a_stations_campaign_from_the_minan_plan(
    login, district_officer, other_station_officer
):
    from anbiao.campaigns.models import Campaign
    from anbiao.testing.factories import region

    client = login(district_officer)
    listing = client.get(reverse("campaigns:list")).content.decode()
    form = listing.split('id="from-template"')[1].split("</form>")[0]
    assert "新店街道" in form and "民安街道" not in form.split('name="template"')[0]
    response = client.post(
        reverse("campaigns:from_template"),
        {"template": "minan-2025", "region": region("350213002").pk},
    )
    campaign = Campaign.objects.get(region__code="350213002")
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.slug])
    assert campaign.name == "新店街道安全生产标准化提升工作专项行动"
    minan = Campaign.objects.get(slug="minan-2025")
    assert campaign.targets.count() == minan.targets.count() > 0
    assert campaign.tasks.count() == minan.tasks.count()
    # the 新店 station now lands on its own campaign's dashboard
    page = login(other_station_officer).get(reverse("home")).content.decode()
    assert 'id="no-campaign"' not in page and "target-card" in page
    again = login(district_officer).post(
        reverse("campaigns:from_template"),
        {"template": "minan-2025", "region": region("350213002").pk},
    )
    assert (
        again.status_code == 302 and Campaign.objects.filter(region__code="350213002").count() == 1
    )
