from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "anbiao.surveys"
    verbose_name = "摸排"

    def ready(self) -> None:
        from anbiao.accounts import permissions as perms
        from anbiao.core.imports import registry
        from anbiao.core.models import ImportJob
        from anbiao.surveys.importers import COLUMNS, EXAMPLE, import_findings

        registry.register(
            ImportJob.Kind.SURVEY,
            perms.SURVEY_CHANGE,
            import_findings,
            columns=COLUMNS,
            example=EXAMPLE,
            targeted=True,
            help_text="请在摸排轮次页面导出预填的摸排表,填写“摸排”各列后导入;表中没有的企业按新发现企业添加。",
        )
