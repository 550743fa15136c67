import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from anbiao.core.evidence import OLE, check_upload, sniff


def docx_bytes(folder="word"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(f"{folder}/document.xml", "<doc/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0....", "jpeg"),
        (OLE + b"....", "ole"),
        (docx_bytes("word"), "docx"),
        (docx_bytes("xl"), "xlsx"),
    ],
    ids=["pdf", "png", "jpeg", "ole", "docx", "xlsx"],  # the zips carry the time they were built
)
def test_the_type_is_read_from_the_content(data, code):
    assert sniff(data[:16], data).code == code


def test_a_renamed_script_is_refused():
    upload = SimpleUploadedFile("报告.pdf", b"#!/bin/sh\nrm -rf /\n", "application/pdf")
    with pytest.raises(ValidationError, match="不是允许的类型"):
        check_upload(upload)


def test_a_zip_that_is_not_an_office_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("evil.exe", "MZ")
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("a.docx", buffer.getvalue()))


def test_the_size_limit_is_configuration(settings):
    settings.ANBIAO_EVIDENCE_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError, match="超过大小上限 1 MB"):
        check_upload(big)
    assert check_upload(SimpleUploadedFile("ok.pdf", b"%PDF-1.4 small")).file_type.code == "pdf"
