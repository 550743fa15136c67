from django.apps import AppConfig


class DispatchesConfig(AppConfig):
    name = "anbiao.dispatches"
    verbose_name = "督办"

    def ready(self) -> None:
        # The `dispatch` reminder query and the 督办 recipient kinds (reminders.yaml).
        from anbiao.dispatches import reminders  # noqa: F401
