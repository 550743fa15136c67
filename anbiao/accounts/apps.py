from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "anbiao.accounts"
    verbose_name = "账号与区划"

    def ready(self) -> None:
        from anbiao.accounts import signals  # noqa: F401  (login log receivers)
