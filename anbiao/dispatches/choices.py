from django.db import models


class RecipientKind(models.TextChoices):
    DEPARTMENT = "department", "行业部门"
    ENTERPRISE = "enterprise", "企业"
    AGENCY = "agency", "第三方机构"


class Status(models.TextChoices):
    ISSUED = "issued", "待办理"
    IN_PROGRESS = "in_progress", "办理中"
    SUBMITTED = "submitted", "待验收"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已办结"


class EventKind(models.TextChoices):
    ISSUE = "issue", "下发"
    REPLY = "reply", "回复"
    SUBMIT = "submit", "办结报告"
    RETURN = "return", "退回重办"
    ACCEPT = "accept", "验收办结"
    ESCALATE = "escalate", "逾期上报"


# Where each step may be taken from: the one table of allowed transitions.
TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    EventKind.REPLY: (
        frozenset({Status.ISSUED, Status.IN_PROGRESS, Status.RETURNED}),
        Status.IN_PROGRESS,
    ),
    EventKind.SUBMIT: (
        frozenset({Status.ISSUED, Status.IN_PROGRESS, Status.RETURNED}),
        Status.SUBMITTED,
    ),
    EventKind.RETURN: (frozenset({Status.SUBMITTED}), Status.RETURNED),
    EventKind.ACCEPT: (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
}
OPEN = (Status.ISSUED, Status.IN_PROGRESS, Status.RETURNED)
