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
    assert "暂无指派给您的企业" in login(outsider).get(reverse("home")).content.decode()
