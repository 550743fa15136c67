from decimal import Decimal as D

import pytest

from anbiao.cases.conf import GradeRule
from anbiao.cases.scoring import Line, compute, grade_for

RULES = (
    GradeRule("level1", "一级", D(90)),
    GradeRule("level2", "二级", D(80)),
    GradeRule("level3", "三级", D(70)),
    GradeRule("micro", "小微达标", D(60)),
)


def test_not_applicable_items_leave_the_denominator():
    result = compute([Line(D(10), D(2)), Line(D(10), not_applicable=True), Line(D(5))])
    assert (result.total, result.not_applicable, result.applicable) == (D(25), D(10), D(15))
    assert result.earned == D(13)
    assert result.score == D("86.7")  # 13 / 15 = 86.666… → one decimal, half up


def test_an_item_never_earns_less_than_zero():
    result = compute([Line(D(4), D(9)), Line(D(6))])
    assert result.earned == D(6)
    assert result.score == D("60.0")


def test_a_negative_deduction_adds_nothing():
    assert compute([Line(D(4), D(-3)), Line(D(6), D(6))]).score == D("40.0")


def test_a_failed_veto_item_fails_the_grade_whatever_the_score():
    result = compute([Line(D(50)), Line(D(50), veto_failed=True)])
    assert result.score == D("100.0") and result.veto_failed
    assert grade_for(result.score, result.veto_failed, RULES) is None


def test_a_veto_item_marked_not_applicable_does_not_fail():
    result = compute([Line(D(50)), Line(D(50), not_applicable=True, veto_failed=True)])
    assert not result.veto_failed


def test_all_items_not_applicable_gives_no_score():
    assert compute([Line(D(5), not_applicable=True)]).score is None
    assert grade_for(None, False, RULES) is None


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("59.9", None),
        ("60.0", "micro"),
        ("69.9", "micro"),
        ("70.0", "level3"),
        ("79.95", "level2"),  # rounds to 80.0 first
        ("89.9", "level2"),
        ("90.0", "level1"),
        ("100", "level1"),
    ],
)
def test_grade_boundaries(score, grade):
    rule = grade_for(D(score), False, RULES)
    assert (rule.code if rule else None) == grade


def test_59_95_percent_rounds_up_to_the_pass_line():
    # 1199 of 2000 points = 59.95 % → 60.0 → 小微达标
    result = compute([Line(D(2000), D(801))])
    assert result.score == D("60.0")
    assert grade_for(result.score, False, RULES).code == "micro"
    result = compute([Line(D(1000), D("401"))])  # 59.9
    assert result.score == D("59.9") and grade_for(result.score, False, RULES) is None


def test_the_default_grade_rules_are_the_documented_ones(settings):
    from anbiao.cases import conf

    rules = [(r.name, r.min_score) for r in conf.grade_rules()]
    assert rules == [("一级", 90), ("二级", 80), ("三级", 70), ("小微达标", 60)]


def test_grade_rules_come_from_the_configured_file(settings, tmp_path):

    path = tmp_path / "rules.yaml"
    path.write_text("grade_rules:\n  - {code: pass, name: 达标, min_score: 75}\n", "utf-8")
    settings.ANBIAO_GRADE_RULES_FILE = str(path)
    assert grade_for(D("74.9"), False) is None
    assert grade_for(D("75.0"), False).name == "达标"


def test_an_unanswered_item_withholds_the_score_instead_of_counting_full_marks():
    lines = [Line(points=D(10)), Line(points=D(10), answered=False)]
    result = compute(lines)
    assert result.score is None and result.unanswered == 1
    assert result.earned == D(10)
    assert grade_for(result.score, result.veto_failed) is None
    answered = compute([Line(points=D(10)), Line(points=D(10), deducted=D(2))])
    assert answered.score == D("90.0") and answered.unanswered == 0
