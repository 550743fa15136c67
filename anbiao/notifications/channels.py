"""Where a notification goes besides the bell: e-mail (Django's mail; the console backend
unless SMTP is configured, docs/configuration.md) and SMS behind a small interface.

SMS: a deployment writes a class with `send(phone, text) -> bool` for its provider (e.g. the
政务短信平台 of the city) and names it in ANBIAO_SMS_BACKEND. The default `StubSmsBackend`
DOES NOT SEND anything: it only logs what would have been sent.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from config.env import env_str

log = logging.getLogger(__name__)


def send_email(*, to: str, subject: str, body: str) -> bool:
    """Send one plain-text mail; False (logged) when it could not be handed to the server."""
    prefix = getattr(settings, "EMAIL_SUBJECT_PREFIX", "")
    try:
        send_mail(f"{prefix}{subject}", body, None, [to], fail_silently=False)
    except Exception:  # a mail server that is down must not stop reminders or a request
        log.exception("邮件发送失败:%s", to)
        return False
    return True


class SmsBackend:
    """The interface an SMS provider implements."""

    def send(self, phone: str, text: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


class StubSmsBackend(SmsBackend):
    """不发送短信 — a stub that only logs. Replace it with the provider's client (see
    docs/notifications.md) before telling users that SMS is on."""

    sent: list[tuple[str, str]] = []  # what would have been sent, for tests and the log

    def send(self, phone: str, text: str) -> bool:
        log.info("[短信桩,未实际发送] %s: %s", phone, text)
        self.sent.append((phone, text))
        return False


def sms_backend() -> SmsBackend:
    path = getattr(settings, "ANBIAO_SMS_BACKEND", None) or env_str(
        "ANBIAO_SMS_BACKEND", "anbiao.notifications.channels.StubSmsBackend"
    )
    return import_string(path)()
