from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CampaignsConfig(AppConfig):
    name = "anbiao.campaigns"
    verbose_name = "专项行动"

    def ready(self) -> None:
        # Imports inside ready(): the loader imports models, which need the app registry.
        from anbiao.campaigns.figure_version import (
            after_migrate,
            bulk_enter,
            bulk_leave,
            data_version,
            unversioned_columns,
            versioned_tables,
        )
        from anbiao.campaigns.loader import load_reference
        from anbiao.campaigns.selectors import ledger_baseline
        from anbiao.campaigns.tasks import queue_keep_counts
        from anbiao.core import reference_data, triggers
        from anbiao.core.imports.signals import rows_imported
        from anbiao.core.pagination import register_data_version
        from anbiao.enterprises.ledger import register_baseline_provider

        reference_data.register("campaigns", table="campaigns_campaign", load=load_reference)
        # The 应创台账 (附件3) counts 新增企业 from the baseline of the campaign covering it.
        register_baseline_provider(ledger_baseline)
        # The dashboard's data version is kept by triggers; a migration may rebuild a table.
        post_migrate.connect(after_migrate, sender=self)
        # A bulk writer (the ledger import) raises the version and its blocks once, not per row.
        triggers.register_bulk_insert(bulk_enter, bulk_leave)
        # The lists' counts by group are kept under the same version (core/pagination.py).
        register_data_version(data_version, versioned_tables(), unversioned_columns())
        # An import moves many blocks of the kept counts: the worker counts them again.
        rows_imported.connect(queue_keep_counts, dispatch_uid="campaigns.keep_counts")
