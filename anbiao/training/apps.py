from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "anbiao.training"
    verbose_name = "培训"
