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
    """Set a new password (administrator reset, or the user's own change)."""
    if actor is not None and actor.pk != user.pk:
        require(actor, perms.USER_MANAGE, message=USER_MANAGE_DENIED)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, action=ChangeLog.Action.UPDATE, instance=user, note="修改密码")
