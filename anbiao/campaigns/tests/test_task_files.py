"""Task progress files go through the one file store: type read from the content, a
server-chosen storage name, served as an attachment with the checked type; a lost file is a
Chinese 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from anbiao.campaigns.models import Task, TaskFile

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def report(client, task, name, content):
    return client.post(
        reverse("campaigns:task_update", kwargs={"slug": "minan-2025", "pk": task.pk}),
        {
            "status": "in_progress",
            "on": timezone.localdate().isoformat(),
            "note": "推进中",
            "file": SimpleUploadedFile(name, content, content_type="text/html"),
        },
    )


def test_a_pdf_named_html_is_stored_as_pdf_and_served_as_pdf(login, station_officer):
    client = login(station_officer)
    task = Task.objects.get(campaign__slug="minan-2025", code="T02")
    assert report(client, task, "进展.html", PDF).status_code == 302
    stored = TaskFile.objects.get()
    assert stored.file.name.endswith(".pdf") and "进展" not in stored.file.name
    assert (stored.name, stored.file_type, stored.size) == ("进展.html", "pdf", len(PDF))
    url = reverse(
        "campaigns:task_file",
        kwargs={"slug": "minan-2025", "pk": task.pk, "update_pk": stored.update_id},
    )
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF

    stored.file.storage.delete(stored.file.name)  # e.g. a database restored without its files
    missing = client.get(url)
    assert missing.status_code == 404
    assert "文件已丢失" in missing.content.decode()


def test_html_content_is_refused_whatever_its_name(login, station_officer):
    client = login(station_officer)
    task = Task.objects.get(campaign__slug="minan-2025", code="T02")
    response = report(client, task, "进展.pdf", b"<html><script>alert(1)</script></html>")
    assert response.status_code == 200
    assert "不是允许的类型" in response.content.decode()
    assert not TaskFile.objects.exists() and not task.updates.exists()
