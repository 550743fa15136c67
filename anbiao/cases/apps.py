from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    name = "anbiao.cases"
    verbose_name = "标准化创建"

    def ready(self) -> None:
        # Imports inside ready(): importers and loaders import models, which need the registry.
        from anbiao.accounts import permissions as perms
        from anbiao.cases.current_state import install
        from anbiao.cases.importers import COLUMNS, HELP_TEXT, TEMPLATE_EXAMPLE, import_progress
        from anbiao.cases.standards import load_reference
        from anbiao.core import reference_data
        from anbiao.core.imports import registry
        from anbiao.core.models import ImportJob

        reference_data.register("standards", table="cases_standard", load=load_reference)
        registry.register(
            ImportJob.Kind.PROGRESS,
            perms.CASE_MANAGE,
            import_progress,
            columns=COLUMNS,
            example=TEMPLATE_EXAMPLE,
            help_text=HELP_TEXT,
        )
        # Enterprise.case_state is kept by triggers; a migration may rebuild a table.
        post_migrate.connect(install, sender=self)
