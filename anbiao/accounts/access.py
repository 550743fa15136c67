"""The access layer: what a user may do (the role → permission table in `permissions.py`) checked
in one way everywhere. Where they may do it is the data scope (`scope.py`, applied to querysets
by `restrict`).

- Views declare their permission with `@requires(perm)`; the decorator checks it and records it
  on the view so a test can prove that no view goes unchecked.
- Views open to everyone (login) are marked `@public`; views any signed-in user may open, whose
  check is purely the object's scope (a selector returns only what the user may see), are marked
  `@requires_login`. Nothing is left unclassified (anbiao/accounts/tests/test_access.py).
- Services and selectors call `require(actor, perm, obj=...)` before they read or write. The
  actor `None` is the system itself (migrations, the demo builder, scheduled jobs), which is
  never refused; an anonymous or inactive user always is.

See docs/architecture.md ("The access layer").
"""

from collections.abc import Callable
from functools import wraps

from django.apps import apps
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied

from anbiao.accounts.permissions import has_perm
from anbiao.accounts.scope import enterprise_scope_q

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
    # accounts sits below the domain apps, so it names the Enterprise model through the registry.
    Enterprise = apps.get_model("enterprises", "Enterprise")  # noqa: N806
    enterprise_id = getattr(obj, "enterprise_id", None)
    if enterprise_id is None and isinstance(obj, Enterprise):
        enterprise_id = obj.pk
    if enterprise_id is None:
        return True
    return Enterprise.objects.filter(enterprise_scope_q(user), pk=enterprise_id).exists()


def requires(*perms: str, message: str = DENIED) -> Callable:
    """View decorator: refuse the request unless the user holds every one of `perms`
    (PermissionDenied with `message`).

    The permissions are recorded as `view.required_permissions`, which the access test reads to
    prove every URL is guarded."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            for perm in perms:
                require(request.user, perm, message=message)
            return view(request, *args, **kwargs)

        guarded.required_permissions = perms
        guarded.access = "permission"
        return guarded

    return decorate


def requires_any(*perms: str, message: str = DENIED) -> Callable:
    """View decorator: refuse the request unless the user holds at least one of `perms` (a page
    that shows more to a stronger permission, e.g. the full or the profile-only edit form)."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not any(has_perm(request.user, perm) for perm in perms):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        guarded.required_permissions = perms
        guarded.access = "any"
        return guarded

    return decorate


def requires_login(view):
    """Mark a view any signed-in user may open (LoginRequiredMiddleware turns anonymous users
    away): what it shows is decided by the object's scope — a scoped selector or
    `require(..., obj=...)` inside — not by a role permission."""
    view.required_permissions = ()
    view.access = "login"
    return view


def public(view):
    """Mark a view open to anonymous users (the login page)."""
    view = login_not_required(view)
    view.required_permissions = ()
    view.access = "public"
    return view
