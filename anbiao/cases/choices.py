from django.db import models


class CaseState(models.TextChoices):
    """Where an enterprise stands on its road to a certificate (docs/cases.md, "Steps and
    states")."""

    NOT_STARTED = "not_started", "未开展"
    IN_PROGRESS = "in_progress", "创建中"
    SELF_ASSESSED = "self_assessed", "已自评"
    APPLIED = "applied", "已申请评审"
    UNDER_REVIEW = "under_review", "评审中"
    PASSED = "passed", "评审通过待发证"
    CERTIFIED = "certified", "已定级"
    EXPIRED = "expired", "已过期"
    REVOKED = "revoked", "已撤销"


class EventKind(models.TextChoices):
    """One dated step of a case; `transitions.TRANSITIONS` says where each is allowed."""

    START = "start", "启动创建"
    SELF_ASSESSED = "self_assessed", "完成自评"
    APPLY = "apply", "申请评审"
    REVIEW_START = "review_start", "开始评审"
    REVIEW_PASS = "review_pass", "评审通过"
    REVIEW_FAIL = "review_fail", "评审不通过"
    CERTIFICATE = "certificate", "取得证书"
    RENEWAL = "renewal", "换发证书"
    ANNUAL = "annual", "年度自评"
    SLIDE = "slide", "管理滑坡"
    EXPIRE = "expire", "证书过期"
    REVOKE = "revoke", "撤销证书"
    DOWNGRADE = "downgrade", "证书降级"
    EXTEND = "extend", "延期换证"
    PUBLICITY = "publicity", "定级公示"
    CORRECTION = "correction", "更正撤回"


class PublicityOutcome(models.TextChoices):
    """How a 公示 ended: only one without objection lets the certificate be issued."""

    PENDING = "pending", "公示中"
    NO_OBJECTION = "no_objection", "无异议"
    OBJECTION = "objection", "有异议"


class AssessmentKind(models.TextChoices):
    SELF = "self", "自评"
    REVIEW = "review", "评审"
    ANNUAL = "annual", "年度自评"


class Verdict(models.TextChoices):
    """The answer an assessor gives an item. An item nobody has answered yet has none: it is
    neither full marks nor a deduction, and an assessment with such items cannot be submitted."""

    CONFORM = "conform", "符合"
    DEDUCT = "deduct", "扣分"
    NOT_APPLICABLE = "na", "空项"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "填写中"
    SUBMITTED = "submitted", "已提交"


class CertificateStatus(models.TextChoices):
    VALID = "valid", "有效"
    EXPIRING = "expiring", "即将到期"
    EXPIRED = "expired", "已过期"
    RENEWED = "renewed", "已换证"
    REVOKED = "revoked", "已撤销"
    DOWNGRADED = "downgraded", "已降级"
    NOT_YET = "not_yet", "未生效"
    VOID = "void", "已作废"


class RectificationStatus(models.TextChoices):
    OPEN = "open", "整改中"
    CLOSED = "closed", "已销项"
