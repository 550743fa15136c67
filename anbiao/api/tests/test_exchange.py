"""The exchange package: two station instances export, a district instance merges them and
reports the same metrics as one instance holding all the data; re-importing changes nothing."""

import json
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.api.exchange import import_package
from anbiao.benchmarks.models import Benchmark, BenchmarkEvent
from anbiao.campaigns.metrics import Scope
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.targets import kpi_document
from anbiao.cases.models import Assessment, Case, CaseEvent, Certificate, Rectification
from anbiao.cases.services import case_correct_last
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise, EnterpriseFact, LedgerSpan
from anbiao.enterprises.services import enterprise_change_status
from anbiao.testing.factories import (
    attend,
    certify,
    choose_benchmark,
    make_enterprise,
    make_session,
    make_uscc,
    record_steps,
    region,
)
from anbiao.training.models import Attendance, Session

MINAN, XINDIAN, DISTRICT = "350213007", "350213002", "350213"
MODELS = (
    Enterprise,
    EnterpriseFact,
    LedgerSpan,
    Case,
    CaseEvent,
    Certificate,
    Benchmark,
    BenchmarkEvent,
    Session,
    Attendance,
)


def build_station(code: str, base: int, town: str) -> None:
    """One station's data set: certified, started, corrected, new, not eligible, suspended;
    a benchmark, a training session."""

    def enterprise(n, name, **fields):
        return make_enterprise(
            code, name=f"厦门{town}{name}有限公司", uscc=make_uscc(base + n), **fields
        )

    certified = enterprise(1, "恒兴机械", principal_name="张一", safety_manager_name="李一")
    certify(certified, date(2025, 8, 1), number=f"XA-{base}-1", grade="micro")
    started = enterprise(2, "顺达五金")
    record_steps(started, ("start", date(2025, 4, 1)), ("self_assessed", date(2025, 5, 1)))
    case_correct_last(actor=None, enterprise=started, note="自评日期录错")
    newcomer = enterprise(3, "新创塑胶", ledger_since=date(2025, 9, 1))
    record_steps(newcomer, ("start", date(2025, 10, 8)))
    enterprise(4, "远山贸易", eligible=False, eligibility_reason="非工贸行业")
    community = Region.objects.create(  # a community only this station's instance has
        code=f"{code}{base}", name=f"{town}试点社区", level="community", parent=region(code)
    )
    enterprise(6, "社区机械", region=community)
    closed = enterprise(5, "旧厂纺织")
    enterprise_change_status(
        actor=None, enterprise=closed, status="suspended", on=date(2025, 11, 1), reason="停产"
    )
    choose_benchmark(
        certified,
        date(2025, 9, 15),
        ("pilot_create", date(2025, 10, 1)),
        ("pilot_run", date(2025, 11, 1)),
        ("pilot_improve", date(2025, 12, 1)),
        ("established", date(2026, 3, 1)),
    )
    session = make_session(code, held_on=date(2025, 6, 20), topic=f"{town}标准化宣贯培训")
    attend(session, certified, role="principal")
    attend(session, certified, role="safety_manager", name="李一")


def wipe() -> None:
    """Empty the business tables: the next data set starts on a fresh instance."""
    Attendance.objects.all().delete()
    Session.objects.all().delete()
    BenchmarkEvent.objects.all().delete()
    Benchmark.objects.all().delete()
    Certificate.objects.update(replaces=None)
    Certificate.objects.all().delete()
    Rectification.objects.all().delete()
    Assessment.objects.all().delete()
    CaseEvent.objects.update(reverses=None)
    CaseEvent.objects.all().delete()
    Case.objects.all().delete()
    ChangeLog.objects.all().delete()
    EnterpriseFact.objects.all().delete()
    Enterprise.objects.all().delete()
    Region.objects.filter(name__endswith="试点社区").delete()


@pytest.fixture
def district_campaign(reference):
    """The Min'an plan run district-wide, so both stations' enterprises count."""
    plan = Campaign.objects.get(slug="minan-2025")
    plan.pk, plan.slug = None, "xiangan-2025"
    plan.region = Region.objects.get(code=DISTRICT)
    plan.save()
    return plan


def metrics(campaign) -> dict:
    scope = Scope(campaign, Enterprise.objects.all(), timezone.localdate(), None)
    return kpi_document(scope)["metrics"]


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in (*MODELS, ChangeLog)}


def export(code, path) -> dict:
    call_command("export_exchange", "--region", code, "-o", str(path))
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def test_two_station_packages_merge_into_the_metrics_of_one_instance(district_campaign, tmp_path):
    build_station(MINAN, 100, "民安")
    minan_manifest = export(MINAN, tmp_path / "minan.zip")
    wipe()
    build_station(XINDIAN, 200, "新店")
    export(XINDIAN, tmp_path / "xindian.zip")
    wipe()
    build_station(MINAN, 100, "民安")
    build_station(XINDIAN, 200, "新店")
    single = metrics(district_campaign)
    single_certificates = set(Certificate.objects.values_list("number", "expires_on"))
    wipe()

    first = import_package(path=tmp_path / "minan.zip")
    second = import_package(path=tmp_path / "xindian.zip")

    assert metrics(district_campaign) == single
    assert single["eligible_total"] == 8 and single["completed"] == 2
    assert single["benchmarks"] == 2 and single["training_coverage_rate"] is not None
    assert set(Certificate.objects.values_list("number", "expires_on")) == single_certificates
    assert first.added["enterprises"] == 6 and second.added["case_events"] > 0
    assert (
        first.added["regions"] == 1 and Region.objects.get(name="民安试点社区").parent.code == MINAN
    )
    assert minan_manifest["files"]["enterprises.jsonl"]["count"] == 6
    corrected = Enterprise.objects.get(uscc=make_uscc(102)).cases.get()
    assert corrected.state == "in_progress"  # the correction was replayed, not the mistake

    before = counts()
    again = [import_package(path=tmp_path / n) for n in ("minan.zip", "xindian.zip")]
    assert not any(r.changed for r in again)
    assert counts() == before, "a re-import changed the database"


def test_a_tampered_package_is_refused_and_nothing_is_written(reference, tmp_path):
    build_station(MINAN, 300, "民安")
    export(MINAN, tmp_path / "good.zip")
    wipe()
    with (
        zipfile.ZipFile(tmp_path / "good.zip") as good,
        zipfile.ZipFile(tmp_path / "bad.zip", "w") as bad,
    ):
        for name in good.namelist():
            data = good.read(name)
            if name == "enterprises.jsonl":
                data = data.replace("恒兴".encode(), "伪造".encode())
            bad.writestr(name, data)
    with pytest.raises(ValidationError, match="校验和"):
        import_package(path=tmp_path / "bad.zip")
    with pytest.raises(CommandError, match="enterprises.jsonl"):
        call_command("import_exchange", str(tmp_path / "bad.zip"))
    assert Enterprise.objects.count() == 0


def test_a_package_whose_history_conflicts_with_the_district_is_refused_whole(reference, tmp_path):
    build_station(MINAN, 400, "民安")
    export(MINAN, tmp_path / "minan.zip")
    wipe()
    other = make_enterprise(MINAN, uscc=make_uscc(401), name="厦门民安恒兴机械有限公司")
    record_steps(other, ("start", date(2025, 1, 5)))  # the district recorded another start
    before = counts()
    with pytest.raises(ValidationError, match="不一致"):
        import_package(path=tmp_path / "minan.zip")
    assert counts() == before


def test_a_package_as_of_a_date_carries_nothing_dated_after_it(reference, tmp_path):
    """`export-exchange --as-of D`: the district receives the station's data as it stood on D —
    no fact, case event, certificate or benchmark step dated later."""
    build_station(MINAN, 500, "民安")
    path = tmp_path / "minan-20250930.zip"
    call_command("export_exchange", "--region", MINAN, "--as-of", "2025-09-30", "-o", str(path))
    as_of = "2025-09-30"
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        lines = {
            name: [json.loads(line) for line in archive.read(name).decode().splitlines()]
            for name in manifest["files"]
        }
    assert manifest["as_of"] == as_of
    facts = [fact for e in lines["enterprises.jsonl"] for fact in e["facts"]]
    assert facts and all(fact["effective_on"] <= as_of for fact in facts)
    events = [event for case in lines["cases.jsonl"] for event in case["events"]]
    assert events and all(event["on"] <= as_of for event in events)
    assert "2025-10-08" not in json.dumps(lines["cases.jsonl"])  # the newcomer's start
    assert all(c["issued_on"] <= as_of for c in lines["certificates.jsonl"])
    stages = [e for b in lines["benchmarks.jsonl"] for e in b["events"]]
    assert all(e["on"] <= as_of for e in stages)
    assert all(b["stage"] == "candidate" for b in lines["benchmarks.jsonl"])  # chosen 09-15 only
