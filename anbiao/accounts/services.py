"""Writes to user accounts: create, change role and scope, disable, reset password.
Only a system administrator may call them; each change is in the change log."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.choices import REGION_ROLES, RegionLevel, Role
from anbiao.accounts.models import Region, User
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
        if user.role in (Role.DISTRICT, Role.GRADING, Role.DEPARTMENT) and user.region is None:
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


def community_create(*, actor, subdistrict, name: str, code: str = "", note: str = "") -> Region:
    """Add a 社区/村 under `subdistrict` with a generated code (the 镇街's code + 9xx, so a
    generated code is told from an official one and can be corrected later). Used by the ledger
    import of a station officer, who may add communities only under their own 镇街."""
    name = name.strip()
    if not name or len(name) > 50:
        raise ValidationError({"name": "社区名称不能为空,且不超过50个字"})
    if subdistrict.level != RegionLevel.SUBDISTRICT:
        raise ValidationError({"parent": "社区只能建在镇街之下"})
    if actor is not None and actor.role not in (Role.ADMIN, Role.DISTRICT):
        if actor.region_id != subdistrict.pk:
            raise PermissionDenied("只能在本镇街下新增社区")
    existing = subdistrict.children.filter(name=name).first()
    if existing is not None:
        return existing
    codes = set(
        Region.objects.filter(code__startswith=subdistrict.code).values_list("code", flat=True)
    )
    number = 901
    while f"{subdistrict.code}{number:03d}" in codes:
        number += 1
    code = _check_code(code, subdistrict) if code else f"{subdistrict.code}{number:03d}"
    region = Region.objects.create(
        code=code,
        name=name,
        level=RegionLevel.COMMUNITY,
        parent=subdistrict,
        sort_order=number,
    )
    audit.record(actor=actor, action=ChangeLog.Action.CREATE, instance=region, note=note)
    return region


def _require_regions(actor, region) -> None:
    """Admins manage the whole tree; the district its own subtree."""
    if actor is None:
        return
    require(actor, perms.REGION_MANAGE, message="您没有管理行政区划的权限")
    if actor.region_id and not region.path.startswith(actor.region.path):
        raise PermissionDenied("该区划不在您的管辖范围内")


def _check_code(code: str, parent: Region, region: Region | None = None) -> str:
    code = code.strip()
    if not code.isdigit() or not code.startswith(parent.code) or len(code) > 12:
        raise ValidationError(
            {"code": f"区划代码须为数字,以上级代码“{parent.code}”开头,不超过12位"}
        )
    clash = Region.objects.filter(code=code).exclude(pk=getattr(region, "pk", None)).first()
    if clash is not None:
        raise ValidationError({"code": f"区划代码“{code}”已被“{clash.name}”使用"})
    return code


@transaction.atomic
def region_add_community(*, actor, subdistrict: Region, name: str, code: str = "") -> Region:
    """Add a community on the regions page (admin, district)."""
    _require_regions(actor, subdistrict)
    if subdistrict.children.filter(name=name.strip()).exists():
        raise ValidationError({"name": f"{subdistrict.name}下已有“{name.strip()}”"})
    return community_create(
        actor=actor, subdistrict=subdistrict, name=name, code=code, note="区划管理新增"
    )


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
def region_rename(*, actor, region: Region, name: str, code: str) -> Region:
    """Correct a community's name or code (e.g. a code generated by an import). Enterprises
    and users keep pointing at it (by id); its path follows the new code."""
    _require_regions(actor, region)
    if region.level != RegionLevel.COMMUNITY:
        raise ValidationError({"name": "这里只能修改社区/村;镇街随参考数据维护"})
    name = name.strip()
    if not name or len(name) > 50:
        raise ValidationError({"name": "名称不能为空,且不超过50个字"})
    if region.parent.children.filter(name=name).exclude(pk=region.pk).exists():
        raise ValidationError({"name": f"{region.parent.name}下已有“{name}”"})
    before = audit.snapshot(region, ("name", "code"))
    region.name, region.code = name, _check_code(code, region.parent, region)
    region.save()
    changes = audit.diff(region, before)
    if changes:
        audit.record(actor=actor, action=ChangeLog.Action.UPDATE, instance=region, changes=changes)
    return region


@transaction.atomic
def region_merge(*, actor, source: Region, target: Region) -> int:
    """Merge community `source` into `target` (same 镇街): its enterprises and users move to
    `target`, then `source` is deleted. Returns the number of enterprises moved."""
    _require_regions(actor, source)
    _require_regions(actor, target)
    if source.pk == target.pk:
        raise ValidationError({"target": "不能合并到自身"})
    if not source.level == target.level == RegionLevel.COMMUNITY:
        raise ValidationError({"target": "只能合并社区/村"})
    if source.parent_id != target.parent_id:
        raise ValidationError({"target": "只能合并同一镇街下的社区/村"})
    # Through the reverse relation: accounts sits below the enterprises app and imports none.
    moved = source.enterprises.update(region=target)
    User.objects.filter(region=source).update(region=target)
    audit.record(
        actor=actor,
        action=ChangeLog.Action.DELETE,
        instance=source,
        note=f"并入“{target.name}”,迁移企业{moved}家",
    )
    source.delete()
    return moved


def communities_from_file(path, filename: str) -> list[tuple[str, str, str]]:
    """(镇街 name or code, community name, code or "") from a YAML region file (the format of
    reference_data/regions/) or a spreadsheet with the columns 所属镇街, 社区名称, 区划代码."""
    import yaml

    from anbiao.core.imports.reader import Column, ImportFileError, read_table

    if filename.lower().endswith((".yaml", ".yml")):
        try:
            with open(path, "rb") as stream:
                data = yaml.safe_load(stream)
        except yaml.YAMLError as exc:
            raise ValidationError(
                {"file": "YAML格式有误,请对照 reference_data/regions 的写法"}
            ) from exc
        found: list[tuple[str, str, str]] = []

        def walk(nodes, parent: str) -> None:
            for node in nodes or []:
                if not isinstance(node, dict) or "name" not in node:
                    raise ValidationError({"file": "YAML中每个区划须有 name(和 code)"})
                level = node.get("level") or ("community" if parent else "")
                if level == "community" and parent:
                    found.append((parent, str(node["name"]), str(node.get("code") or "")))
                walk(node.get("children"), str(node.get("code") or node["name"]))

        walk(data.get("regions") if isinstance(data, dict) else None, "")
        return found
    columns = [
        Column("subdistrict", "所属镇街", ("镇街", "街道", "乡镇"), required=True),
        Column("name", "社区名称", ("社区", "村", "社区/村", "村(社区)"), required=True),
        Column("code", "区划代码", ("代码", "社区代码")),
    ]
    try:
        table = read_table(path, columns, filename=filename)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    if table.errors:
        raise ValidationError({"file": [str(e) for e in table.errors[:20]]})
    return [
        (r.values["subdistrict"], r.values["name"], r.values.get("code") or "") for r in table.rows
    ]


@transaction.atomic
def communities_import(*, actor, rows: list[tuple[str, str, str]]) -> tuple[int, int]:
    """Add the communities of a list (idempotent by 镇街 + name); returns (added, existing).
    All or nothing: an unknown or out-of-scope 镇街 or a bad code refuses the whole list."""
    subdistricts = list(Region.objects.filter(level=RegionLevel.SUBDISTRICT))
    by_key = {r.code: r for r in subdistricts} | {r.name: r for r in subdistricts}
    added = existing = 0
    for number, (parent_key, name, code) in enumerate(rows, start=1):
        parent = by_key.get(parent_key.strip())
        if parent is None:
            raise ValidationError({"file": f"第{number}项:没有名为“{parent_key}”的镇街"})
        _require_regions(actor, parent)
        if parent.children.filter(name=name.strip()).exists():
            existing += 1
            continue
        try:
            community_create(
                actor=actor, subdistrict=parent, name=name, code=code, note="导入社区名单"
            )
        except ValidationError as exc:
            message = ";".join(exc.messages)
            raise ValidationError({"file": f"第{number}项“{name}”:{message}"}) from exc
        added += 1
    return added, existing


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
