import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from anbiao.api.exchange import import_package

LABELS = {
    "regions": "区划",
    "enterprises": "企业",
    "facts": "动态信息",
    "case_events": "创建事件",
    "benchmarks": "标杆企业",
    "benchmark_events": "标杆事件",
    "training_sessions": "培训",
    "attendance": "参训人员",
}


def describe(exc: ValidationError) -> str:
    """Each message with what it is about (the file, and the line when known)."""
    if hasattr(exc, "error_dict"):
        return ";".join(f"{k}:{m}" for k, ms in exc.message_dict.items() for m in ms)
    return ";".join(exc.messages)


class Command(BaseCommand):
    help = "合并镇街实例导出的数据交换包(可重复执行:已导入的记录不会重复)。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="交换包文件(.zip)")
        parser.add_argument("--json", action="store_true", help="以JSON输出导入结果")

    def handle(self, *args, **options):
        results = []
        for name in options["files"]:
            try:
                result = import_package(path=name)
            except (ValidationError, OSError) as exc:
                text = describe(exc) if isinstance(exc, ValidationError) else str(exc)
                raise CommandError(f"{name}:{text}(未导入任何数据)") from exc
            results.append(
                {
                    "file": name,
                    "region": result.region,
                    "as_of": result.as_of,
                    "added": result.added,
                }
            )
            if not options["json"]:
                added = ",".join(f"{LABELS.get(k, k)} {v}" for k, v in result.added.items() if v)
                summary = f"新增 {added}" if result.changed else "无新数据(已导入过)"
                self.stdout.write(
                    self.style.SUCCESS(f"{name}({result.region},截至{result.as_of}):{summary}")
                )
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, indent=2))
