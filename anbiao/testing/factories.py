"""Test factories. Enterprises are created through the real service, so they carry their dated
facts and change log exactly as the app would write them."""

import itertools
from datetime import date

import factory
from django.contrib.auth.hashers import make_password

from anbiao.accounts.choices import Role
from anbiao.accounts.models import Region, User
from anbiao.agencies.models import Agency, AgencyAssignment
from anbiao.benchmarks.services import benchmark_advance, benchmark_choose
from anbiao.cases.services import CertificateData, case_record_event
from anbiao.core.uscc import check_character
from anbiao.enterprises import services
from anbiao.enterprises.choices import Industry, Size
from anbiao.enterprises.models import Enterprise
from anbiao.training.services import attendance_add, session_create

PASSWORD = "Test@Pass2025"  # noqa: S105 - test accounts only
_serial = itertools.count(1)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def make_uscc(n: int | None = None, region_code: str = "350213") -> str:
    """A valid USCC, unique per call (or per `n`)."""
    n = next(_serial) if n is None else n
    body = f"91{region_code}MA{n:07d}"
    return body + check_character(body)


def make_enterprise(region_code: str = "350213007", **fields) -> Enterprise:
    serial = next(_serial)
    data = {
        "name": f"厦门测试{serial}号机械有限公司",
        "uscc": make_uscc(serial),
        "region": region(region_code),
        "industry": Industry.MACHINERY,
        "size": Size.SMALL,
        "employees": 30,
        "ledger_since": date(2025, 2, 28),
        "principal_name": "张三",
        "principal_phone": "13800000000",
        "eligible": True,
    }
    data.update(fields)
    risk_tags = data.pop("risk_tags", ())
    on = data.get("ledger_since") or date(2025, 2, 28)
    return services.enterprise_create(actor=None, data=data, risk_tags=risk_tags, effective_on=on)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.STATION
    password = factory.LazyFunction(lambda: make_password(PASSWORD))


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"测试安全技术服务机构{n}")


def assign_agency(agency: Agency, enterprise: Enterprise) -> AgencyAssignment:
    return AgencyAssignment.objects.create(
        agency=agency, enterprise=enterprise, start_on=date(2025, 1, 1)
    )


# --- Cases (anbiao/cases) ----------------------------------------------------------------


def record_steps(enterprise, *steps, actor=None):
    """Record case steps through the real service: each step is (kind, date) or
    (kind, date, {extra keyword arguments}). Returns the events."""

    events = []
    for step in steps:
        kind, on, *extra = step
        events.append(
            case_record_event(
                actor=actor, enterprise=enterprise, kind=kind, on=on, **(extra[0] if extra else {})
            )
        )
    return events


def certify(enterprise, issued_on: date, number: str | None = None, grade: str = "micro", **kw):
    """Apply → pass → certificate, the shortest legal path to a certificate."""
    from datetime import timedelta

    number = number or f"TEST-{next(_serial):05d}"
    return record_steps(
        enterprise,
        ("apply", issued_on - timedelta(days=30)),
        ("review_pass", issued_on - timedelta(days=10), {"grade": grade}),
        ("certificate", issued_on, {"certificate": CertificateData(number=number, **kw)}),
    )


def certify_case(enterprise, start, issued, number, expires=None, kind="certificate", first=True):
    """A case as histories record it: 开始 on `start` (unless not `first`: a case already
    under way), apply on `start`, pass and `kind` (取得证书 or 换发证书) on `issued`, the
    certificate expiring on `expires` (None: the standard term)."""
    steps = [("start", start)] if first else []
    record_steps(
        enterprise,
        *steps,
        ("apply", start),
        ("review_pass", issued, {"grade": "小微达标", "score": 80}),
        (
            kind,
            issued,
            {"certificate": CertificateData(number=number, grade="小微达标", expires_on=expires)},
        ),
    )


def lapse_histories() -> dict[str, Enterprise]:
    """Five enterprises in the ledger since 2020 whose certificates lapse, the edges of
    "started" and of renewals. OLD: certified 2021, expired 2024-05-31, nothing since. BACK:
    the same, then started again on 2025-10-08. LATE: certificate lapsed 2025-06-30, a new one
    recorded as 取得证书 on 2025-09-10. EARLY: renewed by a 取得证书 on 2025-05-20, before its
    2025-06-30 expiry. DURING: certificate lapsing 2025-08-31 with nothing since."""
    e = {
        key: make_enterprise(name=key, ledger_since=date(2020, 1, 1))
        for key in ("OLD", "BACK", "LATE", "EARLY", "DURING")
    }
    for key in ("OLD", "BACK"):
        certify_case(e[key], date(2021, 3, 1), date(2021, 6, 1), f"{key}-1", date(2024, 5, 31))
        record_steps(e[key], ("expire", date(2024, 6, 1)))
    record_steps(e["BACK"], ("start", date(2025, 10, 8)))
    for key in ("LATE", "EARLY"):
        certify_case(e[key], date(2022, 5, 1), date(2022, 7, 1), f"{key}-1", date(2025, 6, 30))
    record_steps(e["LATE"], ("expire", date(2025, 7, 1)))
    certify_case(e["LATE"], date(2025, 8, 1), date(2025, 9, 10), "LATE-2", date(2028, 9, 9))
    certify_case(
        e["EARLY"], date(2025, 4, 1), date(2025, 5, 20), "EARLY-2", date(2028, 5, 19), first=False
    )
    certify_case(e["DURING"], date(2022, 8, 1), date(2022, 9, 1), "DURING-1", date(2025, 8, 31))
    return e


# --- Benchmarks and training (anbiao/benchmarks, anbiao/training) --------------------------


def choose_benchmark(
    enterprise, chosen_on: date = date(2025, 10, 15), *stages, reason="管理基础好"
):
    """A benchmark candidate through the real service, then moved through `stages`, each
    (stage, date)."""

    benchmark = benchmark_choose(
        actor=None, enterprise=enterprise, chosen_on=chosen_on, reason=reason
    )
    for stage, on in stages:
        benchmark_advance(actor=None, benchmark=benchmark, stage=stage, on=on)
    benchmark.refresh_from_db()
    return benchmark


ALL_PILOT_STAGES = ("pilot_create", "pilot_run", "pilot_improve", "established")


def make_session(region_code: str = "350213007", held_on: date = date(2025, 6, 20), **fields):
    """A training session created through the real service."""

    data = {
        "topic": "安全生产标准化评审指南宣贯培训",
        "kind": "training",
        "held_on": held_on,
        "hours": 4,
        "region": region(region_code),
        "organiser": "民安街道安监站",
    }
    data.update(fields)
    return session_create(actor=None, data=data)


def attend(session, enterprise=None, role: str = "principal", name: str | None = None, **kw):
    """One person at a session through the real service."""

    name = name or (
        enterprise.principal_name if role == "principal" and enterprise else f"学员{next(_serial)}"
    )
    return attendance_add(
        actor=None, session=session, name=name, role=role, enterprise=enterprise, **kw
    )
