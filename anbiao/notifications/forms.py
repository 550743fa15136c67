from django import forms

from anbiao.core.forms import StyledForm
from anbiao.notifications.rules import rule_choices


class PreferenceForm(StyledForm):
    rules = forms.MultipleChoiceField(
        label="接收哪些提醒",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="取消勾选的提醒不再发送给您(督办消息总会送达)",
    )
    email_enabled = forms.BooleanField(label="接收邮件(需在账号中登记邮箱)", required=False)
    email_digest = forms.BooleanField(label="改为每周一收到一封摘要邮件,不逐条发送", required=False)
    sms_enabled = forms.BooleanField(
        label="接收短信(需登记手机号;短信通道由部署单位开通)", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rules"].choices = rule_choices()
