"""The change log speaks the user's words (issue 15): a logged value is shown with its label
(二级, not level2), and a creation says what was created and where it came from."""

from datetime import date

import pytest
from django.urls import reverse

from anbiao.cases import services
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.testing.factories import record_steps

pytestmark = pytest.mark.django_db


def test_a_grade_code_is_logged_with_its_name(minan_enterprise, reviewer_agency):
    record_steps(minan_enterprise, ("apply", date(2025, 5, 1)))
    review = services.review_assign(
        actor=None, enterprise=minan_enterprise, on=date(2025, 5, 2), agency=reviewer_agency
    )
    services.assessment_conform_rest(actor=None, assessment=review)
    services.assessment_submit(actor=None, assessment=review, on=date(2025, 5, 20))
    entry = ChangeLog.objects.filter(object_type="cases.assessment", action="status").get()
    grade = next(c for c in entry.changes if c["field"] == "grade")
    assert grade["new"] == "一级" and "level" not in grade["new"]


def test_a_creation_names_its_source_manual_import_or_demo(
    login, station_officer, minan_enterprise
):
    with audit.source("演示数据"):
        services.assessment_start(actor=None, enterprise=minan_enterprise, kind="self")
    entry = ChangeLog.objects.get(object_type="cases.assessment", action="create")
    assert entry.note == "来源:演示数据"
    page = login(station_officer).get(
        reverse("enterprises:detail", kwargs={"pk": minan_enterprise.pk})
    )
    history = page.content.decode().split('id="history"')[1]
    assert "新建评定<span" in history and f"「{entry.object_repr}」" in history
    assert "来源:演示数据" in history


def test_an_enterprise_created_by_an_import_names_the_import(login, station_officer, tmp_path):
    from anbiao.core.models import ImportJob
    from anbiao.core.tests.test_scope_matrix import ledger_upload

    client = login(station_officer)
    client.post(
        reverse("imports:upload", args=["ledger"]), ledger_upload(name="厦门来源机械有限公司")
    )
    job = ImportJob.objects.get()
    client.post(reverse("imports:confirm", args=[job.pk]))
    created = ChangeLog.objects.get(object_type="enterprises.enterprise", action="create")
    assert created.note == f"台账导入;来源:导入第 {job.pk} 号(台账.csv)"


def test_a_form_entry_is_noted_as_manual(login, station_officer):
    from anbiao.accounts.models import Region
    from anbiao.testing.factories import make_uscc

    client = login(station_officer)
    client.post(
        reverse("enterprises:create"),
        {
            "name": "厦门手工机械有限公司",
            "uscc": make_uscc(),
            "region": Region.objects.get(code="350213007").pk,
            "industry": "machinery",
            "size": "small",
            "effective_on": "2026-03-01",
            "ledger_since": "2026-03-01",
        },
    )
    created = ChangeLog.objects.filter(action="create", object_repr__contains="手工").first()
    assert created is not None and created.note.endswith("来源:手工录入")
