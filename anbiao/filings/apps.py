from django.apps import AppConfig


class FilingsConfig(AppConfig):
    """信息报送 (filings): frozen snapshots of the figures a station reports, the district's
    answer, "as known at" recomputation, what changed since, and the district's roll-up."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "anbiao.filings"
    verbose_name = "信息报送"

    def ready(self) -> None:
        from anbiao.core.imports import registry
        from anbiao.filings import reminders  # noqa: F401 - registers the `filing_due` query
        from anbiao.filings.changes import filed_figures_check

        registry.register_preview_check(filed_figures_check)
