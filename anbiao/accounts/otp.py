"""Optional second factor: a time-based one-time password (TOTP, RFC 6238) from an authenticator
app, through django-otp. A deployment can require it for some roles (ANBIAO_OTP_REQUIRED_ROLES,
e.g. "admin,district"); anyone may turn it on for their own account. Once a user has a confirmed
device, every login must pass it."""

import base64

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from anbiao.accounts.models import User
from anbiao.core import audit
from anbiao.core.models import ChangeLog


def required_by_role(user: User) -> bool:
    return user.role in settings.ANBIAO_OTP_REQUIRED_ROLES


def required_for(user: User) -> bool:
    """True when `user` must pass a second factor: their role requires it, or they enrolled."""
    if required_by_role(user):
        return True
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


SESSION_KEY = "anbiao_otp_enrolled"


def remember_enrolment(request, user: User) -> None:
    """Note in the session whether the user has a device, so that checking it costs no query on
    every request (set at login, and when the user enrols)."""
    request.session[SESSION_KEY] = TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_in_session(request) -> bool:
    """`required_for(request.user)`, answered from the role and the session's note."""
    user = request.user
    if required_by_role(user):
        return True
    if SESSION_KEY not in request.session:
        remember_enrolment(request, user)
    return request.session[SESSION_KEY]


def enrolled_user_ids(user_ids) -> set[int]:
    """Which of these users have turned the second factor on."""
    return set(
        TOTPDevice.objects.filter(user_id__in=list(user_ids), confirmed=True).values_list(
            "user_id", flat=True
        )
    )


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: User) -> TOTPDevice:
    """The user's unconfirmed device (made on first call) whose key the setup page shows."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key in base32 groups of four, for typing into an app without a camera."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg_data_uri(device: TOTPDevice) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_data_uri(scale=5)


def clean_token(token: str) -> str:
    token = "".join(str(token or "").split())
    if not (token.isdigit() and len(token) == 6):
        raise ValidationError({"token": "请输入身份验证器上显示的6位数字"})
    return token


@transaction.atomic
def confirm(*, user: User, device: TOTPDevice, token: str) -> TOTPDevice:
    """Turn on the second factor: the first code from the app proves the key was copied."""
    if not device.verify_token(clean_token(token)):
        raise ValidationError({"token": "验证码不正确或已过期,请输入应用上当前显示的6位数字"})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor=user, action=ChangeLog.Action.UPDATE, instance=user, note="启用双因素认证")
    return device


def verify(*, user: User, token: str) -> TOTPDevice:
    """The user's device if `token` is its current code; repeated failures are throttled."""
    device = confirmed_device(user)
    if device is None:
        raise ValidationError({"token": "尚未启用双因素认证"})
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise ValidationError({"token": "验证失败次数过多,请稍后再试"})
    if not device.verify_token(clean_token(token)):
        raise ValidationError({"token": "验证码不正确或已过期"})
    return device


@transaction.atomic
def reset(*, actor, user: User) -> None:
    """An administrator removes a user's second factor (lost phone); the user enrols again."""
    from anbiao.accounts import permissions as perms
    from anbiao.accounts.access import require
    from anbiao.accounts.services import USER_MANAGE_DENIED

    require(actor, perms.USER_MANAGE, message=USER_MANAGE_DENIED)
    TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=actor, action=ChangeLog.Action.UPDATE, instance=user, note="重置双因素认证")
