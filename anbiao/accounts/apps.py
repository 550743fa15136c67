from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "anbiao.accounts"
    verbose_name = "账号与区划"

    def ready(self) -> None:
        # Imports inside ready(): models and receivers may load only once the app registry is.
        from anbiao.accounts import signals  # noqa: F401  (login log receivers)
        from anbiao.accounts.reference_data import load_regions
        from anbiao.core import reference_data

        reference_data.register("regions", table="accounts_region", load=load_regions)
