from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "anbiao.training"
    verbose_name = "培训"

    def ready(self) -> None:
        from anbiao.accounts import permissions as perms
        from anbiao.core.imports import registry
        from anbiao.core.models import ImportJob
        from anbiao.training.importers import COLUMNS, EXAMPLE, HELP, import_sign_in

        registry.register(
            ImportJob.Kind.TRAINING,
            perms.TRAINING_MANAGE,
            import_sign_in,
            columns=COLUMNS,
            example=EXAMPLE,
            targeted=True,
            help_text=HELP,
        )
