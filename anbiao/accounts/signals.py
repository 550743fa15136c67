"""Login log receivers: every login, failed login, lockout and logout, with the address."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from anbiao.accounts.models import LoginLog, User


def _client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT", "")[:255]


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        from anbiao.accounts.otp import remember_enrolment

        remember_enrolment(request, user)
    ip, agent = _client(request)
    LoginLog.objects.create(
        username=user.get_username(),
        user=user,
        outcome=LoginLog.Outcome.SUCCESS,
        ip_address=ip,
        user_agent=agent,
    )


@receiver(user_login_failed)
def log_failure(sender, credentials, request=None, **kwargs) -> None:
    ip, agent = _client(request)
    username = str(credentials.get("username", ""))[:150]
    LoginLog.objects.create(
        username=username,
        user=User.objects.filter(username=username).first(),
        outcome=LoginLog.Outcome.FAILURE,
        ip_address=ip,
        user_agent=agent,
    )


@receiver(user_locked_out)
def log_lockout(sender, request, username, ip_address, **kwargs) -> None:
    _, agent = _client(request)
    LoginLog.objects.create(
        username=str(username or "")[:150],
        user=User.objects.filter(username=username).first(),
        outcome=LoginLog.Outcome.LOCKED,
        ip_address=ip_address,
        user_agent=agent,
    )


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs) -> None:
    if user is None:
        return
    ip, agent = _client(request)
    LoginLog.objects.create(
        username=user.get_username(),
        user=user,
        outcome=LoginLog.Outcome.LOGOUT,
        ip_address=ip,
        user_agent=agent,
    )
