from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anbiao.enterprises.ledger import eligible
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import attend, make_enterprise, make_session
from anbiao.training.selectors import (
    annotate_coverage,
    coverage_summary,
    role_counts,
    trained_enterprise_ids,
)

pytestmark = pytest.mark.django_db
START, END = date(2025, 3, 1), date(2025, 12, 31)


@pytest.fixture
def ledger(reference):
    """Five 应创企业 and one that is not (不符合创建条件), trained in various ways."""
    names = ["都参训", "仅负责人", "仅安全员", "仅其他人", "未参训"]
    firms = {n: make_enterprise(name=n) for n in names}
    firms["不符合"] = make_enterprise(name="不符合", eligible=False, eligibility_reason="仓库")
    may, june = make_session(held_on=date(2025, 5, 10)), make_session(held_on=date(2025, 6, 20))
    attend(may, firms["都参训"], "principal", name="甲")
    attend(june, firms["都参训"], "safety_manager", name="乙")
    attend(may, firms["仅负责人"], "principal", name="丙")
    attend(june, firms["仅安全员"], "safety_manager", name="丁")
    attend(june, firms["仅其他人"], "expert", name="戊")
    attend(may, firms["不符合"], "principal", name="己")
    attend(may, firms["不符合"], "safety_manager", name="庚")
    return firms


def ids(firms, *names):
    return {firms[n].pk for n in names}


def test_principal_and_safety_manager_both_trained_means_covered(ledger):
    assert trained_enterprise_ids(Enterprise.objects.all(), START, END) == ids(
        ledger, "都参训", "不符合"
    )
    assert trained_enterprise_ids(eligible(Enterprise.objects.all(), END), START, END) == ids(
        ledger, "都参训"
    )


def test_only_sessions_within_the_period_count(ledger):
    assert trained_enterprise_ids(Enterprise.objects.all(), date(2025, 6, 1), END) == set()
    assert trained_enterprise_ids(Enterprise.objects.all(), START, date(2025, 6, 20)) == ids(
        ledger, "都参训", "不符合"
    )
    # Both ends are included: a session held on `end` counts.
    assert ledger["都参训"].pk not in trained_enterprise_ids(
        Enterprise.objects.all(), START, date(2025, 6, 19)
    )


def test_trained_ids_take_one_query_whatever_the_ledger(ledger):
    with CaptureQueriesContext(connection) as few:
        trained_enterprise_ids(Enterprise.objects.all(), START, END)
    for _ in range(5):
        firm = make_enterprise()
        session = make_session()
        attend(session, firm, "principal")
        attend(session, firm, "safety_manager", name="安全员")
    with CaptureQueriesContext(connection) as many:
        result = trained_enterprise_ids(Enterprise.objects.all(), START, END)
    assert len(result) == 7
    assert len(few.captured_queries) == len(many.captured_queries) == 1


def test_coverage_summary_of_the_ledger(ledger):
    annotated = annotate_coverage(eligible(Enterprise.objects.all(), END), START, END)
    summary = coverage_summary(annotated)
    assert {
        k: summary[k] for k in ("total", "covered", "principal", "manager", "other", "never")
    } == {"total": 5, "covered": 1, "principal": 1, "manager": 1, "other": 1, "never": 1}
    assert summary["rate"] == 20.0
    rows = {e.name: (e.principal_on, e.manager_on, e.reached) for e in annotated}
    assert rows["都参训"] == (date(2025, 5, 10), date(2025, 6, 20), True)
    assert rows["未参训"] == (None, None, False)


def test_an_empty_ledger_has_no_rate(reference):
    summary = coverage_summary(annotate_coverage(Enterprise.objects.none(), START, END))
    assert summary["total"] == 0 and summary["rate"] is None


def test_role_counts(ledger):
    from anbiao.training.models import Session

    counts = {role: (n, people) for role, _, n, people in role_counts(Session.objects.all())}
    assert counts["principal"] == (3, 3)
    assert counts["safety_manager"] == (3, 3)
    assert counts["expert"] == (1, 1)
    assert counts["leader"] == (0, 0)
