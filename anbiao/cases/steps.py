"""The rules of recording one dated step, as pure functions of a case held in memory.

`CaseHistory` holds one case's events and its enterprise's certificates and answers "may this
step be recorded on this date, and what results": the state after it (the table of
`transitions.TRANSITIONS`), the certificate it issues or ends, the grade and score stored. It
raises the same `ValidationError`s, in the same order, as an officer sees on the case page.

Two callers, one definition: `services.record_step` builds a history from the database for the
one step it writes, and the progress import (`anbiao/cases/importers.py`) builds histories for
thousands of cases in a few queries and replays a whole file in memory — its check writes
nothing, and its import writes what was planned in batches. Neither reads the database here:
what spans cases (a certificate number already used) is asked through `number_taken`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import count

from django.core.exceptions import ValidationError

from anbiao.cases import conf, scoring
from anbiao.cases import transitions as rules
from anbiao.cases.certificates import add_months, default_expiry
from anbiao.cases.choices import EventKind, PublicityOutcome
from anbiao.cases.models import Assessment, Case, CaseEvent, Certificate, Standard
from anbiao.core.bulk import unsaved

K = EventKind
CERTIFICATE_KINDS = (K.CERTIFICATE, K.RENEWAL)
# Steps that write a new certificate row: issue, renew, replace by a lower grade, extend.
ISSUING_KINDS = (*CERTIFICATE_KINDS, K.DOWNGRADE, K.EXTEND)
END_KINDS = {K.REVOKE: "revoked", K.DOWNGRADE: "downgraded"}
REASON_REQUIRED = (K.REVOKE, K.DOWNGRADE, K.SLIDE, K.REVIEW_FAIL)

# New rows have no primary key until written; they sort after every stored row, in the order
# they were planned (the database gives them increasing ids in that order).
_planned = count(1)


@dataclass
class CertificateData:
    """What a step says of the certificate it issues (completed by the rules)."""

    number: str
    grade: str = ""
    issuer: str = ""
    expires_on: date | None = None


def grade_names() -> dict[str, str]:
    """Grade name or code → code: the deployment's grade rules and every standard's own ladder.
    Read once per import; a service call reads it per step."""
    by_name = {r.name: r.code for r in conf.grade_rules()}
    for ladder in Standard.objects.exclude(grades=[]).values_list("grades", flat=True):
        by_name.update({g["name"]: g["code"] for g in ladder})
    return by_name


def check_grade(grade: str, names: dict[str, str], field: str = "grade") -> str:
    """The grade's code; people may also write its name (小微达标 for micro)."""
    codes = set(names.values())
    grade = names.get(grade, grade)
    if grade and grade not in codes:
        listed = "、".join(names)
        raise ValidationError({field: f"等级“{grade}”不在本地等级规则中(可选:{listed})"})
    return grade


def check_score(value) -> Decimal | None:
    """A percentage score with one decimal, or None."""
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError({"score": f"得分“{value}”不是数字"}) from exc
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({"score": "得分为百分制,须在 0 到 100 之间"})
    return scoring.one_decimal(score)


def _order(certificate: Certificate) -> tuple:
    """(-issued_on, -id) of the queries this replaces, for rows not written yet too."""
    planned = getattr(certificate, "_planned", 0)
    return (certificate.issued_on, 1 if planned else 0, planned or certificate.pk or 0)


def _lower_grades(code: str) -> list[str]:
    codes = [r.code for r in conf.grade_rules()]  # highest first
    return codes[codes.index(code) + 1 :] if code in codes else []


def _check_publicity(on: date, ends_on: date | None, outcome: str) -> tuple[date, str]:
    if ends_on is None:
        raise ValidationError({"ends_on": "请填写公示截止日期"})
    if ends_on < on:
        raise ValidationError({"ends_on": "公示截止日期不能早于公示开始日期"})
    outcome = outcome or PublicityOutcome.PENDING
    if outcome not in PublicityOutcome.values:
        raise ValidationError({"outcome": f"公示结果“{outcome}”无效"})
    return ends_on, outcome


@dataclass
class PlannedStep:
    """One step the rules accepted: the event to write (not saved), the certificate it issues
    (not saved; `replaces` may be another planned one), the held certificate it ends."""

    event: CaseEvent
    certificate: Certificate | None = None
    ends: Certificate | None = None
    after: dict | None = None  # the case's stored fields once the step is applied
    progress: rules.Progress | None = None  # the case's progress after it, as checked


class CaseHistory:
    """One case in memory: its events, its enterprise's certificates (every cycle), and the
    state, start, flag and last passed grade replayed from them. `plan` checks a step and
    `apply` adds it, so a file of steps is replayed without reading the database again."""

    def __init__(
        self,
        case: Case,
        events: Iterable[CaseEvent],
        certificates: Iterable[Certificate],
        *,
        review: Assessment | None = None,
    ) -> None:
        self.case = case
        self.review = review  # the latest submitted review, which a review result refers to
        self.fingerprint: tuple | None = None  # what the case looked like when read (imports)
        events = list(events)
        self.recorded = {(e.kind, e.on) for e in events if e.kind != K.CORRECTION}
        self.certificates = sorted(certificates, key=_order)
        self.succeeded = {c.replaces_id for c in self.certificates if c.replaces_id}
        self.progress = rules.Progress()
        self.started_on: date | None = None
        self.flagged, self.flag_reason = False, ""
        self.pass_grade = ""
        self.publicity: CaseEvent | None = None  # since the last passed review
        for event in rules.effective(events):
            self._follow(event)

    @classmethod
    def of(cls, case: Case) -> "CaseHistory":
        """A case's history read from the database (what one service call needs)."""
        certificates = Certificate.objects.filter(case__enterprise_id=case.enterprise_id)
        return cls(case, case.events.all(), certificates)

    def _follow(self, event: CaseEvent, progress: rules.Progress | None = None) -> None:
        """Take an effective event into the replayed state (the order of `rules.effective`);
        `progress` is the state after it when `plan` already checked it."""
        self.progress = progress or rules.advance(self.progress, event.kind, event.on)
        self.started_on = self.started_on or event.on
        if event.kind in (K.SLIDE, K.REVOKE):
            self.flagged = True
            self.flag_reason = f"{event.get_kind_display()}:{event.note}"[:200]
        elif event.kind in ISSUING_KINDS:
            self.flagged, self.flag_reason = False, ""
        if event.kind == K.REVIEW_PASS:
            self.pass_grade, self.publicity = event.grade, None
        elif event.kind == K.PUBLICITY:
            self.publicity = event

    def stored(self) -> dict:
        """The case's fields replayed from its events: what `services.sync_case` stores."""
        return {
            "state": self.progress.state,
            "state_since": self.progress.last_on,
            "started_on": self.started_on,
            "flagged": self.flagged,
            "flag_reason": self.flag_reason,
        }

    def has(self, kind: str, on: date) -> bool:
        """The step is in the case already (a reversed one counts too: a re-import must not
        bring back what an officer withdrew)."""
        return (kind, on) in self.recorded

    def held(self) -> Certificate | None:
        """The case's latest certificate that is not void."""
        mine = [c for c in self.certificates if c.case_id == self.case.pk and not c.void]
        return max(mine, key=_order) if mine else None

    def predecessor(self) -> Certificate | None:
        """The certificate a new one succeeds: the enterprise's latest not yet succeeded, in
        any case, lapsed or not; a revoked one is not renewed (a new line starts)."""
        open_ = [
            c
            for c in self.certificates
            if not c.void
            and c.end_kind != "revoked"
            and c.pk not in self.succeeded
            and not getattr(c, "_succeeded", False)
        ]
        return max(open_, key=_order) if open_ else None

    def check(self, kind: str, on: date, today: date) -> rules.Progress:
        """The case's progress after `kind` on `on`, or a ValidationError saying why not."""
        if on > today:
            raise ValidationError({"on": "日期不能晚于今天"})
        try:
            return rules.advance(self.progress, kind, on)
        except rules.IllegalStep as exc:
            field = "on" if isinstance(exc, rules.OutOfOrder) else "kind"
            raise ValidationError({field: str(exc)}) from exc

    def plan(
        self,
        *,
        kind: str,
        on: date,
        today: date,
        names: dict[str, str],
        number_taken: Callable[[str, Certificate | None], bool],
        actor_id: int | None = None,
        note: str = "",
        grade: str = "",
        score=None,
        certificate: CertificateData | None = None,
        assessment: Assessment | None = None,
        source: str = "manual",
        proxy_for: str = "",
        ends_on: date | None = None,
        outcome: str = "",
    ) -> PlannedStep:
        """Check one step and build what it writes, without changing the history."""
        note = (note or "").strip()
        after = self.check(kind, on, today)
        if kind in REASON_REQUIRED and not note:
            raise ValidationError({"note": f"记录“{EventKind(kind).label}”须在备注中写明原因"})
        if kind == K.REVIEW_PASS:
            grade = check_grade(grade or (assessment.grade if assessment else ""), names)
            if not grade and source != "import":  # history may not have kept it: 等级未记录
                raise ValidationError({"grade": "评审通过须填写评定等级"})
        score = check_score(score)
        if score is None and assessment is not None:
            score = assessment.score
        held = self.held()
        if kind in ISSUING_KINDS:
            certificate = self._check_certificate(
                kind=kind, on=on, certificate=certificate, held=held, names=names
            )
            if number_taken(certificate.number, held if kind == K.EXTEND else None):
                raise ValidationError({"number": f"证书编号“{certificate.number}”已登记"})
        if kind == K.PUBLICITY:
            ends_on, outcome = _check_publicity(on, ends_on, outcome)
        else:
            ends_on, outcome = None, ""
        event = unsaved(
            CaseEvent,
            case=self.case,
            kind=kind,
            on=on,
            actor_id=actor_id,
            note=note[:500],
            state_after=after.state,
            assessment=assessment,
            grade=certificate.grade if certificate else (grade if kind == K.REVIEW_PASS else ""),
            score=score,
            source=source,
            proxy_for=(proxy_for or "").strip()[:100],
            ends_on=ends_on,
            outcome=outcome,
        )
        step = PlannedStep(event=event, progress=after)
        if kind in END_KINDS and held is not None and held.ended_on is None:
            step.ends = held
        if kind in ISSUING_KINDS:
            step.certificate = unsaved(
                Certificate,
                case=self.case,
                event=event,
                number=certificate.number,
                grade=certificate.grade,
                issuer=certificate.issuer.strip(),
                issued_on=on,
                expires_on=certificate.expires_on,
                replaces=self.predecessor(),
            )
        return step

    def apply(self, step: PlannedStep) -> None:
        """Add a planned step to the history (after it was written, or instead, in a check)."""
        event = step.event
        self.recorded.add((event.kind, event.on))
        if step.ends is not None:
            held = step.ends
            held.ended_on, held.end_kind = event.on, END_KINDS[event.kind]
            held.end_reason, held.end_event = event.note[:200], event
        if step.certificate is not None:
            new = step.certificate
            if not new.pk:
                new._planned = next(_planned)
            if new.replaces is not None:
                new.replaces._succeeded = True
            self.certificates.append(new)
        self._follow(event, step.progress)
        step.after = self.stored()

    def _check_certificate(
        self, *, kind: str, on: date, certificate, held, names: dict[str, str]
    ) -> CertificateData:
        """The certificate a step writes, completed and checked: number, grade, validity."""
        certificate = certificate or CertificateData(number="")
        certificate.number = certificate.number.strip()
        if kind in CERTIFICATE_KINDS:
            self._check_publicity_passed(on)
            certificate.grade = check_grade(certificate.grade or self.pass_grade, names)
            if not certificate.grade:
                raise ValidationError({"grade": "发证须填写证书等级"})
            certificate.expires_on = certificate.expires_on or default_expiry(on)
        elif held is None or held.ended_on:
            raise ValidationError({"kind": "当前没有有效证书"})
        elif kind == K.DOWNGRADE:
            certificate.grade = check_grade(certificate.grade, names)
            lower = _lower_grades(held.grade)
            if not lower:
                raise ValidationError(
                    {"grade": f"“{conf.grade_name(held.grade)}”已是最低等级,不能降级"}
                )
            if certificate.grade not in lower:
                listed = "、".join(conf.grade_name(c) for c in lower)
                raise ValidationError({"grade": f"降级后的等级须低于原等级(可选:{listed})"})
            certificate.expires_on = certificate.expires_on or held.expires_on
        else:  # 延期
            years = conf.extension_years(held.grade)
            if not years:
                raise ValidationError(
                    {
                        "kind": f"等级规则不允许“{conf.grade_name(held.grade)}”证书延期,"
                        "须重新评审换证"
                    }
                )
            certificate.grade = held.grade
            certificate.number = certificate.number or held.number
            certificate.expires_on = certificate.expires_on or add_months(
                held.expires_on, 12 * years
            )
            certificate.issuer = certificate.issuer or held.issuer
        if not certificate.number:
            raise ValidationError({"number": "发证须填写证书编号"})
        if certificate.expires_on <= on:
            raise ValidationError({"expires_on": "有效期至须晚于发证日期"})
        return certificate

    def _check_publicity_passed(self, on: date) -> None:
        """When the passed review was put to 公示, the certificate waits for its end and needs
        no objection. 公示 is optional: without one the certificate may follow the review."""
        last = self.publicity
        if last is None:
            return
        if last.outcome == PublicityOutcome.OBJECTION:
            raise ValidationError({"kind": "公示有异议,不能发证;请处理异议后重新公示或重新评审"})
        if on < last.ends_on or (last.outcome == PublicityOutcome.PENDING and on == last.ends_on):
            raise ValidationError(
                {"on": f"公示期至 {last.ends_on.isoformat()},发证日期须在公示期结束之后"}
            )
