from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "anbiao.cases"
    verbose_name = "标准化创建"

    def ready(self) -> None:
        # Imports inside ready(): importers and loaders import models, which need the registry.
        from anbiao.accounts import permissions as perms
        from anbiao.cases.importers import COLUMNS, HELP_TEXT, TEMPLATE_EXAMPLE, import_progress
        from anbiao.cases.standards import load_reference
        from anbiao.core import imports, reference_data
        from anbiao.core.models import ImportJob

        reference_data.register("standards", table="cases_standard", load=load_reference)
        imports.register(
            ImportJob.Kind.PROGRESS,
            perms.CASE_MANAGE,
            import_progress,
            columns=COLUMNS,
            example=TEMPLATE_EXAMPLE,
            help_text=HELP_TEXT,
        )
