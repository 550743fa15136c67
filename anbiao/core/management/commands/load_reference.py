from django.core.management.base import BaseCommand

from anbiao.core.reference_data import load_reference_data


class Command(BaseCommand):
    help = "载入参考数据(行政区划、重点风险等字典),可重复执行。"

    def handle(self, *args, **options):
        summary = load_reference_data()
        self.stdout.write(self.style.SUCCESS(f"参考数据载入完成:{summary}"))
