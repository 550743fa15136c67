"""Writes to user accounts: create, change role and scope, disable, reset password.
Only a system administrator may call them; each change is in the change log."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.choices import REGION_ROLES, RegionLevel, Role
from anbiao.accounts.models import User
from anbiao.core import audit
from anbiao.core.models import ChangeLog

ACCOUNT_FIELDS = (
    "username",
    "full_name",
    "phone",
    "role",
    "region",
    "enterprise",
    "agency",
    "department",
    "is_active",
)


USER_MANAGE_DENIED = "只有系统管理员可以管理用户"


def check_scope(user: User) -> None:
    """A role needs a matching scope: a region for region roles, an enterprise, an agency."""
    if user.role in REGION_ROLES:
        user.enterprise = None
        user.agency = None
        if user.role == Role.STATION and (
            user.region is None or user.region.level != RegionLevel.SUBDISTRICT
        ):
            raise ValidationError({"region": "街道安监站用户须指定所在镇街"})
        if user.role in (Role.DISTRICT, Role.DEPARTMENT) and user.region is None:
            raise ValidationError({"region": f"{user.get_role_display()}用户须指定管辖区域"})
    elif user.role == Role.ENTERPRISE:
        user.region = None
        user.agency = None
        if user.enterprise is None:
            raise ValidationError({"enterprise": "企业用户须指定所属企业"})
    elif user.role == Role.AGENCY:
        user.region = None
        user.enterprise = None
        if user.agency is None:
            raise ValidationError({"agency": "第三方机构用户须指定所属机构"})
    else:
        user.region = user.enterprise = user.agency = None


@transaction.atomic
def user_create(*, actor, data: dict, password: str) -> User:
    """Create an account with a role and scope; the password must pass the complexity rules."""
    require(actor, perms.USER_MANAGE, message=USER_MANAGE_DENIED)
    user = User(**{k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    check_scope(user)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=actor,
        action=ChangeLog.Action.CREATE,
        instance=user,
        note=f"角色:{user.get_role_display()},范围:{user.scope_label}",
    )
    return user


@transaction.atomic
def user_update(*, actor, user: User, data: dict) -> list[dict[str, str]]:
    """Change a user's details, role, scope or active flag."""
    require(actor, perms.USER_MANAGE, message=USER_MANAGE_DENIED)
    if actor is not None and user.pk == actor.pk and data.get("is_active") is False:
        raise ValidationError({"is_active": "不能停用自己的账号"})
    before = audit.snapshot(user, ACCOUNT_FIELDS)
    for key, value in data.items():
        if key in ACCOUNT_FIELDS:
            setattr(user, key, value)
    check_scope(user)
    user.full_clean(exclude=["password"])
    user.save()
    changes = audit.diff(user, before)
    if changes:
        audit.record(actor=actor, action=ChangeLog.Action.UPDATE, instance=user, changes=changes)
    return changes


@transaction.atomic
def user_set_password(*, actor, user: User, password: str) -> None:
    """Set a new password. Reset by an administrator, it is known to two people, so the user
    must choose their own at the next login; the user's own change clears that."""
    reset = actor is not None and actor.pk != user.pk
    if reset:
        require(actor, perms.USER_MANAGE, message=USER_MANAGE_DENIED)
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = reset
    user.save(update_fields=["password", "must_change_password"])
    note = "管理员重置密码(下次登录须修改)" if reset else "修改密码"
    audit.record(actor=actor, action=ChangeLog.Action.UPDATE, instance=user, note=note)


def locked_usernames(usernames) -> set[str]:
    """Which of `usernames` are locked now by too many failed logins (django-axes)."""
    return {row["username"] for row in _locked("username").filter(username__in=list(usernames))}


def locked_addresses() -> list[dict]:
    """Source addresses blocked now: [{ip_address, failures, last}] newest first."""
    return list(_locked("ip_address").order_by("-last"))


def _locked(parameter: str):
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Max, Sum
    from django.utils import timezone

    since = timezone.now() - timezone.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .exclude(**{f"{parameter}__isnull": True})
        .values(parameter)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )


@transaction.atomic
def login_unlock(*, actor, username: str = "", ip_address: str = "") -> int:
    """Clear the failed logins that lock an account or block an address; returns how many
    records were cleared. Only a system administrator may do it, and it is in the change log."""
    from axes.utils import reset

    require(actor, perms.USER_MANAGE, message=USER_MANAGE_DENIED)
    if not username and not ip_address:
        raise ValidationError("请指定要解锁的账号或地址")
    cleared = reset(username=username) if username else reset(ip=ip_address)
    target = User.objects.filter(username=username).first() if username else None
    audit.record(
        actor=actor,
        action=ChangeLog.Action.UPDATE,
        instance=target or actor,
        note=f"解除登录锁定:{'账号 ' + username if username else '地址 ' + ip_address}",
    )
    return cleared
