from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "anbiao.agencies"
    verbose_name = "第三方机构"

    def ready(self) -> None:
        from anbiao.accounts import permissions as perms
        from anbiao.agencies import importers
        from anbiao.core.imports import registry
        from anbiao.core.models import ImportJob

        registry.register(
            ImportJob.Kind.AGENCY,
            perms.AGENCY_MANAGE,
            importers.import_agencies,
            columns=importers.AGENCY_COLUMNS,
            example=importers.AGENCY_EXAMPLE,
            help_text=importers.AGENCY_HELP,
        )
        registry.register(
            ImportJob.Kind.EXPERT,
            perms.AGENCY_MANAGE,
            importers.import_experts,
            columns=importers.EXPERT_COLUMNS,
            example=importers.EXPERT_EXAMPLE,
            help_text=importers.EXPERT_HELP,
        )
