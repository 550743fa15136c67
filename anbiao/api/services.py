"""Writes to API tokens: create (secret shown once), revoke, authenticate, record a use.

Like every service: keyword-only, one transaction, permission checked here, change log written.
"""

import hashlib
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.api.models import ApiToken, ApiTokenUse
from anbiao.core import audit
from anbiao.core.models import ChangeLog

SECRET_PREFIX = "anbiao_"  # noqa: S105 - a marker that makes leaked tokens greppable


def digest_of(secret: str) -> str:
    """The stored form of a token: SHA-256 of the whole secret. The secret is 256 random bits,
    so a plain hash (no salt, no slow KDF) is enough and lets a request find its token by index."""
    return hashlib.sha256(secret.encode()).hexdigest()


def max_days() -> int:
    return settings.ANBIAO_API_TOKEN_MAX_DAYS


@transaction.atomic
def token_create(
    *, actor, user, name: str, expires_on: date, read_only: bool = True
) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its secret — the only time the secret
    exists outside the caller. Anyone may create their own; administrators may create one
    for another account (a system account of a district or city platform)."""
    require(actor, perms.API_TOKEN_OWN)
    if actor is not None and user.pk != actor.pk:
        require(actor, perms.API_TOKEN_MANAGE, message="只有系统管理员可以为其他账号创建令牌")
    if not user.is_active:
        raise ValidationError({"user": f"账号“{user.username}”已停用,不能创建令牌"})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写令牌名称(用途)"})
    today = timezone.localdate()
    if expires_on <= today:
        raise ValidationError({"expires_on": "有效期至须晚于今天"})
    if expires_on > today + timedelta(days=max_days()):
        raise ValidationError({"expires_on": f"令牌有效期最长 {max_days()} 天"})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:60],
        prefix=secret[:12],
        digest=digest_of(secret),
        read_only=read_only,
        expires_on=expires_on,
        created_by=actor_or_none(actor),
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=token,
        note=f"为{user.username}创建{'只读' if read_only else '读写'}接口令牌,有效期至{expires_on}",
    )
    return token, secret


def can_revoke(actor, token: ApiToken) -> bool:
    return token.user_id == actor.pk or perms.has_perm(actor, perms.API_TOKEN_MANAGE)


@transaction.atomic
def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once: its next request is refused. The owner or an administrator."""
    require(actor, perms.API_TOKEN_OWN)
    if actor is not None and not can_revoke(actor, token):
        raise PermissionDenied("您不能吊销他人的令牌")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError({"token": "该令牌已吊销"})
    token.revoked_at = timezone.now()
    token.revoked_by = actor_or_none(actor)
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.STATUS,
        instance=token,
        note=f"吊销{token.user.username}的接口令牌",
    )
    return token


def token_for(secret: str) -> ApiToken | None:
    """The token whose secret this is, if it exists (revoked and expired ones included: the
    caller says why it is refused)."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    return ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()


def token_use_record(
    *, token: ApiToken, method: str, path: str, status: int, ip: str | None
) -> ApiTokenUse:
    """Log one request made with `token` (the API's audit trail) and stamp its last use."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return ApiTokenUse.objects.create(
        token=token,
        user_id=token.user_id,
        method=method[:8],
        path=path[:300],
        status=status,
        ip_address=ip or None,
    )
