from django.core.management.base import BaseCommand

from anbiao.cases.services import expire_certificates


class Command(BaseCommand):
    help = "为证书已到期且未换证的企业记录“证书过期”(每日由 cron 运行)。"

    def handle(self, *args, **options):
        changed = expire_certificates()
        self.stdout.write(self.style.SUCCESS(f"证书过期检查完成:{changed} 家企业转为已过期"))
