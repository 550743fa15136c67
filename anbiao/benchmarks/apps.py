from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    name = "anbiao.benchmarks"
    verbose_name = "标杆企业"
