"""Lockout by account and by address, unlocking from the UI, forced change after a reset."""

import pytest
from django.conf import settings
from django.urls import reverse

from anbiao.accounts import services
from anbiao.accounts.models import User
from anbiao.core.models import ChangeLog
from anbiao.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(client, username, password, ip="10.0.0.9"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_an_outsider_locking_the_admin_is_blocked_at_the_same_time(client, admin_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "admin", "guess", ip="10.6.6.6")
    # The outsider's address is blocked, for any account…
    assert post_login(client, "someone", "guess", ip="10.6.6.6").status_code == 429
    # …and the admin account is locked, until another admin unlocks it from the UI.
    assert post_login(client, "admin", PASSWORD, ip="10.1.1.1").status_code == 429


def test_an_address_trying_several_accounts_is_blocked(client, station_officer, district_officer):
    for i in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, f"user{i}", "guess", ip="10.7.7.7")
    assert post_login(client, "minan", PASSWORD, ip="10.7.7.7").status_code == 429
    assert post_login(client, "minan", PASSWORD, ip="10.2.2.2").status_code == 302


def test_the_lockout_message_follows_the_settings(client, station_officer, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.25  # hours
    wrong = post_login(client, "minan", "wrong").content.decode()
    assert "连续输错3次" in wrong and "锁定15分钟" in wrong
    for _ in range(2):
        post_login(client, "minan", "wrong")
    locked = post_login(client, "minan", PASSWORD).content.decode()
    assert "3 次" in locked and "15 分钟" in locked
    assert "5次" not in client.get(reverse("accounts:login")).content.decode()


def test_an_admin_unlocks_an_account_and_an_address_from_the_ui(client, login, admin_user):
    victim = User.objects.create_user("victim2", password=PASSWORD, role="district")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "victim2", "wrong", ip="10.8.8.8")
    client.logout()
    admin = login(admin_user)
    users = admin.get(reverse("accounts:user_list"), {"q": "victim2"}).content.decode()
    assert "已锁定" in users and "解锁" in users
    log_page = admin.get(reverse("accounts:login_log")).content.decode()
    assert "10.8.8.8" in log_page and "解除封锁" in log_page
    admin.post(reverse("accounts:login_unlock"), {"username": "victim2"})
    admin.logout()
    assert post_login(client, "victim2", PASSWORD, ip="10.3.3.3").status_code == 302
    assert ChangeLog.objects.filter(note__contains="解除登录锁定").exists()
    assert victim.pk


def test_a_reset_by_an_admin_forces_a_change_at_next_login(client, admin_user, station_officer):
    services.user_set_password(actor=admin_user, user=station_officer, password="Reset#2025ab")
    assert post_login(client, "minan", "Reset#2025ab").status_code == 302
    page = client.get(reverse("enterprises:list"))
    assert page.status_code == 302 and page["Location"] == reverse("accounts:password_change")
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Reset#2025ab",
            "new_password1": "Mine#2025xyz",
            "new_password2": "Mine#2025xyz",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("enterprises:list")).status_code == 200
    station_officer.refresh_from_db()
    assert not station_officer.must_change_password
