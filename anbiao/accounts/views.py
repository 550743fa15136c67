"""Login, logout, password change, user management and the login log."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from anbiao.accounts import otp, services
from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires, requires_login
from anbiao.accounts.forms import LoginForm, PasswordResetForm, UserForm, lockout_policy
from anbiao.accounts.models import LoginLog, User
from anbiao.core.forms import apply_errors, style_fields
from anbiao.core.pagination import paginate, querystring_without


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"policy": lockout_policy()}


class StyledPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = StyledPasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        from django.contrib.auth import update_session_auth_hash

        user = self.request.user
        services.user_set_password(
            actor=user, user=user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, user)
        messages.success(self.request, "密码已修改")
        return redirect(self.get_success_url())


@require_GET
@requires(perms.USER_MANAGE, message=services.USER_MANAGE_DENIED)
def user_list(request):
    users = User.objects.select_related("region", "enterprise", "agency").order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    page = paginate(request, users)
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "locked": services.locked_usernames(u.username for u in page),
            "otp_users": otp.enrolled_user_ids(u.pk for u in page),
            "q": q,
            "query": querystring_without(request, "page"),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.USER_MANAGE, message=services.USER_MANAGE_DENIED)
def user_edit(request, pk: int | None = None):
    user = get_object_or_404(User, pk=pk) if pk else None
    form = UserForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["enterprise"] = data.pop("enterprise_uscc")
        password = data.pop("password", None)
        try:
            if user is None:
                user = services.user_create(actor=request.user, data=data, password=password)
                messages.success(request, f"已创建用户 {user.username}")
            else:
                services.user_update(actor=request.user, user=user, data=data)
                messages.success(request, f"已保存用户 {user.username}")
        except ValidationError as exc:
            apply_errors(form, exc, fallback="password")
        else:
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "account": user})


@require_http_methods(["GET", "POST"])
@requires(perms.USER_MANAGE, message=services.USER_MANAGE_DENIED)
def user_reset_password(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=user, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            form.add_error("password", exc.messages)
        else:
            messages.success(request, f"已重置 {user.username} 的密码")
            return redirect("accounts:user_list")
    return render(request, "accounts/password_reset.html", {"form": form, "account": user})


@require_GET
@requires(perms.LOGIN_LOG_VIEW, message="只有系统管理员可以查看登录日志")
def login_log(request):
    logs = LoginLog.objects.select_related("user")
    q = request.GET.get("q", "").strip()
    if q:
        logs = logs.filter(username__icontains=q)
    outcome = request.GET.get("outcome", "")
    if outcome in LoginLog.Outcome.values:
        logs = logs.filter(outcome=outcome)
    return render(
        request,
        "accounts/login_log.html",
        {
            "page": paginate(request, logs),
            "q": q,
            "outcome": outcome,
            "outcomes": LoginLog.Outcome.choices,
            "locked_addresses": services.locked_addresses(),
            "query": querystring_without(request, "page"),
        },
    )


@requires(perms.USER_MANAGE)
@require_POST
def login_unlock(request):
    """An administrator clears the lock on an account (`username`) or an address (`ip`)."""
    username = request.POST.get("username", "").strip()[:150]
    ip = request.POST.get("ip", "").strip()[:45]
    try:
        services.login_unlock(actor=request.user, username=username, ip_address=ip)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"已解除 {username or ip} 的登录锁定")
    return redirect("accounts:login_log" if ip else "accounts:user_list")


@requires_login
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Turn on the second factor: scan the QR code (or type the key), enter the first code."""
    user = request.user
    if otp.confirmed_device(user) and not user.is_verified():
        return redirect("accounts:otp_verify")  # re-enrolling needs the current factor first
    device = otp.pending_device(user)
    error = ""
    if request.method == "POST":
        try:
            device = otp.confirm(user=user, device=device, token=request.POST.get("token", ""))
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            otp_login(request, device)
            otp.remember_enrolment(request, user)
            messages.success(request, "双因素认证已启用,以后每次登录都需输入验证码")
            return redirect("home")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "qr": otp.qr_svg_data_uri(device),
            "secret": otp.secret_text(device),
            "enabled": otp.confirmed_device(user) is not None,
            "required": user.role in settings.ANBIAO_OTP_REQUIRED_ROLES,
            "error": error,
        },
    )


@requires_login
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The second step of a login: the current code of the user's authenticator app."""
    if request.user.is_verified() or not otp.confirmed_device(request.user):
        return redirect("home")
    error = ""
    if request.method == "POST":
        try:
            device = otp.verify(user=request.user, token=request.POST.get("token", ""))
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            otp_login(request, device)
            return redirect("home")
    return render(request, "accounts/otp_verify.html", {"error": error})


@requires(perms.USER_MANAGE)
@require_POST
def otp_reset(request, pk: int):
    """An administrator removes a user's second factor (e.g. a lost phone)."""
    user = get_object_or_404(User, pk=pk)
    otp.reset(actor=request.user, user=user)
    messages.success(request, f"已重置 {user.username} 的双因素认证,其下次登录时重新绑定")
    return redirect("accounts:user_list")
