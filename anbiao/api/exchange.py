"""The exchange package: how a 镇街 instance hands its data upward and how a district instance
merges the packages of its stations (docs/api.md, “数据交换包”).

A package is a zip of JSON Lines files, one per entity, and a manifest with the count and the
SHA-256 of each file. Every record is keyed naturally — enterprises by USCC, case events by
(USCC, cycle, position in the case's history), certificates by number, benchmarks by USCC,
training sessions by (region code, date, topic) and attendance by person within a session —
so importing a package twice, or two overlapping packages, changes nothing the second time.

Dated facts, case events and benchmark events are history: the import appends the ones the
district does not have yet, in their order. Case events go through the same service as the
web (`case_record_event`, `case_correct_last`), so the district replays and checks the state
rules itself and derives certificates, case states and the change log the same way.
"""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.benchmarks.choices import EventKind as BenchmarkEventKind
from anbiao.benchmarks.choices import Stage
from anbiao.benchmarks.models import Benchmark, BenchmarkEvent
from anbiao.cases import services as case_services
from anbiao.cases.certificates import status_on
from anbiao.cases.choices import EventKind
from anbiao.cases.models import Case, Certificate
from anbiao.core import audit
from anbiao.core.models import ChangeLog
from anbiao.enterprises.choices import FactKind
from anbiao.enterprises.models import Enterprise, EnterpriseFact, RiskTag
from anbiao.enterprises.pinyin import pinyin_keys
from anbiao.enterprises.spans import rebuild_spans
from anbiao.training.models import Attendance, Session

FORMAT = "anbiao-exchange"
VERSION = 1
FILES = ("regions", "enterprises", "cases", "certificates", "benchmarks", "training")

ENTERPRISE_FIELDS = (
    "name",
    "address",
    "industry",
    "industry_code",
    "size",
    "employees",
    "in_torch_zone",
    "status",
    "status_since",
    "ledger_since",
    "principal_name",
    "principal_phone",
    "safety_manager_name",
    "safety_manager_phone",
    "eligible",
    "eligibility_reason",
)
BENCHMARK_FIELDS = (
    "chosen_on",
    "reason",
    "stage",
    "stage_since",
    "established_on",
    "withdrawn_on",
    "withdraw_reason",
    "highlights",
    "visit_arrangement",
    "visit_contact",
    "visit_phone",
)
BENCHMARK_EVENT_FIELDS = (
    "kind",
    "on",
    "stage",
    "previous_stage",
    "note",
    "reason",
    "attendees",
    "attendee_count",
    "place",
)
SESSION_FIELDS = ("topic", "kind", "held_on", "organiser", "trainer", "place", "materials", "note")
ATTENDANCE_FIELDS = ("name", "role", "unit", "position", "phone")


# --- export ---------------------------------------------------------------------------------


def region_records(region: Region, on: date):
    """The region, its ancestors and its subtree: a station may have communities (社区) that
    the district's reference data lacks."""
    chain = [c for c in region.path.split("/") if c]
    qs = Region.objects.filter(path__startswith=region.path) | Region.objects.filter(code__in=chain)
    for r in qs.select_related("parent").order_by("path"):
        yield {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "parent_code": r.parent.code if r.parent_id else None,
        }


def _enterprises(region: Region):
    return (
        Enterprise.objects.filter(region__path__startswith=region.path)
        .select_related("region")
        .prefetch_related("risk_tags")
        .order_by("uscc")
    )


def _fact_value(fact, region_codes: dict) -> str:
    """Region facts name the region by id, which differs between instances: write its code."""
    if fact.kind == FactKind.REGION:
        return region_codes.get(int(fact.value), fact.value)
    return fact.value


def enterprise_records(region: Region, on: date):
    region_codes = dict(Region.objects.values_list("pk", "code"))
    for e in _enterprises(region).prefetch_related("facts"):
        facts = sorted(
            (f for f in e.facts.all() if f.effective_on <= on),
            key=lambda f: (f.effective_on, f.pk),
        )
        yield {
            "uscc": e.uscc,
            "region_code": e.region.code,
            **{name: getattr(e, name) for name in ENTERPRISE_FIELDS},
            "revenue": None if e.revenue is None else str(e.revenue),
            "risk_tags": sorted(t.code for t in e.risk_tags.all()),
            "facts": [
                {
                    "kind": f.kind,
                    "value": _fact_value(f, region_codes),
                    "reason": f.reason,
                    "effective_on": f.effective_on,
                    "source": f.source,
                }
                for f in facts
            ],
        }


def case_records(region: Region, on: date):
    cases = (
        Case.objects.filter(enterprise__region__path__startswith=region.path)
        .select_related("enterprise")
        .prefetch_related("events__certificate", "events__reverses")
        .order_by("enterprise__uscc", "cycle")
    )
    for case in cases:
        events = [e for e in sorted(case.events.all(), key=lambda e: (e.pk,)) if e.on <= on]
        if not events:
            continue
        position = {e.pk: index for index, e in enumerate(events)}
        rows = []
        for e in events:
            row = {
                "kind": e.kind,
                "on": e.on,
                "note": e.note,
                "grade": e.grade,
                "score": None if e.score is None else str(e.score),
                "source": e.source,
                "reverses": position.get(e.reverses_id) if e.reverses_id else None,
                "certificate": None,
            }
            certificate = getattr(e, "certificate", None)
            if certificate is not None:
                row["certificate"] = {
                    "number": certificate.number,
                    "grade": certificate.grade,
                    "issuer": certificate.issuer,
                    "expires_on": certificate.expires_on,
                }
            rows.append(row)
        yield {"uscc": case.enterprise.uscc, "cycle": case.cycle, "events": rows}


def certificate_records(region: Region, on: date):
    qs = (
        Certificate.objects.filter(
            case__enterprise__region__path__startswith=region.path, issued_on__lte=on
        )
        .select_related("case__enterprise", "replaces", "successor")
        .order_by("number", "pk")
    )
    for c in qs:
        yield {
            "number": c.number,
            "uscc": c.case.enterprise.uscc,
            "grade": c.grade,
            "issuer": c.issuer,
            "issued_on": c.issued_on,
            "expires_on": c.expires_on,
            "replaces_number": c.replaces.number if c.replaces_id else None,
            "ended_on": c.ended_on if c.ended_on and c.ended_on <= on else None,
            "end_kind": c.end_kind if c.ended_on and c.ended_on <= on else "",
            "void": c.void,
            "status": status_on(c, on),
        }


def benchmark_records(region: Region, on: date):
    qs = (
        Benchmark.objects.filter(
            enterprise__region__path__startswith=region.path, chosen_on__lte=on
        )
        .select_related("enterprise")
        .prefetch_related("events")
        .order_by("enterprise__uscc")
    )
    for b in qs:
        events = sorted((e for e in b.events.all() if e.on <= on), key=lambda e: e.pk)
        yield {
            "uscc": b.enterprise.uscc,
            **{name: getattr(b, name) for name in BENCHMARK_FIELDS},
            **_benchmark_state_on(b, events, on),
            "events": [{name: getattr(e, name) for name in BENCHMARK_EVENT_FIELDS} for e in events],
        }


def _benchmark_state_on(benchmark: Benchmark, events: list, on: date) -> dict:
    """The benchmark's stage, its date, its 建成 date and its withdrawal as they stood on `on`,
    from its events up to that day (the stored fields are today's)."""
    moves = sorted(
        (e for e in events if e.kind == BenchmarkEventKind.STAGE), key=lambda e: (e.on, e.pk)
    )
    stage = moves[-1].stage if moves else Stage.CANDIDATE
    withdrawn = benchmark.withdrawn_on is not None and benchmark.withdrawn_on <= on
    return {
        "stage": stage,
        "stage_since": moves[-1].on if moves else benchmark.chosen_on,
        "established_on": moves[-1].on if stage == Stage.ESTABLISHED else None,
        "withdrawn_on": benchmark.withdrawn_on if withdrawn else None,
        "withdraw_reason": benchmark.withdraw_reason if withdrawn else "",
    }


def training_records(region: Region, on: date):
    qs = (
        Session.objects.filter(region__path__startswith=region.path, held_on__lte=on)
        .select_related("region")
        .prefetch_related("attendances__enterprise")
        .order_by("held_on", "pk")
    )
    for s in qs:
        yield {
            "region_code": s.region.code,
            **{name: getattr(s, name) for name in SESSION_FIELDS},
            "hours": None if s.hours is None else str(s.hours),
            "attendance": [
                {
                    **{name: getattr(a, name) for name in ATTENDANCE_FIELDS},
                    "uscc": a.enterprise.uscc if a.enterprise_id else None,
                }
                for a in s.attendances.all()
            ],
        }


EXPORTERS = {
    "regions": region_records,
    "enterprises": enterprise_records,
    "cases": case_records,
    "certificates": certificate_records,
    "benchmarks": benchmark_records,
    "training": training_records,
}


def _jsonl(records) -> tuple[bytes, int]:
    lines = [json.dumps(r, cls=DjangoJSONEncoder, ensure_ascii=False) for r in records]
    return ("\n".join(lines) + ("\n" if lines else "")).encode(), len(lines)


def export_package(*, region: Region, on: date, path: Path | str) -> dict:
    """Write the package of `region`'s subtree as of `on` to `path`; returns the manifest."""
    if on > timezone.localdate():
        raise ValidationError({"as_of": "交换包的统计日期不能晚于今天"})
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "as_of": on.isoformat(),
        "region": region.code,
        "region_name": region.name,
        "source": settings.ANBIAO_DEPLOYMENT_NAME,
        "exported_at": timezone.localtime().isoformat(timespec="seconds"),
        "files": {},
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in FILES:
            data, count = _jsonl(EXPORTERS[name](region, on))
            filename = f"{name}.jsonl"
            archive.writestr(filename, data)
            manifest["files"][filename] = {
                "count": count,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        archive.writestr(
            "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        )
    return manifest


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import added, per entity; all zero when the package was already merged."""

    region: str
    as_of: str
    added: dict = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.added[key] = self.added.get(key, 0) + n

    @property
    def changed(self) -> bool:
        return any(self.added.values())


def read_package(path: Path | str) -> tuple[dict, dict[str, list[dict]]]:
    """The manifest and the records of each file, after checking format, counts and checksums.
    A damaged or foreign package is refused with a message naming the file (and line)."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValidationError({"file": f"不是有效的交换包(zip):{exc}"}) from exc
    with archive:
        names = set(archive.namelist())
        if "manifest.json" not in names:
            raise ValidationError({"file": "交换包缺少 manifest.json"})
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except ValueError as exc:
            raise ValidationError({"manifest.json": f"不是有效的JSON:{exc}"}) from exc
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise ValidationError(
                {"manifest.json": f"不是本系统第 {VERSION} 版的交换包(format/version 不符)"}
            )
        records = {}
        for name in FILES:
            filename = f"{name}.jsonl"
            expected = manifest.get("files", {}).get(filename)
            if filename not in names or expected is None:
                raise ValidationError({filename: "交换包缺少该文件或其清单记录"})
            data = archive.read(filename)
            if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
                raise ValidationError({filename: "校验和(sha256)不符,文件已损坏或被修改"})
            rows = []
            for number, line in enumerate(io.StringIO(data.decode()), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except ValueError as exc:
                        raise ValidationError({filename: f"第{number}行不是有效的JSON"}) from exc
            if len(rows) != expected.get("count"):
                raise ValidationError(
                    {filename: f"记录数 {len(rows)} 与清单中的 {expected.get('count')} 不符"}
                )
            records[name] = rows
    return manifest, records


def _day(value) -> date | None:
    return date.fromisoformat(value) if value else None


class _Importer:
    def __init__(self, manifest: dict):
        self.regions = {r.code: r for r in Region.objects.all()}
        self.result = ImportResult(region=manifest["region"], as_of=manifest["as_of"])
        self.note = f"交换包导入:{manifest.get('region_name', '')}{manifest['as_of']}"
        self.enterprises: dict[str, Enterprise] = {}

    def region(self, code: str, where: str) -> Region:
        region = self.regions.get(code)
        if region is None:
            raise ValidationError({where: f"本系统没有区划代码“{code}”,请先载入区划参考数据"})
        return region

    def enterprise(self, uscc: str, where: str) -> Enterprise:
        enterprise = self.enterprises.get(uscc) or Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            raise ValidationError({where: f"企业“{uscc}”不在交换包的企业文件中,也未在本系统登记"})
        self.enterprises[uscc] = enterprise
        return enterprise

    # Regions: added when missing (under a parent that exists), never renamed or moved: the
    # district's own reference data wins.
    def regions_(self, rows: list[dict]) -> None:
        for number, row in enumerate(rows, start=1):
            where = f"regions.jsonl 第{number}行"
            if row["code"] in self.regions:
                continue
            parent = None
            if row.get("parent_code"):
                parent = self.region(row["parent_code"], where)
            region = Region(code=row["code"], name=row["name"], level=row["level"], parent=parent)
            try:
                region.full_clean(exclude=["path", "parent"])
            except ValidationError as exc:
                raise ValidationError({where: ";".join(exc.messages)}) from exc
            region.save()
            self.regions[region.code] = region
            self.result.count("regions")

    # Enterprises: upsert by USCC; dated facts appended when missing; spans rebuilt.
    def enterprises_(self, rows: list[dict]) -> None:
        touched = []
        tags = {t.code: t for t in RiskTag.objects.all()}
        for number, row in enumerate(rows, start=1):
            where = f"enterprises.jsonl 第{number}行"
            region = self.region(row["region_code"], where)
            values = {name: row.get(name) for name in ENTERPRISE_FIELDS}
            for name in ("status_since", "ledger_since"):
                values[name] = _day(values[name])
            values["revenue"] = row.get("revenue")
            enterprise = Enterprise.objects.filter(uscc=row["uscc"]).first()
            creating = enterprise is None
            if creating:
                enterprise = Enterprise(uscc=row["uscc"])
            before = {} if creating else audit.snapshot(enterprise, (*values, "region"))
            for name, value in values.items():
                setattr(enterprise, name, value)
            enterprise.region = region
            enterprise.name_initials, enterprise.name_pinyin = pinyin_keys(enterprise.name)
            enterprise.full_clean(exclude=["risk_tags", "uscc"], validate_unique=False)
            changes = [] if creating else audit.diff(enterprise, before)
            if creating or changes:
                enterprise.save()
                audit.record(
                    actor=None,
                    action=ChangeLog.Action.CREATE if creating else ChangeLog.Action.UPDATE,
                    instance=enterprise,
                    enterprise=enterprise,
                    changes=changes,
                    note=self.note,
                )
                self.result.count("enterprises")
            wanted = {tags[c] for c in row.get("risk_tags", []) if c in tags}
            if creating or wanted != set(enterprise.risk_tags.all()):
                enterprise.risk_tags.set(wanted)
            if self._facts(enterprise, row.get("facts", []), where):
                touched.append(enterprise.pk)
            self.enterprises[enterprise.uscc] = enterprise
        rebuild_spans(touched)

    def _facts(self, enterprise: Enterprise, facts: list[dict], where: str) -> int:
        have = {
            (f.kind, f.value, f.effective_on)
            for f in EnterpriseFact.objects.filter(enterprise=enterprise)
        }
        added = 0
        for fact in facts:
            value = fact["value"]
            if fact["kind"] == FactKind.REGION:
                value = str(self.region(value, where).pk)
            key = (fact["kind"], value, _day(fact["effective_on"]))
            if key in have:
                continue
            EnterpriseFact.objects.create(
                enterprise=enterprise,
                kind=fact["kind"],
                value=value,
                reason=fact.get("reason", ""),
                effective_on=key[2],
                source=fact.get("source", "import"),
            )
            have.add(key)
            added += 1
        self.result.count("facts", added)
        return added

    # Case events: the district's case history is a prefix of the station's; the rest is
    # replayed through the case services, which check every step against the state rules.
    def cases_(self, rows: list[dict]) -> None:
        for number, row in enumerate(rows, start=1):
            where = f"cases.jsonl 第{number}行"
            enterprise = self.enterprise(row["uscc"], where)
            case = Case.objects.filter(enterprise=enterprise, cycle=row["cycle"]).first()
            have = list(case.events.order_by("pk")) if case else []
            events = row["events"]
            for index, (mine, theirs) in enumerate(zip(have, events, strict=False)):
                if mine.kind != theirs["kind"] or mine.on.isoformat() != theirs["on"]:
                    if theirs["kind"] == EventKind.CORRECTION == mine.kind:
                        continue  # a correction is dated when it is replayed
                    raise ValidationError(
                        {
                            where: f"第{index + 1}条事件与本系统已有记录不一致"
                            f"(本系统:{mine.get_kind_display()} {mine.on},"
                            f"交换包:{theirs['kind']} {theirs['on']}),未导入"
                        }
                    )
            for index, event in enumerate(events[len(have) :], start=len(have) + 1):
                try:
                    self._replay(enterprise, event)
                except ValidationError as exc:
                    text = ";".join(exc.messages)
                    raise ValidationError({where: f"第{index}条事件无法记录:{text}"}) from exc
                self.result.count("case_events")

    def _replay(self, enterprise: Enterprise, event: dict) -> None:
        if event["kind"] == EventKind.CORRECTION:
            case_services.case_correct_last(
                actor=None, enterprise=enterprise, note=event["note"] or self.note
            )
            return
        certificate = None
        if event.get("certificate"):
            data = event["certificate"]
            certificate = case_services.CertificateData(
                number=data["number"],
                grade=data["grade"],
                issuer=data.get("issuer", ""),
                expires_on=_day(data.get("expires_on")),
            )
        case_services.case_record_event(
            actor=None,
            enterprise=enterprise,
            kind=event["kind"],
            on=_day(event["on"]),
            note=event.get("note", ""),
            grade=event.get("grade", ""),
            score=event.get("score"),
            certificate=certificate,
            source=event.get("source") or "exchange",
        )

    def certificates_(self, rows: list[dict]) -> None:
        """Certificates came with their events; check that every one is here now."""
        numbers = set(Certificate.objects.filter(void=False).values_list("number", flat=True))
        for number, row in enumerate(rows, start=1):
            if not row.get("void") and row["number"] not in numbers:
                raise ValidationError(
                    {f"certificates.jsonl 第{number}行": f"证书“{row['number']}”没有对应的发证事件"}
                )

    def benchmarks_(self, rows: list[dict]) -> None:
        for number, row in enumerate(rows, start=1):
            enterprise = self.enterprise(row["uscc"], f"benchmarks.jsonl 第{number}行")
            values = {name: row.get(name) for name in BENCHMARK_FIELDS}
            for name in ("chosen_on", "stage_since", "established_on", "withdrawn_on"):
                values[name] = _day(values[name])
            benchmark = Benchmark.objects.filter(enterprise=enterprise).first()
            if benchmark is None:
                benchmark = Benchmark.objects.create(enterprise=enterprise, **values)
                audit.record(
                    actor=None,
                    action=ChangeLog.Action.CREATE,
                    instance=benchmark,
                    enterprise=enterprise,
                    note=self.note,
                )
                self.result.count("benchmarks")
            else:
                before = audit.snapshot(benchmark, tuple(values))
                for name, value in values.items():
                    setattr(benchmark, name, value)
                changes = audit.diff(benchmark, before)
                if changes:
                    benchmark.save()
                    audit.record(
                        actor=None,
                        action=ChangeLog.Action.UPDATE,
                        instance=benchmark,
                        enterprise=enterprise,
                        changes=changes,
                        note=self.note,
                    )
                    self.result.count("benchmarks")
            have = benchmark.events.count()
            for event in row["events"][have:]:
                values = {name: event.get(name) for name in BENCHMARK_EVENT_FIELDS}
                values["on"] = _day(values["on"])
                BenchmarkEvent.objects.create(benchmark=benchmark, **values)
                self.result.count("benchmark_events")

    def training_(self, rows: list[dict]) -> None:
        for number, row in enumerate(rows, start=1):
            where = f"training.jsonl 第{number}行"
            region = self.region(row["region_code"], where)
            held_on = _day(row["held_on"])
            session = Session.objects.filter(
                region=region, held_on=held_on, topic=row["topic"]
            ).first()
            if session is None:
                values = {name: row.get(name) for name in SESSION_FIELDS}
                values["held_on"] = held_on
                session = Session.objects.create(region=region, hours=row.get("hours"), **values)
                audit.record(
                    actor=None, action=ChangeLog.Action.CREATE, instance=session, note=self.note
                )
                self.result.count("training_sessions")
            have = set(session.attendances.values_list("person_key", flat=True))
            for person in row["attendance"]:
                enterprise = self.enterprise(person["uscc"], where) if person["uscc"] else None
                key = Attendance.key_for(
                    person["name"], enterprise.pk if enterprise else None, person.get("unit", "")
                )
                if key in have:
                    continue
                Attendance.objects.create(
                    session=session,
                    enterprise=enterprise,
                    person_key=key,
                    **{name: person.get(name, "") for name in ATTENDANCE_FIELDS},
                )
                have.add(key)
                self.result.count("attendance")


@transaction.atomic
def import_package(*, path: Path | str) -> ImportResult:
    """Merge a package into this instance, all or nothing. Idempotent: a package already
    merged adds nothing. Run by the system (the CLI), so no user permission applies."""
    manifest, records = read_package(path)
    importer = _Importer(manifest)
    importer.regions_(records["regions"])
    importer.enterprises_(records["enterprises"])
    importer.cases_(records["cases"])
    importer.certificates_(records["certificates"])
    importer.benchmarks_(records["benchmarks"])
    importer.training_(records["training"])
    return importer.result
