from django.apps import AppConfig


class DispatchesConfig(AppConfig):
    name = "anbiao.dispatches"
    verbose_name = "督办"
