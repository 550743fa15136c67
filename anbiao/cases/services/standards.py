"""Writes of grading standards from the web: an admin loads the office's official standard."""

from django.core.exceptions import ValidationError
from django.db import transaction

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import actor_or_none, require
from anbiao.cases.models import Standard
from anbiao.cases.standards import StandardError, load_xlsx, parse_grades
from anbiao.core import audit
from anbiao.core.models import ChangeLog


@transaction.atomic
def standard_import(
    *,
    actor,
    upload,
    code: str,
    version: int,
    name: str,
    issued_by: str = "",
    grades: str = "",
    sample: bool = False,
) -> Standard:
    """Load a standard from an uploaded Excel sheet of items (all or nothing; each problem is
    reported with its row number), exactly as the same standard in YAML would load."""
    require(actor, perms.STANDARD_MANAGE, message="只有系统管理员可以载入评定标准")
    header = {
        "code": code.strip(),
        "version": version,
        "name": name.strip(),
        "issued_by": issued_by.strip(),
        "sample": sample,
    }
    try:
        header["grades"] = parse_grades(grades)
    except StandardError as exc:
        raise ValidationError({"grades": str(exc)}) from exc
    try:
        result = load_xlsx(upload.read(), filename=upload.name, header=header)
    except StandardError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    audit.record(
        actor=actor_or_none(actor),
        action=ChangeLog.Action.CREATE if result.outcome == "created" else ChangeLog.Action.UPDATE,
        instance=result.standard,
        note=f"载入评定标准 {upload.name}:{result}",
    )
    return result.standard
