"""A station's progress sheet is read by what its headers mean, not by how they are spelt (as the
ledger is): full-width brackets, units, hints and other wordings find their columns, and a
column nobody asked for is named as ignored, never dropped silently."""

from datetime import date

import pytest

from anbiao.cases.importers import import_progress
from anbiao.cases.models import CaseEvent

pytestmark = pytest.mark.django_db


def test_headers_spelt_the_stations_way_are_read_and_an_extra_column_is_reported(
    station_officer, minan_enterprise, tmp_path
):
    path = tmp_path / "进度.csv"
    path.write_text(
        "统一社会信用代码（18位）,创建环节,办理日期（年月日）,自评得分（分）,备注/原因,经办人\n"
        f"{minan_enterprise.uscc},启动创建,2025-03-03,,,林小明\n"
        f"{minan_enterprise.uscc},完成自评,2025-05-20,72.5,,林小明\n",
        encoding="utf-8",
    )
    preview = import_progress(path, user=station_officer, dry_run=True)
    assert (preview.invalid, preview.total, preview.created) == (0, 2, 2)
    assert preview.ignored_columns == ["经办人"]
    assert not CaseEvent.objects.exists()  # a preview writes nothing

    done = import_progress(path, user=station_officer)
    assert done.written
    events = list(CaseEvent.objects.order_by("on").values_list("on", "score"))
    assert events[0][0] == date(2025, 3, 3)
    assert float(events[1][1]) == 72.5
