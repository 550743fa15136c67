from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "anbiao.enterprises"
    verbose_name = "企业台账"

    def ready(self) -> None:
        # Imports inside ready(): importers and loaders import models, which need the registry.
        from anbiao.accounts import permissions as perms
        from anbiao.core import imports, reference_data
        from anbiao.core.models import ImportJob
        from anbiao.enterprises.importers import COLUMNS, TEMPLATE_EXAMPLE, import_ledger
        from anbiao.enterprises.reference_data import load_dictionaries

        reference_data.register("dictionaries", table="enterprises_risktag", load=load_dictionaries)

        imports.register(
            ImportJob.Kind.LEDGER,
            perms.LEDGER_IMPORT,
            import_ledger,
            columns=COLUMNS,
            example=TEMPLATE_EXAMPLE,
            dated=True,
            help_text="每行一家企业,按统一社会信用代码新增或更新;空白单元格不会清除已有信息。"
            "标*的列必填;新登记的企业还须填写行业和企业规模(或从业人员数和营业收入)。",
        )
