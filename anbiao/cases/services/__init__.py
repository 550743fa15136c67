"""Writes to cases, one module per subject: `events` (dated steps and their correction),
`assessments` (scoring and rectification), `certificates` (downgrade, revocation, extension,
publicity, expiry), `evidence` (files). Each function is keyword-only and one transaction; it
checks the actor's permission and scope, applies the state rules of `transitions.TRANSITIONS`
(the one table) and writes the change log. `actor=None` is the system (imports, jobs, demo).
Reads (`can_edit`, `assessment_result`, …) live in `anbiao/cases/selectors.py`.

The names below are the package's public surface, so callers write `services.case_record_event`.
"""

from anbiao.cases.services.assessments import (
    assessment_conform_rest,
    assessment_save_item,
    assessment_start,
    assessment_submit,
    rectification_close,
    review_assign,
)
from anbiao.cases.services.certificates import expire_certificates
from anbiao.cases.services.events import MANUAL_KINDS, case_correct_last, case_record_event
from anbiao.cases.services.evidence import evidence_add
from anbiao.cases.services.record import (
    CERTIFICATE_KINDS,
    ISSUING_KINDS,
    REASON_REQUIRED,
    CertificateData,
    current_case,
)
from anbiao.cases.services.standards import standard_import

__all__ = [
    "assessment_conform_rest",
    "CERTIFICATE_KINDS",
    "MANUAL_KINDS",
    "REASON_REQUIRED",
    "ISSUING_KINDS",
    "CertificateData",
    "assessment_save_item",
    "assessment_start",
    "assessment_submit",
    "case_correct_last",
    "case_record_event",
    "current_case",
    "evidence_add",
    "expire_certificates",
    "rectification_close",
    "review_assign",
    "standard_import",
]
