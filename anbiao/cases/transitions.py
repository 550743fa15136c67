"""The case state machine: ONE table of allowed steps, and the replay that derives a case's
state from its events. Services, the importer and tests all go through `advance`.

Steps nobody recorded may be missing: history often starts at 申请评审, and a case may apply
again after a failed review without a new self-evaluation. What may never happen is a result
before its cause: a review result without an application, a certificate without a passed
review, a renewal without an earlier certificate, or an event dated before the previous one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from anbiao.cases.choices import CaseState as S
from anbiao.cases.choices import EventKind as K

BEFORE_REVIEW = frozenset({S.NOT_STARTED, S.IN_PROGRESS, S.SELF_ASSESSED, S.EXPIRED, S.REVOKED})

# kind → (states it may be recorded in, state afterwards; None = unchanged)
TRANSITIONS: dict[str, tuple[frozenset, str | None]] = {
    K.START: (frozenset({S.NOT_STARTED, S.EXPIRED, S.REVOKED}), S.IN_PROGRESS),
    K.SELF_ASSESSED: (BEFORE_REVIEW, S.SELF_ASSESSED),
    # From 已定级: a renewal review, applied for before the certificate expires.
    K.APPLY: (BEFORE_REVIEW | {S.CERTIFIED}, S.APPLIED),
    K.REVIEW_START: (frozenset({S.APPLIED}), S.UNDER_REVIEW),
    K.REVIEW_PASS: (frozenset({S.APPLIED, S.UNDER_REVIEW}), S.PASSED),
    K.REVIEW_FAIL: (frozenset({S.APPLIED, S.UNDER_REVIEW}), S.IN_PROGRESS),
    K.CERTIFICATE: (frozenset({S.PASSED}), S.CERTIFIED),
    K.RENEWAL: (frozenset({S.PASSED}), S.CERTIFIED),
    K.ANNUAL: (frozenset({S.CERTIFIED}), None),
    K.SLIDE: (frozenset({S.CERTIFIED}), None),
    K.EXPIRE: (frozenset({S.CERTIFIED}), S.EXPIRED),
    # A revocation ends the certificate and reopens the case: from 已撤销 the enterprise starts
    # creating again (启动创建, 完成自评 or 申请评审 are allowed, see BEFORE_REVIEW).
    K.REVOKE: (frozenset({S.CERTIFIED, S.EXPIRED}), S.REVOKED),
    # A downgrade replaces the certificate by one of a lower grade: still certified.
    K.DOWNGRADE: (frozenset({S.CERTIFIED}), None),
    # 延期: a new validity without a new review, where the grade rules allow it.
    K.EXTEND: (frozenset({S.CERTIFIED}), None),
    # 公示: optional, between the passed review and the certificate.
    K.PUBLICITY: (frozenset({S.PASSED}), None),
}

# The step a case in each state is waiting for: the page offers it as the primary button, the
# other legal steps (a failed review, a revocation, …) as secondary ones.
NEXT_STEP: dict[str, str] = {
    S.NOT_STARTED: K.START,
    S.IN_PROGRESS: K.SELF_ASSESSED,
    S.SELF_ASSESSED: K.APPLY,
    S.APPLIED: K.REVIEW_START,
    S.UNDER_REVIEW: K.REVIEW_PASS,
    S.PASSED: K.CERTIFICATE,
    S.CERTIFIED: K.ANNUAL,
    S.EXPIRED: K.START,
    S.REVOKED: K.START,
}

# Steps that are the grading authority's (定级部门) decisions. A station records them only on its
# behalf ("街道代录", naming the issuer) or from the history import.
GRADING_KINDS = frozenset(
    {
        K.REVIEW_PASS,
        K.REVIEW_FAIL,
        K.PUBLICITY,
        K.CERTIFICATE,
        K.RENEWAL,
        K.DOWNGRADE,
        K.REVOKE,
        K.EXTEND,
    }
)

# Why a step is refused, in words an officer understands (else a generic message).
REFUSALS = {
    K.REVIEW_START: "开始评审之前须有“申请评审”记录",
    K.REVIEW_PASS: "评审结果之前须有“申请评审”记录",
    K.REVIEW_FAIL: "评审结果之前须有“申请评审”记录",
    K.CERTIFICATE: "取得证书之前须有“评审通过”记录",
    K.RENEWAL: "换发证书之前须有“评审通过”记录",
    K.ANNUAL: "只有已定级(持有效证书)的企业才进行年度自评",
    K.SLIDE: "只有已定级的企业才会被标记为管理滑坡",
    K.EXPIRE: "当前没有有效证书,不能记录证书过期",
    K.REVOKE: "当前没有证书可撤销",
    K.DOWNGRADE: "当前没有有效证书可降级",
    K.EXTEND: "当前没有有效证书可延期",
    K.PUBLICITY: "公示须在评审通过之后、发证之前",
    K.START: "该企业已在创建过程中,无需再次启动",
}


class IllegalStep(ValueError):
    """A step the table (or the date order) does not allow; the message is for the user."""


class OutOfOrder(IllegalStep):
    """The step is dated before the case's previous one (the date is wrong, not the kind)."""


@dataclass(frozen=True)
class Progress:
    state: str = S.NOT_STARTED
    certified_before: bool = False  # an effective certificate event exists
    last_on: date | None = None
    last_kind: str | None = None


def label(kind: str) -> str:
    return K(kind).label


def next_kind(state: str, certified_before: bool) -> str | None:
    """The step the case is waiting for (a renewal instead of a first certificate when it held
    one before)."""
    kind = NEXT_STEP.get(state)
    if kind == K.CERTIFICATE and certified_before:
        return K.RENEWAL
    return kind


def allowed_kinds(state: str, certified_before: bool) -> list[str]:
    """The steps that may be recorded next: the expected next step first, then the others in
    lifecycle order."""
    kinds = [k for k, (sources, _) in TRANSITIONS.items() if state in sources]
    kinds = [k for k in kinds if k != K.RENEWAL or certified_before]
    expected = next_kind(state, certified_before)
    return sorted(kinds, key=lambda k: k != expected)


def advance(progress: Progress, kind: str, on: date) -> Progress:
    """The progress after recording `kind` on `on`, or IllegalStep saying why not."""
    if kind not in TRANSITIONS:
        raise IllegalStep(f"“{kind}”不是可记录的事项")
    if progress.last_on is not None and on < progress.last_on:
        raise OutOfOrder(
            f"日期 {on.isoformat()} 早于上一条记录“{label(progress.last_kind)}”"
            f"({progress.last_on.isoformat()}),事件须按时间顺序记录"
        )
    sources, target = TRANSITIONS[kind]
    if progress.state not in sources:
        reason = REFUSALS.get(kind, "")
        raise IllegalStep(
            f"当前状态为“{S(progress.state).label}”,不能记录“{label(kind)}”"
            + (f":{reason}" if reason else "")
        )
    if kind == K.RENEWAL and not progress.certified_before:
        raise IllegalStep("换发证书须有此前取得的证书;首次发证请记录“取得证书”")
    # Built directly, not with dataclasses.replace: a progress import advances once a row.
    return Progress(
        state=target or progress.state,
        certified_before=progress.certified_before
        or kind in (K.CERTIFICATE, K.RENEWAL, K.DOWNGRADE, K.EXTEND),
        last_on=on,
        last_kind=kind,
    )


def effective(events: Iterable) -> list:
    """Events that count: not corrections, not reversed by one. Ordered by (date, id)."""
    events = list(events)
    reversed_ids = {e.reverses_id for e in events if e.kind == K.CORRECTION}
    kept = [e for e in events if e.kind != K.CORRECTION and e.pk not in reversed_ids]
    return sorted(kept, key=lambda e: (e.on, e.pk or 0))


def replay(events: Iterable) -> Progress:
    """The progress derived from a case's events alone (the stored state must equal it)."""
    progress = Progress()
    for event in effective(events):
        progress = advance(progress, event.kind, event.on)
    return progress
