from anbiao.core.imports import command as generic


class Command(generic.Command):
    help = "从 .xlsx/.xls/.csv 导入创建进度(同 anbiao import progress FILE)。"
    kind = "progress"
