from django.core.management.base import BaseCommand, CommandError

from anbiao.cases.standards import StandardError, load_standard


class Command(BaseCommand):
    help = "载入一个评定标准(YAML),可重复执行;已被评定使用的版本不能修改,只能发布新版本。"

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="+", help="标准文件,如 reference_data/standards/gm-xiaowei.yaml"
        )

    def handle(self, *args, files, **options):
        for path in files:
            try:
                result = load_standard(path)
            except StandardError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(str(result)))
