"""The bell and its pages: unread count in the header, the list, opening marks read and goes
to the object, preferences, and the administrators' schedule page."""

from datetime import date

import pytest
from django.urls import reverse

from anbiao.notifications.models import JobRun, Notification, NotificationPreference
from anbiao.notifications.selectors import calendar_warning

pytestmark = pytest.mark.django_db


def notes(user, n, **fields):
    return [
        Notification.objects.create(
            user=user,
            rule="certificate_expiring",
            rule_name="证书即将到期",
            title=f"提醒{i}",
            **fields,
        )
        for i in range(n)
    ]


def test_the_bell_counts_unread_and_the_list_is_only_ones_own(
    client, station_officer, other_station_officer, django_assert_max_num_queries
):
    notes(station_officer, 25, url="/cases/")
    notes(other_station_officer, 1)
    client.force_login(station_officer)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("notifications:list"))
    html = page.content.decode()
    assert 'id="bell"' in html and "25 条未读" in html
    assert page.context["page"].paginator.count == 25


def test_opening_a_notification_marks_it_read_and_goes_to_its_object(
    client, station_officer, other_station_officer
):
    mine = notes(station_officer, 2, url="/cases/")[0]
    theirs = notes(other_station_officer, 1, url="/cases/")[0]
    client.force_login(station_officer)
    response = client.post(reverse("notifications:open"), {"pk": mine.pk})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.post(reverse("notifications:open"), {"pk": theirs.pk}).status_code == 404
    assert client.post(reverse("notifications:open"), {"pk": "x"}).status_code == 404
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=station_officer, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_are_saved_per_user(client, enterprise_user):
    client.force_login(enterprise_user)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "没有登记邮箱" in page and "证书即将到期" in page
    response = client.post(
        reverse("notifications:preferences"),
        {"rules": ["certificate_expired"], "email_enabled": "on", "email_digest": "on"},
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=enterprise_user)
    assert "certificate_expiring" in pref.muted_rules
    assert "certificate_expired" not in pref.muted_rules
    assert pref.email_digest and not pref.sms_enabled


def test_the_schedule_page_shows_runs_and_warns_of_a_year_without_holidays(client, admin_user):
    JobRun.objects.create(
        job="reminders",
        day=date(2026, 3, 5),
        status="done",
        started_at="2026-03-05T02:00+08:00",
        summary="发送提醒 3 条",
    )
    client.force_login(admin_user)
    html = client.get(reverse("notifications:runs")).content.decode()
    assert "到期提醒" in html and "发送提醒 3 条" in html
    assert calendar_warning(date(2026, 5, 1)) == ""
    assert "2099" in calendar_warning(date(2099, 5, 1))
    warning = calendar_warning(date(2026, 12, 2))
    assert "2027" in warning and "周一至周五" in warning
