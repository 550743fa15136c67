"""Inspections: photos compressed with their EXIF time kept, retried uploads stored once, the
finish rules, 不符合 items becoming hazards, and writes refused outside the officer's scope."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from anbiao.supervision import services
from anbiao.supervision.models import Checklist, Hazard, InspectionResult

ON = date(2026, 3, 10)


def photo(taken="2026:03:10 09:41:27", size=(3000, 2000)) -> SimpleUploadedFile:
    image = Image.new("RGB", size, "orange")
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return SimpleUploadedFile("IMG_0001.jpg", out.getvalue())


@pytest.fixture
def inspection(minan_enterprise, station_officer):
    checklist = Checklist.objects.get(code="dust-explosion", version=1)
    return services.inspection_start(
        actor=station_officer,
        enterprise=minan_enterprise,
        checklist=checklist,
        inspected_on=ON,
        inspectors="林工、陈工",
    )


def fill(inspection, officer, fails=()):
    for item in inspection.checklist.items.all():
        outcome = "fail" if item.code in fails else "pass"
        services.inspection_save_result(
            actor=officer,
            inspection=inspection,
            item=item,
            outcome=outcome,
            note=f"{item.code}问题" if outcome == "fail" else "",
            location="打磨车间",
        )


def test_a_photo_is_compressed_keeps_its_exif_time_and_a_retry_is_stored_once(
    inspection, station_officer
):
    upload = photo()
    original = upload.size
    stored = services.inspection_add_photo(
        actor=station_officer, inspection=inspection, upload=upload, client_key="k1"
    )
    assert stored.size < original
    with Image.open(stored.file.open("rb")) as image:
        assert max(image.size) == 1600
    taken = timezone.localtime(stored.taken_at)
    assert (taken.date(), taken.hour, taken.minute, taken.second) == (date(2026, 3, 10), 9, 41, 27)
    again = services.inspection_add_photo(
        actor=station_officer, inspection=inspection, upload=photo(), client_key="k1"
    )
    assert again.pk == stored.pk and inspection.photos.count() == 1


def test_a_file_that_is_not_a_photo_is_refused_in_chinese(inspection, station_officer):
    pdf = SimpleUploadedFile("照片.jpg", b"%PDF-1.4 not a photo")
    with pytest.raises(ValidationError) as exc:
        services.inspection_add_photo(actor=station_officer, inspection=inspection, upload=pdf)
    assert "不是照片" in str(exc.value)


def test_finishing_needs_every_item_and_the_contact_and_turns_failures_into_hazards(
    inspection, station_officer
):
    with pytest.raises(ValidationError) as exc:
        services.inspection_finish(
            actor=station_officer,
            inspection=inspection,
            contact_name="王",
            contact_phone="13800000000",
        )
    assert "还有 8 项未检查" in str(exc.value)
    fill(inspection, station_officer, fails=("D1.1", "D2.2"))
    with pytest.raises(ValidationError) as exc:
        services.inspection_finish(
            actor=station_officer, inspection=inspection, contact_name="王", contact_phone="12"
        )
    assert "联系电话" in str(exc.value)
    hazards = services.inspection_finish(
        actor=station_officer,
        inspection=inspection,
        contact_name="王建国",
        contact_phone="13800000000",
    )
    levels = sorted((h.result.item.code, h.level, h.legal_basis != "") for h in hazards)
    assert levels == [("D1.1", "general", True), ("D2.2", "major", True)]  # D2.2 is a major item
    assert all(h.found_on == ON and h.location == "打磨车间" for h in hazards)
    with pytest.raises(ValidationError):  # finished: no more changes
        fill(inspection, station_officer)


def test_an_officer_of_another_subdistrict_cannot_write_to_the_inspection(
    inspection, other_station_officer, client
):
    item = inspection.checklist.items.first()
    with pytest.raises(PermissionDenied):
        services.inspection_save_result(
            actor=other_station_officer, inspection=inspection, item=item, outcome="pass"
        )
    client.force_login(other_station_officer)
    response = client.post(
        f"/supervision/inspections/{inspection.pk}/item/",
        {"item": item.pk, "outcome": "fail", "note": "x"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 404
    assert not InspectionResult.objects.exists() and not Hazard.objects.exists()


def test_the_item_endpoint_answers_json_with_the_saved_time(inspection, station_officer, client):
    client.force_login(station_officer)
    item = inspection.checklist.items.first()
    url = f"/supervision/inspections/{inspection.pk}/item/"
    response = client.post(
        url, {"item": item.pk, "outcome": "pass"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["ok"]
    bad = client.post(url, {"item": item.pk, "outcome": "maybe"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "符合" in bad.json()["error"]
    assert InspectionResult.objects.get().outcome == "pass"


def test_the_printed_record_fits_the_official_layout(inspection, station_officer, client):
    fill(inspection, station_officer, fails=("D1.1",))
    services.inspection_finish(
        actor=station_officer,
        inspection=inspection,
        contact_name="王建国",
        contact_phone="13800000000",
    )
    client.force_login(station_officer)
    text = client.get(f"/supervision/inspections/{inspection.pk}/print/").content.decode()
    assert "安全生产监督检查记录" in text and "王建国" in text and "共发现隐患 1 项" in text
