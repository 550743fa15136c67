"""The access layer: what a user may do (the role → permission table in `permissions.py`) checked
in one way everywhere. Where they may do it is the data scope (`scope.py`, applied to querysets
by `restrict`).

- Views declare their permission with `@requires(perm)`; the decorator checks it and records it
  on the view so a test can prove that no view goes unchecked.
- Services and selectors call `require(actor, perm, obj=...)` before they read or write. The
  actor `None` is the system itself (migrations, the demo builder, scheduled jobs), which is
  never refused; an anonymous or inactive user always is.
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied

from anbiao.accounts.permissions import has_perm

DENIED = "您没有此操作的权限"
OUT_OF_SCOPE = "该企业不在您的管辖范围内"


def actor_or_none(actor):
    """The user to record as the actor of a change, or None for the system."""
    return actor if getattr(actor, "pk", None) else None


def require(actor, perm: str, obj=None, message: str = DENIED) -> None:
    """Refuse (PermissionDenied with a Chinese message) unless `actor` holds `perm` and, when
    `obj` is an enterprise or a record of one, that enterprise is within the actor's scope."""
    if actor is None:
        return
    if not has_perm(actor, perm):
        raise PermissionDenied(message)
    if obj is not None and not in_scope(actor, obj):
        raise PermissionDenied(OUT_OF_SCOPE)


def in_scope(user, obj) -> bool:
    """True when `obj` (an Enterprise, or anything with an `enterprise_id`) is in `user`'s scope."""
    from anbiao.accounts.scope import enterprise_scope_q
    from anbiao.enterprises.models import Enterprise

    enterprise_id = getattr(obj, "enterprise_id", None)
    if enterprise_id is None and isinstance(obj, Enterprise):
        enterprise_id = obj.pk
    if enterprise_id is None:
        return True
    return Enterprise.objects.filter(enterprise_scope_q(user), pk=enterprise_id).exists()


def requires(*perms: str) -> Callable:
    """View decorator: refuse the request unless the user holds every one of `perms`.

    The permissions are recorded as `view.required_permissions`, which the access test reads to
    prove every URL is guarded."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            for perm in perms:
                require(request.user, perm)
            return view(request, *args, **kwargs)

        guarded.required_permissions = perms
        return guarded

    return decorate
