import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from anbiao.accounts import services
from anbiao.accounts.choices import Role
from anbiao.accounts.models import LoginLog, User
from anbiao.core.models import ChangeLog
from anbiao.testing.factories import PASSWORD, region

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_is_logged_with_the_address(client, station_officer):
    response = post_login(client, "minan", PASSWORD)
    assert response.status_code == 302
    log = LoginLog.objects.get(outcome=LoginLog.Outcome.SUCCESS)
    assert (log.username, log.user, log.ip_address) == ("minan", station_officer, "127.0.0.1")


def test_a_failed_login_is_logged_and_explained_in_chinese(client, station_officer):
    response = post_login(client, "minan", "wrong")
    assert "用户名或密码错误" in response.content.decode()
    assert LoginLog.objects.filter(outcome=LoginLog.Outcome.FAILURE, username="minan").count() == 1


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, station_officer):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "minan", "wrong")
    response = post_login(client, "minan", PASSWORD)
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginLog.objects.filter(outcome=LoginLog.Outcome.LOCKED).exists()


def test_four_failures_then_the_right_password_logs_in(client, station_officer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, "minan", "wrong")
    assert post_login(client, "minan", PASSWORD).status_code == 302


def test_pages_need_a_login(client, reference):
    response = client.get(reverse("enterprises:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_session_expires_after_the_idle_timeout():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # the 30 minutes restart with every request


@pytest.mark.parametrize(
    ("password", "reason"),
    [("Ab1!", "太短"), ("alllowercase1", "至少3类"), ("12345678901", "只包含数字")],
)
def test_weak_passwords_are_refused(admin_user, password, reason):
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(
            actor=admin_user,
            data={"username": "weak", "role": Role.DISTRICT, "region": region("350213")},
            password=password,
        )
    assert any(reason in m for m in excinfo.value.messages)
    assert not User.objects.filter(username="weak").exists()


def test_admin_creates_a_station_user_with_a_scope_and_it_is_audited(admin_user):
    user = services.user_create(
        actor=admin_user,
        data={"username": "newstation", "role": Role.STATION, "region": region("350213007")},
        password="Xiang@an2025",
    )
    assert user.check_password("Xiang@an2025")
    log = ChangeLog.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert log.actor == admin_user and "民安街道" in log.note


def test_a_station_user_needs_a_subdistrict(admin_user):
    with pytest.raises(ValidationError) as excinfo:
        services.user_create(
            actor=admin_user,
            data={"username": "nostation", "role": Role.STATION, "region": region("350213")},
            password="Xiang@an2025",
        )
    assert "须指定所在镇街" in str(excinfo.value)


def test_only_admins_manage_users(station_officer):
    with pytest.raises(PermissionDenied):
        services.user_create(actor=station_officer, data={"username": "x"}, password="Xiang@an2025")


def test_a_disabled_user_cannot_log_in(client, admin_user, station_officer):
    services.user_update(actor=admin_user, user=station_officer, data={"is_active": False})
    response = post_login(client, "minan", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_admin_cannot_disable_themself(admin_user):
    with pytest.raises(ValidationError, match="不能停用自己的账号"):
        services.user_update(actor=admin_user, user=admin_user, data={"is_active": False})


def test_admin_user_pages_create_a_user_through_the_form(login, admin_user, minan_enterprise):
    client = login(admin_user)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "qiye2",
            "full_name": "企业安全员",
            "role": Role.ENTERPRISE,
            "enterprise_uscc": minan_enterprise.uscc.lower(),
            "password": "Qiye@2025x",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(username="qiye2")
    assert user.enterprise == minan_enterprise and user.region is None


def test_login_log_lists_failures_for_admins(login, client, admin_user, station_officer):
    post_login(client, "minan", "wrong")
    response = login(admin_user).get(reverse("accounts:login_log"), {"outcome": "failure"})
    assert "minan" in response.content.decode()
    assert "登录失败" in response.content.decode()


def test_password_change_applies_complexity(login, station_officer):
    client = login(station_officer)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "simple123", "new_password2": "simple123"},
    )
    assert response.status_code == 200
    assert "至少3类" in response.content.decode()
    station_officer.refresh_from_db()
    assert station_officer.check_password(PASSWORD)
