from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "anbiao.supervision"
    verbose_name = "日常监管"

    def ready(self) -> None:
        # Inside ready(): the loader imports models, which need the registry.
        from anbiao.core import reference_data
        from anbiao.supervision.reference import load_reference

        reference_data.register("supervision", table="supervision_checklist", load=load_reference)
