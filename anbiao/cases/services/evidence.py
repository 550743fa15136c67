"""Writes of evidence files attached to a case, an event or an assessed item."""

from django.core.exceptions import ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.cases.models import EvidenceFile
from anbiao.cases.services.assessments import check_edit
from anbiao.cases.services.record import current_case
from anbiao.core import audit
from anbiao.core.evidence import check_upload
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise


@transaction.atomic
def evidence_add(
    *, actor, enterprise: Enterprise, upload, event=None, item_score=None
) -> EvidenceFile:
    """Check an uploaded file by its content and size, store it, attach it to the case."""
    require(actor, perms.CASE_UPLOAD, obj=enterprise, message="您没有上传证明材料的权限")
    checked = check_upload(upload)
    case = current_case(enterprise, lock=True)
    if event is not None and event.case_id != case.pk:
        raise ValidationError({"file": "事件不属于该企业"})
    if item_score is not None:
        if item_score.assessment.case_id != case.pk:
            raise ValidationError({"file": "评定项不属于该企业"})
        check_edit(actor, item_score.assessment)
    evidence = EvidenceFile.store(
        checked, uploaded_by=actor_or_none(actor), case=case, event=event, item_score=item_score
    )
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE,
        instance=evidence,
        enterprise=enterprise,
        note=f"上传证明材料 {checked.name}",
    )
    return evidence
