from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "anbiao.notifications"
    verbose_name = "提醒与通知"
