from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "anbiao.campaigns"
    verbose_name = "专项行动"

    def ready(self) -> None:
        # Imports inside ready(): the loader imports models, which need the app registry.
        from anbiao.campaigns.loader import load_reference
        from anbiao.core import reference_data

        reference_data.register("campaigns", table="campaigns_campaign", load=load_reference)
