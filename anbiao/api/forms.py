from datetime import timedelta

from django import forms
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.models import User
from anbiao.core.forms import StyledForm


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.username}({obj.display_name} · {obj.get_role_display()})"


class TokenForm(StyledForm):
    name = forms.CharField(label="名称(用途)", max_length=60, help_text="如:区平台数据同步")
    expires_on = forms.DateField(
        label="有效期至", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    read_only = forms.BooleanField(
        label="只读(不能记录进度、登记证书等写入操作)", required=False, initial=True
    )
    user = AccountChoiceField(
        label="所属账号",
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="本人",
        help_text="系统管理员可为系统账号(如区平台对接账号)创建令牌;令牌的数据范围即该账号的范围",
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=90)
        if not perms.has_perm(actor, perms.API_TOKEN_MANAGE):
            del self.fields["user"]
