from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "anbiao.enterprises"
    verbose_name = "企业台账"
