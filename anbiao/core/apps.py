from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "anbiao.core"
    verbose_name = "基础"

    def ready(self) -> None:
        from anbiao.core.reference_data import load_after_migrate

        post_migrate.connect(load_after_migrate, sender=self)
