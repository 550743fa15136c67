"""Scoped reads of API tokens and their use: a user sees their own tokens; an administrator
(apitoken.manage) sees every token and the whole usage log."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.api.models import ApiToken, ApiTokenUse

STATUSES = (("active", "有效"), ("expired", "已过期"), ("revoked", "已吊销"))


def token_list(*, user, params) -> QuerySet[ApiToken]:
    require(user, perms.API_TOKEN_OWN)
    qs = ApiToken.objects.select_related("user", "created_by")
    if not perms.has_perm(user, perms.API_TOKEN_MANAGE):
        qs = qs.filter(user=user)
    today = timezone.localdate()
    status = params.get("status") or ""
    if status == "active":
        qs = qs.filter(revoked_at__isnull=True, expires_on__gte=today)
    elif status == "expired":
        qs = qs.filter(revoked_at__isnull=True, expires_on__lt=today)
    elif status == "revoked":
        qs = qs.filter(revoked_at__isnull=False)
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(name__icontains=text) | Q(user__username__icontains=text) | Q(prefix__startswith=text)
        )
    return qs.order_by("-created_at", "-id")


def token_get(*, user, pk: int) -> ApiToken:
    """A token the user may act on: their own, or any for an administrator. Another account's
    token is refused (403), not hidden: a token's id tells nothing about any enterprise."""
    token = ApiToken.objects.select_related("user").filter(pk=pk).first()
    if token is None:
        raise Http404("令牌不存在")
    if token.user_id != user.pk:
        require(user, perms.API_TOKEN_MANAGE, message="您不能操作他人的令牌")
    return token


def token_use_list(*, user, params) -> QuerySet[ApiTokenUse]:
    require(user, perms.API_TOKEN_MANAGE, message="只有系统管理员可以查看接口调用记录")
    qs = ApiTokenUse.objects.select_related("token", "user")
    text = (params.get("q") or "").strip()
    if text:
        qs = qs.filter(
            Q(user__username__icontains=text)
            | Q(path__icontains=text)
            | Q(token__prefix__startswith=text)
            | Q(ip_address__startswith=text)
        )
    status = params.get("status") or ""
    if status == "ok":
        qs = qs.filter(status__lt=400)
    elif status == "refused":
        qs = qs.filter(status__gte=400)
    return qs.order_by("-at", "-id")
