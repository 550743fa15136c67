"""The state table: every illegal step is refused with a clear message and writes nothing; after
any legal sequence (corrections included) the stored state equals the state replayed from the
events."""

import random
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anbiao.cases import selectors, services
from anbiao.cases import transitions as rules
from anbiao.cases.choices import CaseState, EventKind
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.core.models import ChangeLog
from anbiao.testing.factories import certify, make_enterprise, record_steps

pytestmark = pytest.mark.django_db
K = EventKind
ALL_KINDS = [k for k in EventKind.values if k != K.CORRECTION]


LADDER = ["level1", "level2", "level3", "micro"]


def extra_for(kind, serial, enterprise=None, on=None):
    if kind in (K.CERTIFICATE, K.RENEWAL):
        return {"certificate": services.CertificateData(number=f"P-{serial}", grade="level1")}
    if kind == K.DOWNGRADE:
        held = Certificate.objects.filter(case__enterprise=enterprise, void=False).first()
        index = LADDER.index(held.grade) if held else 0
        lower = LADDER[min(index + 1, len(LADDER) - 1)]
        certificate = services.CertificateData(number=f"D-{serial}", grade=lower)
        return {"certificate": certificate, "note": "测试原因"}
    if kind == K.PUBLICITY:
        return {"ends_on": on, "outcome": "no_objection"}
    if kind == K.REVIEW_PASS:
        return {"grade": "level3"}
    if kind in services.REASON_REQUIRED:
        return {"note": "测试原因"}
    return {}


def record(enterprise, kind, on, serial=0):
    return services.case_record_event(
        actor=None,
        enterprise=enterprise,
        kind=kind,
        on=on,
        **extra_for(kind, serial, enterprise, on),
    )


def refused(enterprise, kind, on, contains=""):
    before = (CaseEvent.objects.count(), Certificate.objects.count(), ChangeLog.objects.count())
    with pytest.raises(ValidationError) as info:
        record(enterprise, kind, on, serial=999_999)
    after = (CaseEvent.objects.count(), Certificate.objects.count(), ChangeLog.objects.count())
    assert after == before, "a refused step wrote something"
    text = ";".join(info.value.messages)
    assert contains in text, text
    return text


@pytest.fixture
def enterprise(reference):
    return make_enterprise()


def test_a_certificate_without_a_passed_review_is_refused(enterprise):
    text = refused(enterprise, K.CERTIFICATE, date(2025, 5, 1), "评审通过")
    assert "未开展" in text
    record_steps(enterprise, (K.APPLY, date(2025, 5, 1)))
    refused(enterprise, K.CERTIFICATE, date(2025, 5, 2), "评审通过")


def test_a_review_result_without_an_application_is_refused(enterprise):
    record_steps(enterprise, (K.START, date(2025, 3, 1)), (K.SELF_ASSESSED, date(2025, 4, 1)))
    refused(enterprise, K.REVIEW_PASS, date(2025, 5, 1), "申请评审")
    refused(enterprise, K.REVIEW_FAIL, date(2025, 5, 1), "申请评审")


def test_a_renewal_without_an_earlier_certificate_is_refused(enterprise):
    record_steps(
        enterprise,
        (K.APPLY, date(2025, 3, 1)),
        (K.REVIEW_PASS, date(2025, 4, 1), {"grade": "micro"}),
    )
    refused(enterprise, K.RENEWAL, date(2025, 4, 2), "此前取得的证书")


def test_an_event_dated_before_the_previous_one_is_refused(enterprise):
    record_steps(enterprise, (K.START, date(2025, 3, 1)), (K.SELF_ASSESSED, date(2025, 6, 1)))
    refused(enterprise, K.APPLY, date(2025, 5, 31), "早于上一条记录")
    record(enterprise, K.APPLY, date(2025, 6, 1))  # the same day is fine


def test_a_future_date_is_refused(enterprise):
    with pytest.raises(ValidationError, match="晚于今天"):
        record(enterprise, K.START, timezone.localdate() + timedelta(days=2))


@pytest.mark.parametrize("state_path", ["fresh", "started", "applied", "certified", "revoked"])
def test_every_kind_the_table_forbids_is_refused(enterprise, state_path):
    paths = {
        "fresh": [],
        "started": [(K.START, date(2024, 1, 2))],
        "applied": [(K.START, date(2024, 1, 2)), (K.APPLY, date(2024, 2, 1))],
        "certified": None,
        "revoked": None,
    }
    if paths[state_path] is None:
        certify(enterprise, date(2024, 3, 1))
        if state_path == "revoked":
            record(enterprise, K.REVOKE, date(2024, 6, 1))
    else:
        record_steps(enterprise, *paths[state_path])
    progress = selectors.progress_of(services.current_case(enterprise))
    allowed = set(rules.allowed_kinds(progress.state, progress.certified_before))
    assert allowed, "every state has a way forward"
    for kind in ALL_KINDS:
        if kind not in allowed:
            refused(enterprise, kind, date(2024, 12, 1))


def test_history_may_start_at_the_application_and_reapply_after_a_failure(enterprise):
    record_steps(
        enterprise,
        (K.APPLY, date(2025, 3, 1)),
        (K.REVIEW_FAIL, date(2025, 4, 1), {"note": "现场管理不达标"}),
        (K.APPLY, date(2025, 6, 1)),
        (K.REVIEW_PASS, date(2025, 7, 1), {"grade": "micro"}),
    )
    assert services.current_case(enterprise).state == CaseState.PASSED


def test_renewal_links_the_successor_and_a_certified_case_may_apply_before_expiry(enterprise):
    certify(enterprise, date(2022, 6, 1), number="OLD-1")
    record_steps(
        enterprise,
        (K.APPLY, date(2025, 4, 1)),
        (K.REVIEW_PASS, date(2025, 5, 1), {"grade": "level3"}),
        (
            K.RENEWAL,
            date(2025, 5, 20),
            {"certificate": services.CertificateData(number="NEW-1")},
        ),
    )
    new = Certificate.objects.get(number="NEW-1")
    assert new.replaces.number == "OLD-1" and new.grade == "level3"
    assert new.expires_on == date(2028, 5, 19)


def test_a_correction_reverses_the_last_step_and_keeps_it_in_history(enterprise):
    events = certify(enterprise, date(2025, 3, 1), number="WRONG-1")
    case = services.current_case(enterprise)
    assert case.state == CaseState.CERTIFIED
    services.case_correct_last(actor=None, enterprise=enterprise, note="证书编号录错")
    case.refresh_from_db()
    assert case.state == CaseState.PASSED
    assert CaseEvent.objects.filter(pk=events[-1].pk).exists()  # never deleted
    assert Certificate.objects.get(number="WRONG-1").void
    record(enterprise, K.CERTIFICATE, date(2025, 3, 2), serial=2)
    assert services.current_case(enterprise).state == CaseState.CERTIFIED


def test_revocation_flags_the_case_for_re_review_and_reversal_restores_the_certificate(
    enterprise,
):
    certify(enterprise, date(2025, 3, 1), number="C-1")
    services.case_record_event(
        actor=None, enterprise=enterprise, kind=K.REVOKE, on=date(2025, 9, 1), note="发生较大事故"
    )
    case = services.current_case(enterprise)
    assert case.state == CaseState.REVOKED and case.flagged
    cert = Certificate.objects.get(number="C-1")
    assert cert.ended_on == date(2025, 9, 1) and cert.end_kind == "revoked"
    services.case_correct_last(actor=None, enterprise=enterprise, note="误操作")
    cert.refresh_from_db()
    case.refresh_from_db()
    assert cert.ended_on is None and case.state == CaseState.CERTIFIED and not case.flagged


@pytest.mark.parametrize("seed", range(12))
def test_the_stored_state_equals_the_replayed_state_after_any_legal_sequence(
    reference, seed, settings, tmp_path
):
    """Random walks through the table (corrections included); after each step the stored state,
    the model we track and the replay of the stored events agree, and one forbidden step is
    refused without writing anything."""
    rules_file = tmp_path / "grade-rules.yaml"
    rules_file.write_text(
        "grade_rules:\n"
        + "".join(
            f"  - {{code: {c}, name: {c}, min_score: {90 - 10 * i}, extension_years: 3}}\n"
            for i, c in enumerate(LADDER)
        ),
        encoding="utf-8",
    )
    settings.ANBIAO_GRADE_RULES_FILE = str(rules_file)
    rng = random.Random(seed)
    enterprise = make_enterprise()
    on = date(2019, 1, 1)
    expected = rules.Progress()
    history: list[rules.Progress] = [expected]
    for step in range(28):
        on += timedelta(days=rng.randint(0, 25))
        allowed = rules.allowed_kinds(expected.state, expected.certified_before)
        held = Certificate.objects.filter(case__enterprise=enterprise, void=False).first()
        if held is not None and held.grade == LADDER[-1]:  # nothing lower to downgrade to
            allowed = [k for k in allowed if k != K.DOWNGRADE]
        if len(history) > 1 and rng.random() < 0.15:
            services.case_correct_last(actor=None, enterprise=enterprise, note="更正")
            history.pop()
            expected = history[-1]
        else:
            kind = rng.choice(allowed)
            record(enterprise, kind, on, serial=seed * 1000 + step)
            expected = rules.advance(expected, kind, on)
            history.append(expected)
        case = services.current_case(enterprise)
        replayed = rules.replay(CaseEvent.objects.filter(case=case))
        assert case.state == replayed.state == expected.state
        assert case.state_since == replayed.last_on
        forbidden = [
            k
            for k in ALL_KINDS
            if k not in rules.allowed_kinds(expected.state, expected.certified_before)
        ]
        refused(enterprise, rng.choice(forbidden), on + timedelta(days=1))


def test_replay_ignores_corrected_events():
    class E:
        def __init__(self, pk, kind, on, reverses_id=None):
            self.pk, self.kind, self.on, self.reverses_id = pk, kind, on, reverses_id

    events = [
        E(1, K.START, date(2025, 1, 1)),
        E(2, K.SELF_ASSESSED, date(2025, 2, 1)),
        E(3, K.CORRECTION, date(2025, 2, 2), reverses_id=2),
    ]
    assert rules.replay(events).state == CaseState.IN_PROGRESS


@pytest.mark.parametrize(
    ("state", "certified_before", "expected"),
    [
        (CaseState.NOT_STARTED, False, K.START),
        (CaseState.IN_PROGRESS, False, K.SELF_ASSESSED),
        (CaseState.SELF_ASSESSED, False, K.APPLY),  # not 完成自评 again
        (CaseState.APPLIED, False, K.REVIEW_START),
        (CaseState.UNDER_REVIEW, False, K.REVIEW_PASS),
        (CaseState.PASSED, False, K.CERTIFICATE),
        (CaseState.PASSED, True, K.RENEWAL),
        (CaseState.CERTIFIED, True, K.ANNUAL),  # not 申请评审
        (CaseState.EXPIRED, True, K.START),
        (CaseState.REVOKED, True, K.START),
    ],
)
def test_the_next_step_of_the_state_machine_comes_first(state, certified_before, expected):
    allowed = rules.allowed_kinds(state, certified_before)
    assert rules.next_kind(state, certified_before) == expected
    assert allowed[0] == expected
    assert set(allowed) == {
        k
        for k, (sources, _) in rules.TRANSITIONS.items()
        if state in sources and (k != K.RENEWAL or certified_before)
    }
