from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupervisionConfig(AppConfig):
    name = "anbiao.supervision"
    verbose_name = "日常监管"

    def ready(self) -> None:
        from anbiao.supervision.reference import load_after_migrate

        # The shipped checklists, like the other reference data, are present after migrate.
        post_migrate.connect(load_after_migrate, sender=self, dispatch_uid="supervision-reference")
