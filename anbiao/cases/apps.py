from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "anbiao.cases"
    verbose_name = "标准化创建"
