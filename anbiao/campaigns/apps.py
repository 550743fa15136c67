from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "anbiao.campaigns"
    verbose_name = "专项行动"
