from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anbiao.benchmarks import services
from anbiao.benchmarks.choices import EventKind, Stage
from anbiao.benchmarks.models import Benchmark, BenchmarkEvent
from anbiao.benchmarks.selectors import candidates_on, catalog_on
from anbiao.core.models import ChangeLog
from anbiao.testing.factories import ALL_PILOT_STAGES, choose_benchmark, make_enterprise

pytestmark = pytest.mark.django_db
OCT, NOV, DEC = date(2025, 10, 20), date(2025, 11, 10), date(2025, 12, 5)


@pytest.fixture
def candidate(minan_enterprise):
    return choose_benchmark(minan_enterprise, OCT)


def advance(benchmark, stage, on, **kw):
    return services.benchmark_advance(actor=None, benchmark=benchmark, stage=stage, on=on, **kw)


def test_choosing_a_candidate_records_the_first_dated_stage(station_officer, minan_enterprise):
    benchmark = services.benchmark_choose(
        actor=station_officer, enterprise=minan_enterprise, chosen_on=OCT, reason="行业代表性强"
    )
    event = benchmark.events.get()
    assert (event.kind, event.stage, event.on) == (EventKind.STAGE, Stage.CANDIDATE, OCT)
    assert ChangeLog.objects.filter(object_type="benchmarks.benchmark").count() == 1


def test_a_candidate_needs_a_reason_and_cannot_be_chosen_twice(minan_enterprise):
    with pytest.raises(ValidationError, match="培植理由"):
        services.benchmark_choose(
            actor=None, enterprise=minan_enterprise, chosen_on=OCT, reason="  "
        )
    choose_benchmark(minan_enterprise, OCT)
    with pytest.raises(ValidationError, match="已是标杆企业培植对象"):
        choose_benchmark(minan_enterprise, OCT)


def test_another_subdistrict_cannot_choose_our_enterprise(other_station_officer, minan_enterprise):
    with pytest.raises(PermissionDenied):
        services.benchmark_choose(
            actor=other_station_officer, enterprise=minan_enterprise, chosen_on=OCT, reason="好"
        )
    assert not Benchmark.objects.exists()


def test_a_benchmark_cannot_skip_a_stage(candidate):
    with pytest.raises(ValidationError, match="不能跳过阶段"):
        advance(candidate, Stage.PILOT_RUN, NOV)
    with pytest.raises(ValidationError, match="不能跳过阶段"):
        advance(candidate, Stage.ESTABLISHED, NOV)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.CANDIDATE
    assert candidate.events.count() == 1


def test_a_benchmark_moves_one_stage_at_a_time(candidate):
    for index, stage in enumerate(ALL_PILOT_STAGES):
        advance(candidate, stage, date(2025, 11, 1 + index))
    candidate.refresh_from_db()
    assert candidate.stage == Stage.ESTABLISHED
    assert candidate.established_on == date(2025, 11, 4)
    stages = list(candidate.events.values_list("stage", flat=True))
    assert stages == [Stage.CANDIDATE, *ALL_PILOT_STAGES]


def test_going_back_needs_a_reason(candidate):
    advance(candidate, Stage.PILOT_CREATE, NOV)
    advance(candidate, Stage.PILOT_RUN, DEC)
    with pytest.raises(ValidationError, match="须填写原因"):
        advance(candidate, Stage.PILOT_CREATE, DEC)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PILOT_RUN
    event = advance(candidate, Stage.PILOT_CREATE, DEC, reason="运行记录不完整,重新创建")
    assert event.is_backward and event.previous_stage == Stage.PILOT_RUN
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PILOT_CREATE


def test_a_step_cannot_be_dated_before_the_previous_one(candidate):
    with pytest.raises(ValidationError, match="不能早于上一条记录"):
        advance(candidate, Stage.PILOT_CREATE, date(2025, 10, 1))


def test_the_catalog_contains_exactly_the_established_benchmarks(reference):
    established = choose_benchmark(
        make_enterprise(name="建成"), OCT, *zip(ALL_PILOT_STAGES, [NOV, NOV, NOV, DEC], strict=True)
    )
    sent_back = choose_benchmark(
        make_enterprise(name="退回"), OCT, *zip(ALL_PILOT_STAGES, [NOV] * 4, strict=True)
    )
    advance(sent_back, Stage.PILOT_IMPROVE, DEC, reason="发生一般事故,暂缓")
    choose_benchmark(make_enterprise(name="试点中"), OCT, (Stage.PILOT_CREATE, NOV))
    withdrawn = choose_benchmark(
        make_enterprise(name="退出"), OCT, *zip(ALL_PILOT_STAGES, [NOV] * 4, strict=True)
    )
    services.benchmark_withdraw(actor=None, benchmark=withdrawn, on=DEC, reason="停产")
    catalog = catalog_on(Benchmark.objects.all(), date(2025, 12, 31))
    assert [b.enterprise.name for b in catalog] == ["建成"]
    assert established.in_catalog
    # As of 30 Nov, before anything was sent back or withdrawn, three were established.
    catalog = catalog_on(Benchmark.objects.all(), date(2025, 11, 30))
    assert sorted(b.enterprise.name for b in catalog) == ["退出", "退回"]
    on_dec = candidates_on(Benchmark.objects.all(), date(2025, 12, 31))
    assert sorted(b.enterprise.name for b in on_dec) == ["建成", "试点中", "退回"]


def test_a_site_meeting_needs_a_pilot_and_attendees(candidate):
    with pytest.raises(ValidationError, match="试点阶段"):
        services.benchmark_site_meeting(actor=None, benchmark=candidate, on=NOV, attendees="张三")
    advance(candidate, Stage.PILOT_CREATE, NOV)
    with pytest.raises(ValidationError, match="参会人员"):
        services.benchmark_site_meeting(actor=None, benchmark=candidate, on=DEC, attendees=" ")
    meeting = services.benchmark_site_meeting(
        actor=None,
        benchmark=candidate,
        on=DEC,
        attendees="区应急局 王建国\n安监站 林志明",
        attendee_count=35,
        place="企业会议室",
    )
    assert meeting.kind == EventKind.SITE_MEETING
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PILOT_CREATE  # a meeting is not a stage


def test_a_withdrawn_benchmark_takes_no_more_steps(candidate):
    services.benchmark_withdraw(actor=None, benchmark=candidate, on=NOV, reason="企业搬迁")
    with pytest.raises(ValidationError, match="已退出"):
        advance(candidate, Stage.PILOT_CREATE, DEC)
    assert BenchmarkEvent.objects.filter(kind=EventKind.WITHDRAW).count() == 1


def test_evidence_is_checked_by_content(candidate):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("方案.pdf", b"MZ not a pdf")
    with pytest.raises(ValidationError, match="不是允许的类型"):
        advance(candidate, Stage.PILOT_CREATE, NOV, files=[bad])
    assert candidate.events.count() == 1
    good = SimpleUploadedFile("方案.pdf", b"%PDF-1.4 plan")
    event = advance(candidate, Stage.PILOT_CREATE, NOV, files=[good])
    assert event.files.get().name == "方案.pdf"
