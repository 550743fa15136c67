from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "anbiao.campaigns"
    verbose_name = "专项行动"

    def ready(self):
        from anbiao.campaigns.selectors import ledger_baseline
        from anbiao.enterprises.ledger import register_baseline_provider

        # The 应创台账 (附件3) counts 新增企业 from the baseline of the campaign covering it.
        register_baseline_provider(ledger_baseline)
