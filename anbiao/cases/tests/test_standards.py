from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command

from anbiao.cases import standards
from anbiao.cases.models import Standard, StandardItem
from anbiao.core.reference_data import REFERENCE_DIR

pytestmark = pytest.mark.django_db
SHIPPED = REFERENCE_DIR / "standards" / "gm-xiaowei.yaml"
EIGHT = [
    "目标职责",
    "制度化管理",
    "教育培训",
    "现场管理",
    "安全风险管控及隐患排查治理",
    "应急管理",
    "事故管理",
    "持续改进",
]


def small(version=1, points=2, code="t-std"):
    return {
        "code": code,
        "version": version,
        "name": "测试标准",
        "elements": [
            {
                "code": "1",
                "name": "目标职责",
                "children": [
                    {
                        "code": "1.1",
                        "name": "目标",
                        "items": [
                            {"code": "1.1.1", "text": "有目标", "points": points},
                            {"code": "1.1.2", "text": "有考核", "points": 3, "veto": True},
                        ],
                    }
                ],
            }
        ],
    }


def test_the_shipped_standard_follows_the_eight_elements_of_gb_t_33000(reference):
    standard = standards.current("gm-xiaowei")
    tops = standard.elements.filter(parent=None).order_by("sort_order")
    assert [e.name for e in tops] == EIGHT
    count = standard.items.count()
    assert 50 <= count <= 80
    assert standard.total_points == sum(i.points for i in standard.items.all())
    assert standard.items.filter(veto=True).exists()
    assert standard.items.filter(na_allowed=True).exists()


def test_loading_is_idempotent(reference):
    before = StandardItem.objects.count()
    result = standards.load_standard(SHIPPED)
    assert result.outcome == "unchanged"
    assert StandardItem.objects.count() == before


def test_a_changed_standard_not_in_use_is_updated(reference):
    assert standards.load_data(small()).outcome == "created"
    result = standards.load_data(small(points=4))
    assert result.outcome == "updated"
    assert result.standard.total_points == Decimal(7)


def test_a_standard_in_use_cannot_change_only_be_superseded(reference, minan_enterprise, settings):
    from anbiao.cases import services

    standards.load_data(small())
    settings.ANBIAO_DEFAULT_STANDARD = "t-std"
    services.assessment_start(actor=None, enterprise=minan_enterprise, kind="self")
    with pytest.raises(standards.StandardError, match="不能修改"):
        standards.load_data(small(points=5))
    assert Standard.objects.get(code="t-std", version=1).total_points == Decimal(5)
    standards.load_data(small(version=2, points=5))
    assert standards.current("t-std").version == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d["elements"][0]["children"][0]["items"][0].update(points=-1), "正数"),
        (lambda d: d["elements"][0]["children"][0]["items"][1].update(code="1.1.1"), "重复"),
        (lambda d: d["elements"][0]["children"][0]["items"][0].update(text=""), "text"),
    ],
)
def test_a_bad_file_is_refused_with_the_place_named(reference, change, message):
    data = small()
    change(data)
    with pytest.raises(standards.StandardError, match=message):
        standards.load_data(data, "bad.yaml")
    assert not Standard.objects.filter(code="t-std").exists()


def test_the_command_loads_a_file(reference, tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small(), allow_unicode=True), "utf-8")
    call_command("load_standard", str(path))
    assert "新增" in capsys.readouterr().out
    assert standards.current("t-std").items.count() == 2


def test_demo_deduction_reasons_match_their_items(reference):
    import random

    from anbiao.cases import standards
    from anbiao.cases.demo import reason_for

    items = {i.code: i for i in standards.current("gm-xiaowei").items.all()}
    rng = random.Random(1)
    assert reason_for(items["1.1.1"], rng) in ("现场核查:未制定目标", "现场核查:未分解")
    for item in items.values():
        reason = reason_for(item, rng)
        clause = reason.removeprefix("现场核查:")
        in_method = clause in item.method
        assert clause and (in_method or clause.removesuffix("不到位") in item.text), reason
