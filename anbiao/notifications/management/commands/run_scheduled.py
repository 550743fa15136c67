import time

from django.core.management.base import BaseCommand

from anbiao.notifications.schedule import JOBS, run_due


class Command(BaseCommand):
    help = (
        "运行到期的定时任务(证书状态更新、到期提醒、每周摘要),补跑错过的日期,同一日期不会重复运行。"
        "加 --every 秒数 则作为时钟常驻,定时把任务交给后台 worker。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="秒",
            help="常驻模式:每隔多少秒向后台 worker 提交一次检查(建议 300)",
        )

    def handle(self, *args, every: int = 0, **options):
        if every <= 0:
            runs = run_due()
            for run in runs:
                name = JOBS[run.job].name
                line = f"{name} {run.day}:{run.get_status_display()} {run.summary}"
                style = self.style.SUCCESS if run.status == "done" else self.style.ERROR
                self.stdout.write(style(line))
            if not runs:
                self.stdout.write("没有到期的定时任务")
            return
        from anbiao.campaigns.tasks import keep_counts_current
        from anbiao.notifications.tasks import tick

        self.stdout.write(f"定时任务时钟已启动,每 {every} 秒检查一次(Ctrl+C 停止)")
        while True:  # pragma: no cover - a daemon loop; each task is tested on its own
            tick.enqueue()
            # Writes other than imports may move every block of the kept counts (a region, a
            # campaign): the worker counts the scopes asked lately again if so.
            keep_counts_current.enqueue()
            time.sleep(every)
