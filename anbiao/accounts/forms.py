from django import forms
from django.apps import apps
from django.contrib.auth.forms import AuthenticationForm

from anbiao.accounts.models import User
from anbiao.core import uscc as uscc_rules
from anbiao.core.forms import StyledForm, StyledModelForm, style_fields


def lockout_policy() -> dict[str, int]:
    """The login rules as configured (docs/configuration.md), for the login page's messages."""
    from django.conf import settings

    return {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": round(settings.AXES_COOLOFF_TIME * 60),
        "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    }


class LoginForm(AuthenticationForm):
    error_messages = {"inactive": "该账号已停用,请联系系统管理员。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy = lockout_policy()
        self.error_messages = self.error_messages | {
            "invalid_login": "用户名或密码错误。连续输错{failure_limit}次,账号将被锁定"
            "{lockout_minutes}分钟。".format(**policy)
        }
        self.fields["username"].widget.attrs.update({"placeholder": "用户名", "autofocus": True})
        self.fields["password"].widget.attrs.update({"placeholder": "密码"})
        style_fields(self)


class UserForm(StyledModelForm):
    """An administrator's form for an account: who, role, and scope."""

    enterprise_uscc = forms.CharField(
        label="所属企业(统一社会信用代码)", required=False, help_text="企业用户填写"
    )
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput,
        required=False,
        help_text="至少8位,含大写字母、小写字母、数字、符号中的至少3类",
    )

    class Meta:
        model = User
        fields = [
            "username",
            "full_name",
            "phone",
            "role",
            "region",
            "agency",
            "department",
            "is_active",
        ]
        help_texts = {
            "username": "登录用的账号名,字母、数字或 @.+-_",
            "region": "区专班、安监站、行业部门填写",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].empty_label = "(不限/不适用)"
        self.fields["agency"].empty_label = "(不适用)"
        if self.instance.pk:
            del self.fields["password"]
            if self.instance.enterprise_id:
                self.fields["enterprise_uscc"].initial = self.instance.enterprise.uscc
        else:
            self.fields["password"].required = True

    def clean_enterprise_uscc(self):
        # accounts sits below enterprises (docs/architecture.md): the model comes from the registry.
        Enterprise = apps.get_model("enterprises", "Enterprise")  # noqa: N806

        raw = self.cleaned_data.get("enterprise_uscc")
        if not raw:
            return None
        try:
            code = uscc_rules.validate(raw)
        except uscc_rules.USCCError as exc:
            raise forms.ValidationError(str(exc)) from exc
        enterprise = Enterprise.objects.filter(uscc=code).first()
        if enterprise is None:
            raise forms.ValidationError("没有统一社会信用代码为该值的企业")
        return enterprise


class PasswordResetForm(StyledForm):
    password = forms.CharField(label="新密码", widget=forms.PasswordInput)
