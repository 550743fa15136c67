"""Pages of the API: the browsable docs, personal tokens (create — shown once —, list, revoke)
and the usage log for administrators. Thin: services write, selectors read."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import public, requires
from anbiao.api import selectors, services
from anbiao.api.forms import TokenForm
from anbiao.core.excel import Column, xlsx_response
from anbiao.core.forms import apply_errors
from anbiao.core.pagination import paginate, querystring_without


@public
@require_GET
def docs(request):
    """The OpenAPI document rendered by swagger-ui-dist, served from our own static files."""
    return render(request, "api/docs.html", {"schema_url": reverse("api:openapi-json")})


TOKEN_COLUMNS = [
    Column("名称", lambda t: t.name, 24),
    Column("令牌前缀", lambda t: t.prefix, 14),
    Column("所属账号", lambda t: t.user.username, 14),
    Column("权限", lambda t: "只读" if t.read_only else "读写", 8),
    Column("有效期至", lambda t: t.expires_on, 12),
    Column("状态", lambda t: t.status_label, 8),
    Column("创建时间", lambda t: t.created_at, 18),
    Column("最近使用", lambda t: t.last_used_at, 18),
]


@requires(perms.API_TOKEN_OWN)
@require_GET
def token_list(request):
    tokens = selectors.token_list(user=request.user, params=request.GET)
    if request.GET.get("export"):
        return xlsx_response(
            f"接口令牌-{timezone.localdate():%Y%m%d}.xlsx",
            title="接口令牌",
            subtitle=f"导出时间 {timezone.localtime():%Y-%m-%d %H:%M}",
            columns=TOKEN_COLUMNS,
            rows=tokens.iterator(chunk_size=2000),
        )
    return render(
        request,
        "api/token_list.html",
        {
            "page": paginate(request, tokens),
            "q": request.GET.get("q", ""),
            "status": request.GET.get("status", ""),
            "statuses": selectors.STATUSES,
            "query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page", "export"),
            "is_manager": perms.has_perm(request.user, perms.API_TOKEN_MANAGE),
            "today": timezone.localdate(),
        },
    )


@requires(perms.API_TOKEN_OWN)
@require_http_methods(["GET", "POST"])
def token_create(request):
    form = TokenForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = services.token_create(
                actor=request.user,
                user=data.get("user") or request.user,
                name=data["name"],
                expires_on=data["expires_on"],
                read_only=data["read_only"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # The secret is rendered once, in this response, and never stored or shown again.
            response = render(request, "api/token_created.html", {"token": token, "secret": secret})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "api/token_form.html", {"form": form})


@requires(perms.API_TOKEN_OWN)
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk: int):
    """GET asks for confirmation; POST revokes at once."""
    token = selectors.token_get(user=request.user, pk=pk)
    if request.method == "GET":
        return render(request, "api/token_revoke.html", {"token": token})
    try:
        services.token_revoke(actor=request.user, token=token)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, f"已吊销令牌“{token.name}”")
    return redirect("tokens:list")


USE_COLUMNS = [
    Column("时间", lambda u: u.at, 20),
    Column("用户", lambda u: u.user.username if u.user_id else "", 14),
    Column("令牌", lambda u: f"{u.token.name}({u.token.prefix}…)", 28),
    Column("方法", lambda u: u.method, 8),
    Column("接口", lambda u: u.path, 50),
    Column("状态码", lambda u: u.status, 8),
    Column("IP地址", lambda u: u.ip_address or "", 16),
]


@requires(perms.API_TOKEN_MANAGE)
@require_GET
def token_uses(request):
    uses = selectors.token_use_list(user=request.user, params=request.GET)
    if request.GET.get("export"):
        return xlsx_response(
            f"接口调用记录-{timezone.localdate():%Y%m%d}.xlsx",
            title="接口调用记录",
            subtitle=f"导出时间 {timezone.localtime():%Y-%m-%d %H:%M}",
            columns=USE_COLUMNS,
            rows=uses.iterator(chunk_size=2000),
        )
    return render(
        request,
        "api/token_uses.html",
        {
            "page": paginate(request, uses),
            "q": request.GET.get("q", ""),
            "status": request.GET.get("status", ""),
            "query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page", "export"),
        },
    )
