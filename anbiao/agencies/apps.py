from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "anbiao.agencies"
    verbose_name = "第三方机构"
