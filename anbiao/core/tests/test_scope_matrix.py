"""Role × scope matrix (docs/roles-and-scope.md): nobody reads or changes data outside their scope.

Every URL pattern is walked from the resolver and must be classified in ROUTES (who may use it,
what its kwargs name, how to POST to it): a new URL fails here until it is classified.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User
from anbiao.agencies.models import AgencyAssignment
from anbiao.core.imports.jobs import import_job_create
from anbiao.core.models import ChangeLog, ImportJob
from anbiao.enterprises.export_jobs import export_job_create, run_export
from anbiao.enterprises.models import Enterprise, EnterpriseFact
from anbiao.surveys.models import SurveyFinding, SurveyRound
from anbiao.surveys.services import survey_round_create
from anbiao.testing.factories import PASSWORD, UserFactory, make_uscc, region

MINAN, XINDIAN = "350213007", "350213002"
USERS = tuple(
    "district_officer grading_officer station_officer other_station_officer enterprise_user "
    "agency_user outsider admin_user".split()
)
PERSONAS = ("anonymous", *USERS)
BOTH = frozenset({"minan", "xindian"})
SCOPE = {  # which of the two enterprises each persona may see
    "anonymous": frozenset(),
    "district_officer": BOTH,
    "grading_officer": BOTH,  # 定级部门: the whole district
    "station_officer": frozenset({"minan"}),
    "other_station_officer": frozenset({"xindian"}),
    "enterprise_user": frozenset({"minan"}),
    "agency_user": frozenset({"minan"}),
    "outsider": frozenset(),
    "admin_user": BOTH,  # no region: the whole registry, read-only
}
ALL = frozenset(USERS)
STATIONS = frozenset({"station_officer", "other_station_officer"})
ADMIN = frozenset({"admin_user"})
GRADER = frozenset({"grading_officer"})
EXPORTERS = frozenset(
    {"district_officer", "admin_user", "station_officer", "other_station_officer"}
)
NEW_PASSWORD = {"new_password1": "Changed#2025pw", "new_password2": "Changed#2025pw"}


def today() -> str:
    return timezone.localdate().isoformat()


def enterprise_form(w, persona, target) -> dict:
    e = w[target]
    keep = {f: getattr(e, f) for f in ("uscc", "industry", "size", "principal_name")}
    return keep | {
        "name": f"{e.name}(更名)",
        "region": e.region_id,
        "address": "翔安区矩阵路1号",
        "employees": 41,
        "eligible": "True",
        "effective_on": today(),
    }


def new_enterprise(w, persona, target) -> dict:
    code = XINDIAN if persona == "other_station_officer" else MINAN
    data = enterprise_form(w, persona, "minan")
    data.update(name="厦门矩阵新建有限公司", uscc=make_uscc(), region=region(code).pk)
    return data | {"ledger_since": today()}


def account(username="newbie", **extra) -> dict:
    data = {"username": username, "full_name": "新名字", "role": Role.STATION, "is_active": "on"}
    return data | {"region": region(MINAN).pk} | extra


def ledger_upload(uscc=None, name="厦门矩阵导入机械有限公司"):
    text = f"企业名称,统一社会信用代码,行业,企业规模\n{name},{uscc or make_uscc()},机械,小型\n"
    return {"file": SimpleUploadedFile("台账.csv", text.encode()), "effective_on": today()}


def import_job(w, target):
    """A previewed ledger import uploaded by the station officer of `target`'s 街道."""
    key = f"import-{target}"
    if key not in w:
        officer = w["station_officer" if target == "minan" else "other_station_officer"]
        upload = ledger_upload(name=f"厦门矩阵{target}机械有限公司")["file"]
        w[key] = import_job_create(actor=officer, kind="ledger", upload=upload)
    return w[key]


def export_job(w, target):
    """A finished background registry export asked for by the station officer of `target`'s
    街道 (built here, as the worker would)."""
    key = f"export-{target}"
    if key not in w:
        officer = w["station_officer" if target == "minan" else "other_station_officer"]
        job = export_job_create(
            actor=officer,
            kind="registry",
            params=QueryDict(),
            filename="企业台账.xlsx",
            total_rows=1,
        )
        run_export(job.pk)
        job.refresh_from_db()
        w[key] = job
    return w[key]


def survey_round(w, target):
    key = f"survey-{target}"
    if key not in w:
        officer = w["station_officer" if target == "minan" else "other_station_officer"]
        w[key] = survey_round_create(
            actor=officer,
            name=f"{target}摸排",
            region=w[target].region,
            period_start=date(2025, 7, 1),
            period_end=date(2025, 8, 31),
        )
    return w[key]


def survey_form(persona) -> dict:
    code = XINDIAN if persona == "other_station_officer" else MINAN
    return {
        "name": "矩阵摸排",
        "region": region(code).pk,
        "period_start": "2025-07-01",
        "period_end": "2025-08-31",
    }


def new_finding(enterprise) -> dict:
    return {
        "new_name": "厦门矩阵新发现有限公司",
        "new_uscc": make_uscc(),
        "new_industry": "machinery",
        "new_region": enterprise.region_id,
        "status": "operating",
        "size": "micro",
    }


def survey_upload(w, target):
    e = w[target]
    text = f"统一社会信用代码,企业名称,摸排:企业规模,摸排人\n{e.uscc},{e.name},微型,矩阵\n"
    return SimpleUploadedFile("摸排表.csv", text.encode())


@dataclass(frozen=True)
class Route:
    who: frozenset  # personas whose role grants this page
    obj: str | None = None  # what the URL kwargs name: a kind in OBJECTS
    post: object = None  # a write view's payload, or payload(world, persona, target)
    get: int = 200  # what a GET returns to a persona in `who` (and in scope)
    public: bool = False  # reachable without logging in
    posted: int = 302  # what an accepted write answers (a redirect, unless it shows a result)


ROUTES = {
    "home": Route(ALL),
    "accounts:login": Route(ALL, get=302, public=True),  # logged-in users go home
    "accounts:logout": Route(ALL, get=405, post={}),
    "accounts:password_change": Route(ALL, post=dict(old_password=PASSWORD, **NEW_PASSWORD)),
    "accounts:user_list": Route(ADMIN),
    "accounts:user_create": Route(ADMIN, post=lambda w, p, t: account(password="Matrix#2025p")),
    "accounts:user_edit": Route(ADMIN, obj="user", post=lambda w, p, t: account("victim")),
    "accounts:user_reset_password": Route(ADMIN, obj="user", post={"password": "Reset#2025M"}),
    "accounts:login_log": Route(ADMIN),
    "accounts:login_unlock": Route(ADMIN, get=405, post={"username": "victim"}),
    "accounts:otp_setup": Route(ALL),  # one's own second factor; a wrong code changes nothing
    "accounts:otp_verify": Route(ALL, get=302),  # nothing to verify without a device: home
    "accounts:otp_reset": Route(ADMIN, obj="user", get=405, post={}),
    # The change log: admins see all of it, the district officer that of their region.
    "audit_log": Route(frozenset({"district_officer", "admin_user"})),
    "audit_log_export": Route(frozenset({"district_officer", "admin_user"})),
    "accounts:region_list": Route(
        frozenset({"district_officer", "admin_user"}),
        post=lambda w, p, t: {"action": "add", "parent": region(MINAN).pk, "name": f"矩阵{p}社区"},
    ),
    "enterprises:list": Route(ALL),
    "enterprises:export": Route(frozenset({"district_officer", "admin_user"}) | STATIONS),
    "enterprises:create": Route(STATIONS, post=new_enterprise),
    "enterprises:size_hint": Route(ALL),
    "enterprises:detail": Route(ALL, obj="enterprise"),
    "enterprises:edit": Route(
        STATIONS | {"enterprise_user"}, obj="enterprise", post=enterprise_form
    ),
    "enterprises:status": Route(
        STATIONS,
        obj="enterprise",
        post={"status": "suspended", "on": "2025-06-30", "reason": "检修"},
    ),
    # --- ledger as of a date, imports and survey rounds (issue 3)
    "enterprises:ledger": Route(ALL),
    "enterprises:ledger_export": Route(EXPORTERS),
    "enterprises:export_job": Route(EXPORTERS, obj="export"),
    "enterprises:export_download": Route(EXPORTERS, obj="export"),
    "imports:list": Route(EXPORTERS),
    "imports:upload": Route(STATIONS, obj="kind", post=lambda w, p, t: ledger_upload()),
    "imports:template": Route(STATIONS, obj="kind"),
    "imports:detail": Route(EXPORTERS, obj="import"),
    "imports:file": Route(EXPORTERS, obj="import"),
    "imports:confirm": Route(STATIONS, obj="import", get=405, post={}),
    "imports:progress": Route(EXPORTERS, obj="import", get=204),
    "imports:remap": Route(STATIONS, obj="import", get=405, post={}),
    "imports:skip_invalid": Route(STATIONS, obj="import", get=405, post={}),
    "imports:cancel": Route(STATIONS, obj="import", get=405, post={}),
    "surveys:list": Route(EXPORTERS),
    "surveys:create": Route(STATIONS, post=lambda w, p, t: survey_form(p)),
    "surveys:detail": Route(EXPORTERS, obj="survey"),
    "surveys:report": Route(EXPORTERS, obj="survey"),
    "surveys:report_export": Route(EXPORTERS, obj="survey"),
    "surveys:workbook": Route(EXPORTERS, obj="survey"),
    "surveys:finding_add": Route(STATIONS, obj="survey", post=lambda w, p, t: new_finding(w[t])),
    "surveys:finding_edit": Route(
        STATIONS, obj="finding", post={"status": "operating", "size": "micro"}
    ),
    "surveys:close": Route(STATIONS, obj="survey", get=405, post={"on": "2025-08-31"}),
    "surveys:import": Route(
        STATIONS, obj="survey", get=405, post=lambda w, p, t: {"file": survey_upload(w, t)}
    ),
    # --- cases (anbiao/cases): every role may read cases in its scope; stations record steps.
    "cases:board": Route(ALL),
    "cases:standards": Route(ADMIN, post=lambda w, p, t: standard_upload()),
    "cases:export": Route(frozenset({"district_officer", "admin_user"}) | STATIONS | GRADER),
    "cases:detail": Route(ALL, obj="enterprise"),
    "cases:record": Route(
        STATIONS, obj="enterprise", post=lambda w, p, t: {"kind": "start", "on": today()}
    ),
    # The 定级部门 records its decisions; a station records them on the record page (街道代录).
    "cases:decide": Route(
        GRADER,
        obj="enterprise",
        post=lambda w, p, t: (
            case_step(w, t, kind="apply", state="applied")
            or {"kind": "review_pass", "on": today(), "grade": "micro"}
        ),
    ),
    "cases:correct": Route(
        STATIONS, obj="enterprise", post=lambda w, p, t: case_step(w, t) or {"note": "录入错误"}
    ),
    "cases:self_assessment": Route(
        STATIONS | {"enterprise_user", "agency_user"},
        obj="enterprise",
        get=405,
        post={"kind": "self"},
    ),
    "cases:assign_review": Route(
        STATIONS, obj="enterprise", post=lambda w, p, t: review_team(w, p, t)
    ),
    "cases:evidence_upload": Route(
        STATIONS | GRADER | {"enterprise_user", "agency_user", "outsider"},
        obj="enterprise",
        get=405,
        post=lambda w, p, t: {"file": evidence_pdf()},
    ),
    "cases:assessment": Route(ALL, obj="assessment"),
    # Experts (outsider) may score reviews assigned to them. Autosave answers 200 with the
    # row status, not a redirect, so its scope is checked through GET.
    "cases:assessment_item": Route(
        STATIONS | {"enterprise_user", "agency_user", "outsider"}, obj="assessment", get=405
    ),
    "cases:assessment_submit": Route(
        STATIONS | {"enterprise_user", "agency_user", "outsider"},
        obj="assessment",
        get=405,
        post=lambda w, p, t: assessment_filled(w, t) or {},
    ),
    "cases:evidence": Route(ALL, obj="evidence"),
    "cases:rectification_close": Route(
        STATIONS, obj="rectification", get=405, post={"on": "2025-06-30", "note": "已整改"}
    ),
}
# How to fill a URL's kwargs: kind → {target: kwargs(world)}. A target named after an enterprise
# ("minan", "xindian") is an object belonging to it, hidden from whoever cannot see that enterprise.
OBJECTS = {
    None: {None: lambda w: {}},
    "enterprise": {t: lambda w, t=t: {"pk": w[t].pk} for t in ("minan", "xindian")},
    "user": {"victim": lambda w: {"pk": w["victim"].pk}},
    "kind": {None: lambda w: {"kind": "ledger"}},
    "import": {t: lambda w, t=t: {"pk": import_job(w, t).pk} for t in ("minan", "xindian")},
    "export": {t: lambda w, t=t: {"pk": export_job(w, t).pk} for t in ("minan", "xindian")},
    "survey": {t: lambda w, t=t: {"pk": survey_round(w, t).pk} for t in ("minan", "xindian")},
    "finding": {
        t: lambda w, t=t: {
            "round_pk": survey_round(w, t).pk,
            "pk": survey_round(w, t).findings.get(enterprise=w[t]).pk,
        }
        for t in ("minan", "xindian")
    },
}


# --- cases: objects of each enterprise, made with the ORM only (no change-log rows), so that
# making them never looks like a write in `snapshot()`.
def case_of(w, t):
    from anbiao.cases.models import Case

    return Case.objects.get_or_create(enterprise=w[t], cycle=1)[0]


def case_step(w, t, kind="start", state="in_progress"):
    from anbiao.cases.models import CaseEvent

    case = case_of(w, t)
    CaseEvent.objects.create(case=case, kind=kind, on="2025-03-01", state_after=state)
    case.state = state
    case.save()


def review_team(w, p, t) -> dict:
    from anbiao.testing.factories import AgencyFactory

    case_step(w, t, kind="apply", state="applied")
    return {"on": today(), "agency": AgencyFactory().pk}


def standard_upload() -> dict:
    """A one-item standard as an admin uploads it (cases:standards)."""
    book = openpyxl.Workbook()
    book.active.append(["一级要素", "二级要素", "编号", "评定内容", "分值"])
    book.active.append(["1 目标职责", "1.1 目标", "1.1.1", "有目标", 2])
    out = io.BytesIO()
    book.save(out)
    data = {"code": f"m-{make_uscc()[-6:]}", "version": 1, "name": "矩阵标准"}
    return data | {"file": SimpleUploadedFile("标准.xlsx", out.getvalue())}


def evidence_pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("制度.pdf", b"%PDF-1.4 matrix")


def case_object(w, t, kind):
    key = f"{t}-{kind}"
    if key in w:
        return w[key]
    from django.core.files.base import ContentFile

    from anbiao.cases.models import Assessment, EvidenceFile, Rectification
    from anbiao.cases.standards import current

    case = case_of(w, t)
    standard = current("gm-xiaowei")
    assessment = Assessment.objects.create(case=case, kind="self", standard=standard)
    if kind == "evidence":
        w[key] = EvidenceFile(case=case, name="a.pdf", file_type="pdf", size=9, sha256="0")
        w[key].file.save("matrix.pdf", ContentFile(b"%PDF-1.4 "), save=True)
    elif kind == "rectification":
        w[key] = Rectification.objects.create(
            case=case,
            assessment=assessment,
            item=standard.items.first(),
            description="整改项",
            due_on="2025-07-01",
        )
    else:
        w[key] = assessment
    return w[key]


def assessment_filled(w, t):
    from anbiao.cases.models import ItemScore

    assessment = case_object(w, t, "assessment")
    for item in assessment.standard.items.all():  # every item answered: it can be submitted
        ItemScore.objects.get_or_create(
            assessment=assessment, item=item, defaults={"verdict": "conform"}
        )


OBJECTS.update(
    {
        kind: {t: lambda w, t=t, kind=kind: {"pk": case_object(w, t, kind).pk} for t in BOTH}
        for kind in ("assessment", "evidence", "rectification")
    }
)


def url_patterns(patterns=None, namespace=""):
    """(name, pattern) for every URL, recursing through included resolvers. The JSON API's
    operations are walked with tokens by test_api_matrix.py, from the OpenAPI document."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_patterns(p.url_patterns, ns)
        elif getattr(p.callback, "__module__", "") == "ninja.operation":
            continue
        else:
            yield (f"{namespace}{p.name}" if p.name else f"<unnamed {p.pattern}>"), p


def cases(write: bool = False) -> list:
    """Every (url, persona, target) case, in one fixed order: pytest-xdist's workers must each
    collect the same list, and sets of personas iterate in a hash-seeded order."""
    return sorted(_cases(write), key=lambda case: case.id)


def _cases(write: bool = False):
    for name, _ in url_patterns():
        route = ROUTES.get(name)
        if route is None:  # unclassified: one failing case names it
            if not write:
                yield pytest.param(name, "anonymous", None, id=name)
            continue
        if write and route.post is None:
            continue
        # Sorted: targets built from a set iterate in a per-process order, and pytest-xdist's
        # workers must collect the same tests in the same order.
        for target in sorted(OBJECTS[route.obj], key=str):
            for persona in PERSONAS:
                yield pytest.param(name, persona, target, id=f"{name}-{persona}-{target}")


@pytest.fixture
def world(request, minan_enterprise, xindian_enterprise):
    w = {p: request.getfixturevalue(p) for p in USERS}
    w["victim"] = UserFactory(username="victim", role=Role.STATION, region=region(XINDIAN))
    return w | {"minan": minan_enterprise, "xindian": xindian_enterprise}


def as_persona(client, w, persona):
    if persona != "anonymous":
        client.force_login(w[persona])
    return client


def url_of(name, w, target) -> str:
    return reverse(name, kwargs=OBJECTS[ROUTES[name].obj][target](w))


def expected(route, persona, target):
    """ "login", "public", 403, 404 (out of scope: 403 also accepted) or "ok"."""
    if persona == "anonymous":
        return "public" if route.public else "login"
    if persona not in route.who:
        return 403
    if target in BOTH and target not in SCOPE[persona]:
        return 404
    return "ok"


def text_of(response) -> str:
    """The whole response as text; an xlsx export as the text of all its cells."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if "wordprocessingml" in content_type:
        from docx import Document

        doc = Document(io.BytesIO(body))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)
    if "spreadsheetml" in content_type:
        sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
        return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)
    return body.decode("utf-8", errors="replace")


def assert_no_leak(text, w, persona, echoed=()):
    """No name or USCC of an enterprise outside the persona's scope, beyond what they typed."""
    for typed in filter(None, echoed):
        text = text.replace(escape(typed), "").replace(typed, "")
    for key in BOTH - SCOPE[persona]:
        assert w[key].name not in text, f"{persona} sees the name of {key}"
        assert w[key].uscc not in text, f"{persona} sees the USCC of {key}"


def assert_outcome(response, want, ok_status=200):
    if want == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        allowed = {"public": {200}, 404: {403, 404}, 403: {403}, "ok": {ok_status}}[want]
        assert response.status_code in allowed, (want, response.content[:500])


# --- campaigns (anbiao/campaigns): the shipped minan-2025 plan covers 民安 only, so the 新店
# station officer is outside it; the district task force edits plans; stations report tasks.
CAMPAIGN_VIEWERS = EXPORTERS
DISTRICT = frozenset({"district_officer"})
MINAN_CAMPAIGN = {"minan": lambda w: {"slug": "minan-2025"}}


def campaign_form(slug="matrix-2026", name="矩阵专项行动") -> dict:
    return {
        "slug": slug,
        "name": name,
        "region": region(MINAN).pk,
        "industries": ["machinery"],
        "sizes": ["small", "micro"],
        "exclude_torch_zone": "on",
        "baseline_on": "2025-02-28",
        "starts_on": "2025-03-01",
        "ends_on": "2026-12-31",
    }


def campaign_item(w, model, code):
    from anbiao.campaigns.models import Target, Task

    return {"Target": Target, "Task": Task}[model].objects.get(
        campaign__slug="minan-2025", code=code
    )


def task_update_with_file(w):
    if "task-update" not in w:
        from anbiao.campaigns.services import task_update

        task = campaign_item(w, "Task", "T02")
        w["task-update"] = task_update(
            actor=w["station_officer"],
            task=task,
            status="done",
            on=timezone.localdate(),
            note="已完成",
            file=evidence_real_pdf(),
        )
    return w["task-update"]


def evidence_real_pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("培训记录.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


ROUTES.update(
    {
        "campaigns:list": Route(CAMPAIGN_VIEWERS),
        "campaigns:create": Route(DISTRICT, post=lambda w, p, t: campaign_form()),
        "campaigns:from_template": Route(
            DISTRICT,
            get=405,
            post=lambda w, p, t: {"template": "minan-2025", "region": region(XINDIAN).pk},
        ),
        "campaigns:detail": Route(CAMPAIGN_VIEWERS, obj="campaign"),
        "campaigns:edit": Route(
            DISTRICT,
            obj="campaign",
            post=lambda w, p, t: campaign_form("minan-2025", "民安专项行动(改)"),
        ),
        "campaigns:dashboard": Route(CAMPAIGN_VIEWERS, obj="campaign"),
        "campaigns:tasks": Route(CAMPAIGN_VIEWERS, obj="campaign"),
        "campaigns:print": Route(CAMPAIGN_VIEWERS, obj="campaign"),
        "campaigns:report": Route(CAMPAIGN_VIEWERS, obj="campaign"),
        "campaigns:summary": Route(CAMPAIGN_VIEWERS, obj="campaign"),
        "campaigns:enterprises": Route(CAMPAIGN_VIEWERS, obj="campaign_metric"),
        "campaigns:target_create": Route(
            DISTRICT,
            obj="campaign",
            post={
                "code": "GX",
                "label": "矩阵目标",
                "metric": "start_rate",
                "threshold": "0.8",
                "deadline": "2026-12-31",
            },
        ),
        "campaigns:target_edit": Route(
            DISTRICT,
            obj="target",
            post={
                "code": "G1",
                "label": "完成率目标(改)",
                "metric": "completion_rate",
                "threshold": "0.6",
                "deadline": "2025-12-31",
            },
        ),
        "campaigns:task_create": Route(
            DISTRICT,
            obj="campaign",
            post={
                "code": "TX",
                "title": "矩阵任务",
                "deadline": "2026-12-31",
                "department": "街道安监站",
            },
        ),
        "campaigns:task_edit": Route(
            DISTRICT,
            obj="task",
            post={
                "code": "T02",
                "title": "培训宣导(改)",
                "deadline": "2025-06-30",
                "department": "街道安监站",
            },
        ),
        "campaigns:task_update": Route(
            STATIONS,
            obj="task",
            post=lambda w, p, t: {"status": "in_progress", "on": today(), "note": "推进中"},
        ),
        "campaigns:task_file": Route(CAMPAIGN_VIEWERS, obj="task_file"),
    }
)
OBJECTS.update(
    {
        "campaign": MINAN_CAMPAIGN,
        "campaign_metric": {"minan": lambda w: {"slug": "minan-2025", "metric": "started"}},
        "target": {
            "minan": lambda w: {"slug": "minan-2025", "pk": campaign_item(w, "Target", "G1").pk}
        },
        "task": {
            "minan": lambda w: {"slug": "minan-2025", "pk": campaign_item(w, "Task", "T02").pk}
        },
        "task_file": {
            "minan": lambda w: {
                "slug": "minan-2025",
                "pk": campaign_item(w, "Task", "T02").pk,
                "update_pk": task_update_with_file(w).pk,
            }
        },
    }
)


# --- agencies and experts, benchmarks, training (issue 6). The agency registry is district-wide
# reference data (agency users included); experts and workload are for region roles; anything
# naming an enterprise is scoped like the enterprise, and agency users see only their own agency's
# assignments and records.
AGENCY_VIEWERS = EXPORTERS | {"agency_user"}
AGENCY_MANAGERS = frozenset({"district_officer"}) | STATIONS
GUIDANCE_WRITERS = STATIONS | {"agency_user"}
OWN = {"station_officer": "minan", "other_station_officer": "xindian"}


def own(w, persona):
    """The enterprise a writing persona acts on: their own 街道's."""
    return w[OWN.get(persona, "minan")]


def i6_object(w, key, make):
    if key not in w:
        w[key] = make()
    return w[key]


def matrix_agency(w):
    """An agency that served both enterprises (ended), made with the ORM only."""

    def make():
        from anbiao.agencies.models import Agency

        agency = Agency.objects.create(name="厦门矩阵安全技术服务有限公司", specialties="machinery")
        for t in ("minan", "xindian"):
            AgencyAssignment.objects.create(
                agency=agency, enterprise=w[t], start_on="2025-01-01", end_on="2025-06-30"
            )
        return agency

    return i6_object(w, "i6-agency", make)


def service_agency(w):
    """An agency serving both enterprises now: guidance records may be written for it."""

    def make():
        from anbiao.agencies.models import Agency

        agency = Agency.objects.create(name="厦门矩阵服务机构有限公司")
        for t in ("minan", "xindian"):
            AgencyAssignment.objects.create(agency=agency, enterprise=w[t], start_on="2025-01-01")
        return agency

    return i6_object(w, "i6-service", make)


def running_assignment(w, t):
    return AgencyAssignment.objects.get(agency=service_agency(w), enterprise=w[t])


def guidance_of(w, t):
    """A guidance record of the agency user's agency at enterprise `t`, with a file."""

    def make():
        from django.core.files.base import ContentFile

        from anbiao.agencies.models import GuidanceFile, GuidanceRecord

        record = GuidanceRecord.objects.create(
            agency=w["agency_user"].agency,
            enterprise=w[t],
            visited_on="2025-06-01",
            content=f"矩阵技术服务{t}",
        )
        item = GuidanceFile(record=record, name="a.pdf", file_type="pdf", size=9, sha256="0")
        item.file.save("matrix.pdf", ContentFile(b"%PDF-1.4 "), save=True)
        return record

    return i6_object(w, f"i6-guidance-{t}", make)


def matrix_expert(w):
    """An expert with a review of each enterprise."""

    def make():
        from anbiao.agencies.models import Expert
        from anbiao.cases.models import Assessment
        from anbiao.cases.standards import current

        user = UserFactory(username="matrix-expert", role=Role.EXPERT)
        for t in ("minan", "xindian"):
            review = Assessment.objects.create(
                case=case_of(w, t), kind="review", standard=current("gm-xiaowei")
            )
            review.experts.add(user)
        return Expert.objects.create(name="矩阵专家", phone="13900000009", user=user)

    return i6_object(w, "i6-expert", make)


def guidance_payload(w, p, t) -> dict:
    agency = w["agency_user"].agency if p == "agency_user" else service_agency(w)
    return {
        "agency": agency.pk,
        "enterprise": own(w, p).uscc,
        "visited_on": today(),
        "content": "矩阵技术服务",
    }


def agency_payload(p) -> dict:
    return {"name": f"厦门矩阵{p}机构有限公司", "status": "active", "specialties": ["machinery"]}


def expert_payload(p) -> dict:
    return {"name": f"矩阵{p}", "phone": "13900000001", "status": "active"}


def benchmark_of(w, t):
    """A benchmark of enterprise `t` in 创建试点, with a file, made with the ORM only."""

    def make():
        from django.core.files.base import ContentFile

        from anbiao.benchmarks.models import Benchmark, BenchmarkEvent, BenchmarkFile

        benchmark = Benchmark.objects.create(
            enterprise=w[t],
            chosen_on="2025-10-01",
            reason="矩阵",
            stage="pilot_create",
            stage_since="2025-11-01",
        )
        BenchmarkEvent.objects.create(
            benchmark=benchmark, kind="stage", on="2025-10-01", stage="candidate"
        )
        event = BenchmarkEvent.objects.create(
            benchmark=benchmark,
            kind="stage",
            on="2025-11-01",
            stage="pilot_create",
            previous_stage="candidate",
        )
        item = BenchmarkFile(event=event, name="a.pdf", file_type="pdf", size=9, sha256="0")
        item.file.save("matrix.pdf", ContentFile(b"%PDF-1.4 "), save=True)
        return benchmark

    return i6_object(w, f"i6-benchmark-{t}", make)


def session_of(w, t):
    """A training session of enterprise `t`'s 街道 attended by its principal, with a file."""

    def make():
        from django.core.files.base import ContentFile

        from anbiao.training.models import Attendance, Session, SessionFile

        session = Session.objects.create(
            topic=f"矩阵培训{t}",
            kind="training",
            held_on="2025-06-20",
            region=w[t].region,
            organiser="安监站",
        )
        Attendance.objects.create(
            session=session,
            name="矩阵学员",
            role="principal",
            enterprise=w[t],
            person_key=f"矩阵学员|e{w[t].pk}",
        )
        item = SessionFile(session=session, name="a.pdf", file_type="pdf", size=9, sha256="0")
        item.file.save("matrix.pdf", ContentFile(b"%PDF-1.4 "), save=True)
        return session

    return i6_object(w, f"i6-session-{t}", make)


def session_payload(w, p, t=None) -> dict:
    return {
        "topic": "矩阵宣贯",
        "kind": "publicity",
        "held_on": "2025-06-21",
        "region": own(w, p).region_id,
        "organiser": "矩阵安监站",
    }


def sign_in_upload(w, t):
    e = w[t]
    text = f"姓名,岗位类别,所在企业\n矩阵安全员,安全生产管理员,{e.name}\n"
    return SimpleUploadedFile("签到表.csv", text.encode())


ROUTES.update(
    {
        "agencies:list": Route(AGENCY_VIEWERS),
        "agencies:export": Route(AGENCY_VIEWERS),
        "agencies:create": Route(AGENCY_MANAGERS, post=lambda w, p, t: agency_payload(p)),
        "agencies:detail": Route(AGENCY_VIEWERS, obj="agency"),
        "agencies:edit": Route(
            AGENCY_MANAGERS, obj="agency", post=lambda w, p, t: agency_payload(p)
        ),
        "agencies:assign": Route(
            AGENCY_MANAGERS,
            obj="agency",
            get=405,
            post=lambda w, p, t: {"enterprise": own(w, p).uscc, "start_on": today()},
        ),
        "agencies:assignment_end": Route(
            AGENCY_MANAGERS, obj="assignment", get=405, post=lambda w, p, t: {"end_on": today()}
        ),
        "agencies:guidance": Route(AGENCY_VIEWERS),
        "agencies:guidance_create": Route(GUIDANCE_WRITERS, obj="service", post=guidance_payload),
        "agencies:guidance_detail": Route(AGENCY_VIEWERS, obj="guidance"),
        "agencies:guidance_file": Route(AGENCY_VIEWERS, obj="guidance_file"),
        "agencies:experts": Route(EXPORTERS),
        "agencies:expert_export": Route(EXPORTERS),
        "agencies:expert_create": Route(AGENCY_MANAGERS, post=lambda w, p, t: expert_payload(p)),
        "agencies:expert_detail": Route(EXPORTERS, obj="expert"),
        "agencies:expert_edit": Route(
            AGENCY_MANAGERS, obj="expert", post=lambda w, p, t: expert_payload(p)
        ),
        "agencies:workload": Route(EXPORTERS),
        "benchmarks:list": Route(EXPORTERS),
        "benchmarks:form4": Route(EXPORTERS),
        "benchmarks:catalog": Route(EXPORTERS),
        "benchmarks:form5": Route(EXPORTERS),
        "benchmarks:create": Route(
            STATIONS,
            post=lambda w, p, t: {
                "enterprise": own(w, p).uscc,
                "chosen_on": today(),
                "reason": "矩阵",
            },
        ),
        "benchmarks:detail": Route(EXPORTERS, obj="benchmark"),
        "benchmarks:stage": Route(
            STATIONS, obj="benchmark", post=lambda w, p, t: {"stage": "pilot_run", "on": today()}
        ),
        "benchmarks:meeting": Route(
            STATIONS, obj="benchmark", post=lambda w, p, t: {"on": today(), "attendees": "矩阵"}
        ),
        "benchmarks:withdraw": Route(
            STATIONS, obj="benchmark", post=lambda w, p, t: {"on": today(), "reason": "停产"}
        ),
        "benchmarks:edit": Route(
            STATIONS,
            obj="benchmark",
            post=lambda w, p, t: {"reason": "矩阵", "highlights": "矩阵亮点"},
        ),
        "benchmarks:file": Route(EXPORTERS, obj="benchmark_file"),
        "benchmarks:visits": Route(EXPORTERS),
        "benchmarks:visit_export": Route(EXPORTERS),
        "benchmarks:visit_create": Route(
            STATIONS,
            post=lambda w, p, t: {
                "visited_on": today(),
                "host_name": "外地标杆",
                "region": own(w, p).region_id,
                "participants": "矩阵",
                "enterprises": own(w, p).uscc,
            },
        ),
        "training:list": Route(EXPORTERS),
        "training:export": Route(EXPORTERS),
        "training:create": Route(STATIONS, post=session_payload),
        "training:coverage": Route(EXPORTERS),
        "training:coverage_export": Route(EXPORTERS),
        "training:detail": Route(EXPORTERS, obj="session"),
        "training:edit": Route(
            STATIONS,
            obj="session",
            post=lambda w, p, t: (
                session_payload(w, p) | {"region": w[t].region_id, "topic": "矩阵改名"}
            ),
        ),
        "training:attend": Route(
            STATIONS,
            obj="session",
            get=405,
            post=lambda w, p, t: {"name": "新学员", "role": "principal", "enterprise": w[t].uscc},
        ),
        "training:import": Route(
            STATIONS, obj="session", get=405, post=lambda w, p, t: {"file": sign_in_upload(w, t)}
        ),
        "training:sign_in_export": Route(EXPORTERS, obj="session"),
        "training:attendee_remove": Route(STATIONS, obj="attendance", get=405, post={}),
        "training:file": Route(EXPORTERS, obj="session_file"),
    }
)
OBJECTS.update(
    {
        "agency": {None: lambda w: {"pk": matrix_agency(w).pk}},
        "service": {None: lambda w: service_agency(w) and {}},
        "assignment": {t: lambda w, t=t: {"pk": running_assignment(w, t).pk} for t in BOTH},
        "guidance": {t: lambda w, t=t: {"pk": guidance_of(w, t).pk} for t in BOTH},
        "guidance_file": {t: lambda w, t=t: {"pk": guidance_of(w, t).files.get().pk} for t in BOTH},
        "expert": {None: lambda w: {"pk": matrix_expert(w).pk}},
        "benchmark": {t: lambda w, t=t: {"pk": benchmark_of(w, t).pk} for t in BOTH},
        "benchmark_file": {
            t: lambda w, t=t: {
                "pk": benchmark_of(w, t).events.get(stage="pilot_create").files.get().pk
            }
            for t in BOTH
        },
        "session": {t: lambda w, t=t: {"pk": session_of(w, t).pk} for t in BOTH},
        "attendance": {
            t: lambda w, t=t: {"pk": session_of(w, t).attendances.get().pk} for t in BOTH
        },
        "session_file": {t: lambda w, t=t: {"pk": session_of(w, t).files.get().pk} for t in BOTH},
    }
)


# --- supervision (issue 11): inspections, hazards and the risk register are read by region
# roles and by the enterprise user for its own enterprise; classes, plans and figures beyond the
# enterprise's own are for region roles. Stations inspect, review and plan; the enterprise user
# rectifies its hazards and keeps its risk register.
SUP_READERS = EXPORTERS | {"enterprise_user"}
RECTIFIERS = STATIONS | {"enterprise_user"}


def sup_png():
    return SimpleUploadedFile("整改.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def sup_jpeg():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG")
    return SimpleUploadedFile("现场.jpg", out.getvalue())


def hazard_of(w, t):
    def make():
        from anbiao.supervision.services import hazard_register

        return hazard_register(
            actor=None,
            enterprise=w[t],
            level="general",
            description=f"矩阵隐患{t}",
            found_on=date(2025, 11, 3),
            files=[sup_png()],
        )

    return i6_object(w, f"sup-hazard-{t}", make)


def checklist_pk():
    from anbiao.supervision.models import Checklist

    return Checklist.objects.get(code="gm-general", version=1).pk


def inspection_of(w, t):
    """A draft inspection of enterprise `t` with every item checked and one photo."""

    def make():
        from anbiao.supervision.models import Checklist
        from anbiao.supervision.services import (
            inspection_add_photo,
            inspection_save_result,
            inspection_start,
        )

        checklist = Checklist.objects.get(pk=checklist_pk())
        inspection = inspection_start(
            actor=None,
            enterprise=w[t],
            checklist=checklist,
            inspected_on=date(2025, 11, 3),
            inspectors="矩阵",
        )
        for item in checklist.items.all():
            inspection_save_result(actor=None, inspection=inspection, item=item, outcome="pass")
        inspection_add_photo(actor=None, inspection=inspection, upload=sup_jpeg())
        return inspection

    return i6_object(w, f"sup-inspection-{t}", make)


def plan_of(w, t):
    def make():
        from anbiao.supervision.services import plan_generate

        return plan_generate(actor=None, region=w[t].region, year=timezone.localdate().year)

    return i6_object(w, f"sup-plan-{t}", make)


def risk_of(w, t):
    def make():
        from anbiao.supervision.services import risk_point_save

        return risk_point_save(actor=None, enterprise=w[t], data=risk_payload(f"矩阵风险{t}"))

    return i6_object(w, f"sup-risk-{t}", make)


def risk_payload(name="矩阵风险点") -> dict:
    return {"name": name, "colour": "yellow", "controls": "定期检查", "owner": "矩阵"}


def sup_region(p):
    return region(XINDIAN if p == "other_station_officer" else MINAN).pk


ROUTES.update(
    {
        "supervision:home": Route(SUP_READERS),
        "supervision:hazards": Route(SUP_READERS),
        "supervision:hazard_export": Route(EXPORTERS),
        "supervision:hazard_create": Route(
            STATIONS,
            post=lambda w, p, t: {
                "enterprise": own(w, p).pk,
                "level": "general",
                "description": "矩阵登记隐患",
                "found_on": today(),
            },
        ),
        "supervision:hazard": Route(SUP_READERS, obj="hazard"),
        "supervision:hazard_step": Route(
            RECTIFIERS, obj="hazard", get=405, post=lambda w, p, t: {"kind": "start", "on": today()}
        ),
        "supervision:hazard_plan": Route(
            RECTIFIERS, obj="hazard", post={"responsible": "矩阵", "measures": "矩阵措施"}
        ),
        "supervision:hazard_evidence": Route(
            RECTIFIERS, obj="hazard", get=405, post=lambda w, p, t: {"file": sup_png()}
        ),
        "supervision:hazard_file": Route(SUP_READERS, obj="hazard_file"),
        "supervision:inspections": Route(SUP_READERS),
        "supervision:inspection_create": Route(
            STATIONS,
            post=lambda w, p, t: {
                "enterprise": own(w, p).pk,
                "checklist": checklist_pk(),
                "inspected_on": today(),
                "inspectors": "矩阵",
            },
        ),
        "supervision:inspection": Route(SUP_READERS, obj="inspection"),
        "supervision:inspection_item": Route(STATIONS, obj="inspection", get=405),
        "supervision:inspection_photo": Route(STATIONS, obj="inspection", get=405),
        "supervision:inspection_finish": Route(
            STATIONS,
            obj="inspection",
            get=405,
            post={"contact_name": "矩阵", "contact_phone": "13800000000"},
        ),
        "supervision:inspection_print": Route(SUP_READERS, obj="inspection"),
        "supervision:photo": Route(SUP_READERS, obj="photo"),
        "supervision:checklists": Route(SUP_READERS),
        "supervision:checklist": Route(SUP_READERS, obj="checklist"),
        "supervision:checklist_import": Route(STATIONS),
        "supervision:classes": Route(EXPORTERS),
        "supervision:class_export": Route(EXPORTERS),
        "supervision:class_refresh": Route(STATIONS, get=405, post={}),
        "supervision:class": Route(EXPORTERS, obj="enterprise"),
        "supervision:class_override": Route(
            STATIONS,
            obj="enterprise",
            get=405,
            post={"klass": "C", "on": "2025-12-01", "reason": "矩阵"},
        ),
        "supervision:incident_create": Route(
            STATIONS,
            obj="enterprise",
            get=405,
            post={"occurred_on": "2025-12-01", "description": "矩阵事故"},
        ),
        "supervision:plans": Route(EXPORTERS),
        "supervision:plan_create": Route(
            STATIONS,
            get=405,
            post=lambda w, p, t: {"region": sup_region(p), "year": timezone.localdate().year},
        ),
        "supervision:plan": Route(EXPORTERS, obj="plan"),
        "supervision:plan_export": Route(EXPORTERS, obj="plan"),
        "supervision:plan_entry": Route(
            STATIONS, obj="plan_entry", post={"month": 5, "inspector": "矩阵"}
        ),
        "supervision:risks": Route(SUP_READERS),
        "supervision:risk_export": Route(EXPORTERS),
        "supervision:risk_create": Route(
            RECTIFIERS, post=lambda w, p, t: risk_payload() | {"enterprise": own(w, p).pk}
        ),
        "supervision:risk_import": Route(RECTIFIERS),
        "supervision:risk_edit": Route(
            RECTIFIERS,
            obj="risk",
            post=lambda w, p, t: risk_payload("矩阵改名") | {"enterprise": w[t].pk},
        ),
    }
)
OBJECTS.update(
    {
        "hazard": {t: lambda w, t=t: {"pk": hazard_of(w, t).pk} for t in BOTH},
        "hazard_file": {t: lambda w, t=t: {"pk": hazard_of(w, t).files.get().pk} for t in BOTH},
        "inspection": {t: lambda w, t=t: {"pk": inspection_of(w, t).pk} for t in BOTH},
        "photo": {t: lambda w, t=t: {"pk": inspection_of(w, t).photos.get().pk} for t in BOTH},
        "checklist": {None: lambda w: {"pk": checklist_pk()}},
        "plan": {t: lambda w, t=t: {"pk": plan_of(w, t).pk} for t in BOTH},
        "plan_entry": {
            t: lambda w, t=t: {"pk": plan_of(w, t).entries.filter(enterprise=w[t]).first().pk}
            for t in BOTH
        },
        "risk": {t: lambda w, t=t: {"pk": risk_of(w, t).pk} for t in BOTH},
    }
)


def supervision_models():
    from anbiao.supervision import models as m

    return (
        m.Hazard,
        m.HazardEvent,
        m.Inspection,
        m.InspectionResult,
        m.InspectionPhoto,
        m.ClassRecord,
        m.Incident,
        m.InspectionPlan,
        m.PlanEntry,
        m.RiskPoint,
    )


# --- the JSON API's pages (anbiao/api): its docs are public; everyone keeps personal tokens;
# only administrators revoke another account's token or read the usage log. The API's
# operations themselves are walked with tokens in test_api_matrix.py.
def api_token(w):
    """A token of the victim account (another 街道's station officer)."""
    from anbiao.api.services import token_create

    def make():
        later = timezone.localdate() + timedelta(days=30)
        return token_create(actor=None, user=w["victim"], name="矩阵令牌", expires_on=later)[0]

    return i6_object(w, "api-token", make)


ROUTES.update(
    {
        "api:api-root": Route(ALL, public=True),
        "api:docs": Route(ALL, public=True),
        "api:openapi-json": Route(ALL, public=True),
        "tokens:list": Route(ALL),
        "tokens:create": Route(
            ALL,
            post=lambda w, p, t: {"name": "矩阵令牌", "expires_on": later_day(), "read_only": "on"},
            posted=200,  # the new token is shown once, on the answer page
        ),
        "tokens:revoke": Route(ADMIN, obj="api_token", post={}),
        "tokens:uses": Route(ADMIN),
    }
)
OBJECTS["api_token"] = {None: lambda w: {"pk": api_token(w).pk}}


def later_day() -> str:
    return (timezone.localdate() + timedelta(days=30)).isoformat()


# --- notifications and 督办 (issue 12). Everyone has a bell and preferences, and reads only their
# own notifications; the schedule's run log is for administrators. A 督办单 for an enterprise is
# seen like the enterprise (its agency included, read only); only its recipient replies and only
# the issuing station accepts or returns it — anyone else is refused (403).
DISPATCH_READERS = ALL - {"outsider"}
ISSUER = {"minan": "station_officer", "xindian": "other_station_officer"}


def inbox(w) -> dict:
    """An unread notification for every persona, pointing home (made before the snapshot)."""
    if "inbox" not in w:
        from anbiao.notifications.models import Notification

        w["inbox"] = {
            p: Notification.objects.create(user=w[p], rule="dispatch", title="矩阵通知", url="/").pk
            for p in USERS
        }
    return w["inbox"]


def own_notification(w, persona, target) -> dict:
    return {"pk": w["inbox"].get(persona, 0)}


def dispatch_of(w, t, status="issued"):
    """A 督办单 from the station of `t` to enterprise `t`, with a file; ORM only."""
    key = f"dispatch-{t}-{status}"
    if key not in w:
        from django.core.files.base import ContentFile

        from anbiao.dispatches.models import Dispatch, DispatchFile

        officer = w[ISSUER[t]]
        serial = len([k for k in w if k.startswith("dispatch-")]) + 1
        dispatch = Dispatch.objects.create(
            number=f"矩阵督〔2026〕{serial}号",
            number_prefix="矩阵督",
            year=2026,
            serial=serial,
            issuer_region=officer.region,
            issuer_unit="矩阵安监站",
            issued_by=officer,
            issued_on="2026-03-02",
            recipient_kind="enterprise",
            recipient_enterprise=w[t],
            subject=f"矩阵督办{t}",
            content="矩阵",
            deadline="2099-12-31",
            status=status,
            status_since="2026-03-02",
        )
        event = dispatch.events.create(kind="issue", on="2026-03-02", status_after="issued")
        item = DispatchFile(event=event, name="a.pdf", file_type="pdf", size=9, sha256="0")
        item.file.save("matrix.pdf", ContentFile(b"%PDF-1.4 "), save=True)
        w[key] = dispatch
    return w[key]


def dispatch_payload(w, persona, target) -> dict:
    return {
        "recipient_kind": "enterprise",
        "enterprise": own(w, persona).uscc,
        "subject": "矩阵督办",
        "content": "矩阵",
        "deadline": "2099-12-31",
    }


ROUTES.update(
    {
        "notifications:list": Route(ALL),
        "notifications:open": Route(ALL, obj="inbox", get=405, post=own_notification),
        "notifications:read_all": Route(ALL, obj="inbox", get=405, post={}),
        "notifications:preferences": Route(
            ALL, post={"rules": ["certificate_expiring"], "email_digest": "on"}
        ),
        "notifications:runs": Route(ADMIN),
        "dispatches:list": Route(DISPATCH_READERS),
        "dispatches:export": Route(EXPORTERS),
        "dispatches:create": Route(
            frozenset({"district_officer"}) | STATIONS, post=dispatch_payload
        ),
        "dispatches:detail": Route(DISPATCH_READERS, obj="dispatch"),
        "dispatches:print": Route(DISPATCH_READERS, obj="dispatch"),
        "dispatches:file": Route(DISPATCH_READERS, obj="dispatch_file"),
        "dispatches:reply": Route(
            frozenset({"enterprise_user"}), obj="dispatch", get=405, post={"text": "已整改"}
        ),
        "dispatches:accept": Route(STATIONS, obj="dispatch_submitted", get=405, post={}),
        "dispatches:return": Route(
            STATIONS, obj="dispatch_submitted", get=405, post={"text": "材料不全"}
        ),
    }
)
OBJECTS.update(
    {
        "inbox": {None: lambda w: inbox(w) and {}},
        "dispatch": {t: lambda w, t=t: {"pk": dispatch_of(w, t).pk} for t in BOTH},
        "dispatch_submitted": {
            t: lambda w, t=t: {"pk": dispatch_of(w, t, "submitted").pk} for t in BOTH
        },
        "dispatch_file": {
            t: lambda w, t=t: {"pk": dispatch_of(w, t).events.get().files.get().pk} for t in BOTH
        },
    }
)


# --- 信息报送 (anbiao/filings): the shipped minan-2025 plan covers 民安 only, so only 民安's
# station files; the district receives and returns; the district and the administrator read the
# roll-up of every 镇街.
FILING_READERS = frozenset({"district_officer", "admin_user"}) | STATIONS
ROLLUP_READERS = frozenset({"district_officer", "admin_user"})


def filing_of(w, t):
    key = f"filing-{t}"
    if key not in w:
        from anbiao.campaigns.models import Campaign
        from anbiao.filings.services import filing_submit

        w[key] = filing_submit(
            actor=w["station_officer"],
            campaign=Campaign.objects.get(slug="minan-2025"),
            as_of=date(2025, 6, 30),
        )
    return w[key]


ROUTES.update(
    {
        "filings:list": Route(FILING_READERS),
        "filings:create": Route(
            frozenset({"station_officer"}),
            get=405,
            post={"campaign": "minan-2025", "as_of": "2025-06-30"},
        ),
        "filings:detail": Route(FILING_READERS, obj="filing"),
        "filings:file": Route(FILING_READERS, obj="filing_file"),
        "filings:lists": Route(FILING_READERS, obj="filing"),
        "filings:receive": Route(DISTRICT, obj="filing", get=405, post={}),
        "filings:return": Route(DISTRICT, obj="filing", get=405, post={"comment": "矩阵退回"}),
        "filings:rollup": Route(ROLLUP_READERS),
        "filings:rollup_export": Route(ROLLUP_READERS),
    }
)
OBJECTS.update(
    {
        "filing": {"minan": lambda w: {"pk": filing_of(w, "minan").pk}},
        "filing_file": {
            "minan": lambda w: {
                "pk": filing_of(w, "minan").pk,
                "file_pk": filing_of(w, "minan").files.get().pk,
            }
        },
    }
)


def filing_models():
    from anbiao.filings.models import Filing, FilingFile

    return (Filing, FilingFile)


def notification_models():
    from anbiao.dispatches.models import Dispatch, DispatchEvent
    from anbiao.notifications.models import Notification, NotificationPreference

    return (Dispatch, DispatchEvent, Notification, NotificationPreference)


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (
            Enterprise,
            EnterpriseFact,
            ChangeLog,
            User,
            AgencyAssignment,
            ImportJob,
            SurveyRound,
            SurveyFinding,
            *campaign_models(),
            *notification_models(),
            *filing_models(),
            *supervision_models(),
            *api_models(),
        )
    }


def api_models():
    from anbiao.api.models import ApiToken

    return (ApiToken,)


def campaign_models():
    from anbiao.campaigns.models import Campaign, Target, Task, TaskUpdate

    return (Campaign, Target, Task, TaskUpdate)


def test_every_url_pattern_is_classified_in_the_matrix(world):
    found = dict(url_patterns())
    unclassified = sorted(set(found) - set(ROUTES))
    assert not unclassified, f"classify these URLs in ROUTES: {unclassified}"
    assert not set(ROUTES) - set(found), "ROUTES names URLs that no longer exist"
    for name, pattern in found.items():
        for target, fill in OBJECTS[ROUTES[name].obj].items():
            kwargs = fill(world)
            assert set(kwargs) == set(pattern.pattern.converters), (name, target, kwargs)
            reverse(name, kwargs=kwargs)


@pytest.mark.parametrize(("name", "persona", "target"), cases())
def test_each_persona_reads_each_url_only_within_scope(client, world, name, persona, target):
    assert name in ROUTES, f"{name} is not classified in ROUTES"
    route = ROUTES[name]
    response = as_persona(client, world, persona).get(url_of(name, world, target))
    assert_outcome(response, expected(route, persona, target), route.get)
    assert_no_leak(text_of(response), world, persona)


@pytest.mark.parametrize(("name", "persona", "target"), cases(write=True))
def test_each_persona_changes_data_only_within_scope(client, world, name, persona, target):
    assert name in ROUTES, f"{name} is not classified in ROUTES"
    route = ROUTES[name]
    client = as_persona(client, world, persona)
    url = url_of(name, world, target)  # creates the target object before the snapshot
    # The payload too may write what it needs (a case to decide on): before the snapshot, so the
    # snapshot holds what follows from it (an enterprise's current case state).
    payload = route.post(world, persona, target) if callable(route.post) else route.post
    before = snapshot()
    response = client.post(url, payload)
    want = expected(route, persona, target)
    assert_outcome(response, want, route.posted)
    assert_no_leak(text_of(response), world, persona)
    if want != "ok":
        assert snapshot() == before, "a refused write changed the database"
    elif name != "accounts:logout":
        if route.posted == 302:
            assert response["Location"] != response.wsgi_request.path  # not a re-rendered form
        assert snapshot() != before, "an accepted write changed nothing"


def searches(w):
    """(params, enterprises they match; None = no lower bound, only the scope cap)."""
    mi, xd = w["minan"], w["xindian"]
    return [
        ({}, BOTH),
        ({"q": xd.name}, {"xindian"}),
        ({"q": "新店食品"}, {"xindian"}),
        ({"q": xd.uscc}, {"xindian"}),
        ({"q": xd.uscc.lower()}, {"xindian"}),
        ({"q": xd.uscc[-8:]}, {"xindian"}),
        ({"q": "xmxdsp"}, {"xindian"}),  # pinyin initials of 厦门新店食品
        ({"q": "xindianshipin"}, {"xindian"}),
        ({"q": mi.name}, {"minan"}),
        ({"q": mi.uscc}, {"minan"}),
        ({"q": "xmhxjx"}, {"minan"}),
        ({"q": "有限公司"}, BOTH),
        ({"region": xd.region_id}, None),  # another 街道's region is not a valid choice
        ({"region": region(XINDIAN[:6]).pk}, None),
        ({"ordering": "-uscc", "page": "1"}, BOTH),
    ]


def rows_of_export(response) -> tuple[set, set]:
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r and r[1]]
    return {r[1] for r in rows}, {r[2] for r in rows}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("view", ["page", "htmx", "export"])
def test_list_search_and_export_contain_exactly_the_enterprises_in_scope(
    client, world, persona, view
):
    """station_officer never sees 新店's enterprise — by name, USCC or pinyin — and vice versa."""
    client = as_persona(client, world, persona)
    url_name = "enterprises:export" if view == "export" else "enterprises:list"
    url = reverse(url_name)
    headers = {"HX-Request": "true"} if view == "htmx" else {}
    names = {world[k].name: k for k in BOTH}
    for params, matches in searches(world):
        response = client.get(url, params, headers=headers)
        want = expected(ROUTES[url_name], persona, None)
        if want != "ok":
            assert_outcome(response, want)
            assert_no_leak(text_of(response), world, persona)
            continue
        assert response.status_code == 200, (params, response.status_code)
        if view == "export":
            row_names, row_usccs = rows_of_export(response)
            shown = {names[n] for n in row_names}
            assert row_usccs == {world[k].uscc for k in shown}
        else:
            shown = {names[e.name] for e in response.context["page"].object_list}
            assert_no_leak(response.content.decode(), world, persona, [params.get("q", "")])
        assert shown <= SCOPE[persona], (params, shown)
        if matches is not None:
            assert shown == SCOPE[persona] & matches, (params, shown)


@pytest.mark.parametrize("persona", USERS)
def test_dashboard_counts_only_the_enterprises_in_scope(client, world, persona):
    response = as_persona(client, world, persona).get(reverse("home"))
    if "board" in response.context:  # the campaign dashboard: minan-2025 covers 民安 only
        assert response.context["board"].values["scope_total"] == len(SCOPE[persona] & {"minan"})
    else:
        assert response.context["summary"]["total"] == len(SCOPE[persona])
    assert_no_leak(response.content.decode(), world, persona)


def test_history_is_shown_in_scope_and_hidden_from_another_subdistrict(client, world):
    minan = world["minan"]
    as_persona(client, world, "station_officer").post(
        reverse("enterprises:edit", kwargs={"pk": minan.pk}),
        enterprise_form(world, "station_officer", "minan") | {"address": "民安历史路9号"},
    )
    assert ChangeLog.objects.filter(enterprise=minan).count() == 2
    minan_url = reverse("enterprises:detail", kwargs={"pk": minan.pk})
    for persona in ("district_officer", "station_officer", "enterprise_user", "agency_user"):
        page = as_persona(client, world, persona).get(minan_url)
        assert page.status_code == 200 and "民安历史路9号" in page.content.decode()
        assert len(page.context["history"]) == 2
    for persona in ("other_station_officer", "outsider"):
        page = as_persona(client, world, persona).get(minan_url)
        assert page.status_code == 404
        text = page.content.decode()
        assert "民安历史路9号" not in text and minan.name not in text and minan.uscc not in text


def test_station_officer_cannot_move_or_register_an_enterprise_into_another_subdistrict(
    client, world
):
    client = as_persona(client, world, "station_officer")
    before = snapshot()
    moved = enterprise_form(world, "station_officer", "minan") | {"region": region(XINDIAN).pk}
    response = client.post(reverse("enterprises:edit", kwargs={"pk": world["minan"].pk}), moved)
    assert response.status_code == 200  # form error, not saved
    created = new_enterprise(world, "other_station_officer", None)  # region 新店
    assert client.post(reverse("enterprises:create"), created).status_code == 200
    clash = new_enterprise(world, "station_officer", None) | {"uscc": world["xindian"].uscc}
    response = client.post(reverse("enterprises:create"), clash)
    assert response.status_code == 200
    assert_no_leak(response.content.decode(), world, "station_officer", [world["xindian"].uscc])
    assert snapshot() == before


def test_enterprise_user_edits_only_profile_fields_of_their_own_enterprise(client, world):
    minan = world["minan"]
    name, region_id = minan.name, minan.region_id
    payload = enterprise_form(world, "enterprise_user", "minan") | {
        "name": "厦门冒名顶替有限公司",
        "region": region(XINDIAN).pk,
        "size": "large",
        "eligible": "False",
    }
    response = as_persona(client, world, "enterprise_user").post(
        reverse("enterprises:edit", kwargs={"pk": minan.pk}), payload
    )
    assert response.status_code == 302
    minan.refresh_from_db()
    unchanged = (minan.name, minan.region_id, minan.size, minan.eligible)
    assert unchanged == (name, region_id, "small", True)
    assert (minan.address, minan.employees) == ("翔安区矩阵路1号", 41)


def agency_sees(client, world, key) -> bool:
    client = as_persona(client, world, "agency_user")
    detail = client.get(reverse("enterprises:detail", kwargs={"pk": world[key].pk}))
    listed = {e.pk for e in client.get(reverse("enterprises:list")).context["page"].object_list}
    assert (detail.status_code == 200) == (world[key].pk in listed)
    return world[key].pk in listed


def test_a_closed_agency_assignment_ends_the_agencys_scope(client, world):
    yesterday = timezone.localdate() - timedelta(days=1)
    AgencyAssignment.objects.filter(agency=world["agency_user"].agency).update(end_on=yesterday)
    assert not agency_sees(client, world, "minan")


def test_an_agency_assignment_not_yet_started_grants_no_scope(client, world):
    later = timezone.localdate() + timedelta(days=30)
    AgencyAssignment.objects.create(
        agency=world["agency_user"].agency, enterprise=world["xindian"], start_on=later
    )
    assert not agency_sees(client, world, "xindian")


def test_an_industry_department_sees_only_the_industries_assigned_to_it(client, world):
    """行业部门: the industries the 分工表 (附件2) gives its department, within its region."""
    from anbiao.enterprises.choices import Industry
    from anbiao.testing.factories import make_enterprise

    trade = make_enterprise(MINAN, name="厦门民安商贸有限公司", industry=Industry.TRADE)
    xindian_machinery = world["xindian"]
    industrial = UserFactory(
        username="jingfa",
        role=Role.DEPARTMENT,
        region=region(MINAN),
        department="民安街道经济发展办",
    )
    commerce = UserFactory(
        username="shangmao",
        role=Role.DEPARTMENT,
        region=region(MINAN),
        department="民安街道商贸服务办",
    )
    unassigned = UserFactory(
        username="qita", role=Role.DEPARTMENT, region=region(MINAN), department="民安街道党建办"
    )
    seen = {}
    for user in (industrial, commerce, unassigned):
        client.force_login(user)
        listed = client.get(reverse("enterprises:list")).context["page"].object_list
        seen[user.username] = {e.pk for e in listed}
        for e in (world["minan"], trade, xindian_machinery):
            page = client.get(reverse("enterprises:detail", kwargs={"pk": e.pk}))
            assert (page.status_code == 200) == (e.pk in seen[user.username])
    assert seen["jingfa"] == {world["minan"].pk}
    assert seen["shangmao"] == {trade.pk}
    assert seen["qita"] == set()
