from django.core.management.base import BaseCommand

from anbiao.demo.builder import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "生成演示数据(翔安区、约200家企业、每个角色一个演示账号),可重复执行。"

    def handle(self, *args, **options):
        summary, users = build_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据就绪:新增社区 {summary.regions} 个,企业 {summary.enterprises} 家,"
                f"账号 {summary.users} 个,创建案例 {summary.cases} 个,"
                f"证书 {summary.certificates} 张。"
            )
        )
        self.stdout.write(f"演示账号(密码均为 {DEMO_PASSWORD}):")
        for user in users:
            self.stdout.write(
                f"  {user.username:<12} {user.get_role_display():<8} {user.scope_label}"
            )
