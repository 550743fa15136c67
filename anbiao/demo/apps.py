from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set (`anbiao demo`). It sits above every domain app because it builds
    enterprises, users, cases, surveys and campaign progress together; nothing imports it."""

    name = "anbiao.demo"
    verbose_name = "演示数据"
