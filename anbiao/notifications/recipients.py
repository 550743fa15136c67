"""Who receives a reminder: each recipient kind of a rule (rules.RECIPIENT_KINDS) resolved to
active users by scope — the same scope that lets them see the thing (docs/roles-and-scope.md)."""

from collections.abc import Callable
from datetime import date

from django.db.models import Q

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User

# Recipient kinds contributed by other apps (督办: issuer, recipient, superior):
# kind → fn(subject, on) -> QuerySet of users. See `register`.
RESOLVERS: dict[str, Callable] = {}


def register(kind: str, fn: Callable) -> None:
    RESOLVERS[kind] = fn


def ancestor_paths(region) -> list[str]:
    """The paths of `region` and every region above it ("350213/", "350213/350213007/")."""
    parts = [p for p in region.path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def region_officers(region, role: str):
    """Users of `role` whose region contains `region` (a station of the 街道, the district)."""
    if region is None:
        return User.objects.none()
    return User.objects.filter(role=role, region__path__in=ancestor_paths(region))


def department_users(region, department: str):
    """Users of the responsible department (their 所属部门 equals it) whose region contains
    or lies within `region`. No such user: the stations of the region, so nothing slips."""
    if region is None or not department:
        return User.objects.none()
    around = Q(region__path__in=ancestor_paths(region)) | Q(region__path__startswith=region.path)
    users = User.objects.filter(around, department=department, is_active=True)
    if users.exists():
        return users
    return region_officers(region, Role.STATION)


def agency_users(enterprise, on: date):
    from anbiao.agencies.models import AgencyAssignment

    serving = AgencyAssignment.objects.filter(enterprise=enterprise, start_on__lte=on).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=on)
    )
    return User.objects.filter(role=Role.AGENCY, agency__in=serving.values("agency"))


def resolve(kind: str, subject, on: date) -> set:
    """The active users of one recipient kind for `subject` (a queries.Subject)."""
    enterprise = subject.enterprise
    region = subject.region or (enterprise.region if enterprise is not None else None)
    if kind == "enterprise":
        users = (
            User.objects.filter(role=Role.ENTERPRISE, enterprise=enterprise)
            if enterprise is not None
            else User.objects.none()
        )
    elif kind == "agency":
        users = agency_users(enterprise, on) if enterprise is not None else User.objects.none()
    elif kind == "station":
        users = region_officers(region, Role.STATION)
    elif kind == "district":
        users = region_officers(region, Role.DISTRICT)
    elif kind == "department":
        users = department_users(region, subject.department)
    elif kind in RESOLVERS:
        users = RESOLVERS[kind](subject, on)
    else:  # rules.py refuses unknown kinds when it reads the file
        raise ValueError(kind)
    return set(users.filter(is_active=True))
