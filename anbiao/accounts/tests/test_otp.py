"""The optional second factor (TOTP): required by role through a setting, or chosen by a user."""

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from anbiao.accounts import otp
from anbiao.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


def code(device, offset=0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def log_in(client, username):
    return client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})


def test_a_required_role_must_enrol_before_using_the_app(client, settings, district_officer):
    settings.ANBIAO_OTP_REQUIRED_ROLES = ["admin", "district"]
    log_in(client, "district")
    page = client.get(reverse("enterprises:list"))
    assert page.status_code == 302 and page["Location"] == reverse("accounts:otp_setup")
    setup = client.get(reverse("accounts:otp_setup")).content.decode()
    assert "data:image/svg+xml" in setup and "须使用双因素认证" in setup
    device = TOTPDevice.objects.get(user=district_officer, confirmed=False)
    wrong = client.post(reverse("accounts:otp_setup"), {"token": "12345"}).content.decode()
    assert "6位数字" in wrong
    assert client.post(reverse("accounts:otp_setup"), {"token": code(device)}).status_code == 302
    assert client.get(reverse("enterprises:list")).status_code == 200


def test_an_enrolled_user_passes_the_code_at_every_login(client, station_officer):
    device = TOTPDevice.objects.create(user=station_officer, name="手机", confirmed=True)
    log_in(client, "minan")
    assert client.get(reverse("enterprises:list"))["Location"] == reverse("accounts:otp_verify")
    # Without the factor, the user cannot re-enrol a device of their own choosing.
    assert client.get(reverse("accounts:otp_setup"))["Location"] == reverse("accounts:otp_verify")
    bad = client.post(reverse("accounts:otp_verify"), {"token": "000000"}).content.decode()
    assert "验证码不正确" in bad
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    assert client.post(reverse("accounts:otp_verify"), {"token": code(device)}).status_code == 302
    assert client.get(reverse("enterprises:list")).status_code == 200


def test_roles_not_listed_and_not_enrolled_log_in_with_a_password(client, station_officer):
    log_in(client, "minan")
    assert client.get(reverse("enterprises:list")).status_code == 200


def test_an_admin_resets_a_lost_factor(login, admin_user, station_officer):
    TOTPDevice.objects.create(user=station_officer, name="手机", confirmed=True)
    client = login(admin_user)
    assert "重置双因素" in client.get(reverse("accounts:user_list")).content.decode()
    client.post(reverse("accounts:otp_reset", kwargs={"pk": station_officer.pk}))
    assert not otp.required_for(station_officer)
