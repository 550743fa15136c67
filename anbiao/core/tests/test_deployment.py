"""The production switches: secret key required, HTTPS behind a proxy, no-store pages,
Chinese error pages, the change log's address and its retention."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from anbiao.core.models import ChangeLog
from anbiao.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def settings_in_env(
    code: str = "print(s.CSRF_TRUSTED_ORIGINS, s.SECURE_SSL_REDIRECT)", **env
) -> subprocess.CompletedProcess:
    """Import the settings (as `s`) in a fresh interpreter with exactly these ANBIAO_* and
    DATABASE_* variables, then run `code`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANBIAO_", "DATABASE_"))}
    code = "import config.settings as s; " + code
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=clean | env, cwd=ROOT, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = settings_in_env()
    assert result.returncode != 0
    assert "ANBIAO_SECRET_KEY 未设置" in result.stderr


def test_development_and_https_settings_come_from_the_environment():
    assert settings_in_env(ANBIAO_DEV="1").returncode == 0
    result = settings_in_env(
        ANBIAO_SECRET_KEY="k" * 50,
        ANBIAO_HTTPS="true",
        ANBIAO_ALLOWED_HOSTS="anbiao.xa.gov.cn,.xiangan.cn",
    )
    assert result.returncode == 0, result.stderr
    assert "['https://anbiao.xa.gov.cn', 'https://*.xiangan.cn'] True" in result.stdout


def test_a_strong_database_password_needs_no_url_quoting():
    """The install guide's password may hold # @ / :. In the URL unquoted, the app refuses to
    start with a Chinese message saying how to write it; DATABASE_PASSWORD takes it as it is."""
    show = "print(s.DATABASES['default']['PASSWORD'], s.DATABASES['default']['NAME'])"
    unquoted = settings_in_env(
        show, ANBIAO_DEV="1", DATABASE_URL="postgres://anbiao:Pw#2026@127.0.0.1:5432/anbiao"
    )
    assert unquoted.returncode != 0
    assert "DATABASE_URL 无法解析" in unquoted.stderr
    assert "DATABASE_PASSWORD" in unquoted.stderr
    quoted = settings_in_env(
        show, ANBIAO_DEV="1", DATABASE_URL="postgres://anbiao:Pw%232026@127.0.0.1:5432/anbiao"
    )
    assert quoted.stdout.split() == ["Pw#2026", "anbiao"], quoted.stderr
    separate = settings_in_env(
        show,
        ANBIAO_DEV="1",
        DATABASE_URL="postgres://anbiao@127.0.0.1:5432/anbiao",
        DATABASE_PASSWORD="a/b@c:d#e",
    )
    assert separate.stdout.split() == ["a/b@c:d#e", "anbiao"], separate.stderr


@override_settings(
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_SSL_REDIRECT=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    ALLOWED_HOSTS=["anbiao.example.cn"],
    CSRF_TRUSTED_ORIGINS=["https://anbiao.example.cn"],
)
def test_a_login_post_through_the_tls_proxy_passes_the_origin_check(station_officer):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="anbiao.example.cn")
    proxy = {"HTTP_X_FORWARDED_PROTO": "https"}
    assert client.get("/accounts/login/").status_code == 301  # plain HTTP is redirected
    page = client.get("/accounts/login/", **proxy)
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "minan", "password": PASSWORD, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://anbiao.example.cn",
        HTTP_REFERER="https://anbiao.example.cn/accounts/login/",
        **proxy,
    )
    assert response.status_code == 302, response.content[:300]


def test_signed_in_pages_and_exports_are_not_stored(login, station_officer):
    client = login(station_officer)
    assert "no-store" in client.get(reverse("enterprises:list"))["Cache-Control"]
    assert "no-store" in client.get(reverse("enterprises:export"))["Cache-Control"]


def test_error_pages_are_chinese(login, station_officer):
    client = login(station_officer)
    assert "页面或记录不存在" in client.get("/no/such/page/").content.decode()
    assert "您没有权限" in client.get(reverse("accounts:user_list")).content.decode()
    from django.template.loader import render_to_string

    assert "系统出现错误" in render_to_string("500.html")


@override_settings(ANBIAO_CLIENT_IP_HEADER="X-Real-IP")
def test_the_change_log_records_the_clients_address_behind_the_proxy(login, station_officer):
    from django.test import Client

    client = Client(HTTP_X_REAL_IP="10.20.30.40")
    client.force_login(station_officer)
    client.post(reverse("accounts:password_change"), {})  # invalid: nothing recorded
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Ip#2025abcd",
            "new_password2": "Ip#2025abcd",
        },
    )
    entry = ChangeLog.objects.get(note="修改密码")
    assert entry.ip_address == "10.20.30.40"
    with pytest.raises(ValueError, match="只能追加"):
        entry.save()


def test_pruning_refuses_anything_younger_than_six_months(station_officer):
    old = ChangeLog.objects.create(
        action="update", object_type="x", object_id="1", object_repr="旧"
    )
    ChangeLog.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=400))
    ChangeLog.objects.create(action="update", object_type="x", object_id="2", object_repr="新")
    recent = (timezone.localdate() - timedelta(days=30)).isoformat()
    with pytest.raises(CommandError, match="拒绝删除"):
        call_command("prune_logs", "--before", recent)
    assert ChangeLog.objects.count() == 2
    call_command("prune_logs", "--before", (timezone.localdate() - timedelta(days=365)).isoformat())
    assert list(ChangeLog.objects.values_list("object_repr", flat=True)) == ["新"]
