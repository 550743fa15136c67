from anbiao.core.imports import command as generic


class Command(generic.Command):
    help = "从 .xlsx/.xls/.csv 导入企业台账(同 anbiao import ledger FILE)。"
    kind = "ledger"
