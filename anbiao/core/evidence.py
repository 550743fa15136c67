"""Evidence files: the type is read from the content (magic bytes), never from the name or the
browser's claim; the size is limited; files are stored through Django's default storage under a
random name and served only by the scoped download view."""

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from config.env import env_int

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # DOC, XLS, WPS, ET (Compound File)


@dataclass(frozen=True)
class FileType:
    code: str
    label: str
    extension: str
    content_type: str


PDF = FileType("pdf", "PDF", "pdf", "application/pdf")
PNG = FileType("png", "PNG图片", "png", "image/png")
JPEG = FileType("jpeg", "JPEG图片", "jpg", "image/jpeg")
OFFICE = FileType("ole", "Word/Excel/WPS(旧版)", "doc", "application/octet-stream")
DOCX = FileType(
    "docx",
    "Word文档",
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
XLSX = FileType(
    "xlsx", "Excel表格", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
ZIP_OFFICE = FileType("ooxml", "办公文档", "zip", "application/octet-stream")
TYPES = {t.code: t for t in (PDF, PNG, JPEG, OFFICE, DOCX, XLSX, ZIP_OFFICE)}
ACCEPTED = "PDF、PNG/JPEG图片、Word/Excel/WPS文档"


def sniff(head: bytes, data: bytes | None = None) -> FileType | None:
    """The accepted type of a file from its first bytes (and, for zip files, its contents)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(OLE):
        return OFFICE
    if head.startswith(b"PK\x03\x04") and data is not None:
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
        if "[Content_Types].xml" in names or "mimetype" in names:  # other OOXML / WPS / ODF
            return ZIP_OFFICE
    return None


@dataclass(frozen=True)
class CheckedFile:
    name: str
    file_type: FileType
    data: bytes
    sha256: str

    @property
    def storage_name(self) -> str:
        return f"{uuid.uuid4().hex}.{self.file_type.extension}"


def evidence_max_bytes() -> int:
    """The largest evidence file accepted: the ANBIAO_EVIDENCE_MAX_MB setting (read when needed, so
    tests can override it), else the environment variable, else 20 MB (docs/configuration.md)."""
    value = getattr(settings, "ANBIAO_EVIDENCE_MAX_MB", None)
    megabytes = env_int("ANBIAO_EVIDENCE_MAX_MB", 20) if value is None else value
    return int(megabytes) * 1024 * 1024


def check_upload(upload) -> CheckedFile:
    """Read and check an uploaded file; ValidationError({"file": ...}) in Chinese if refused."""
    limit = evidence_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {"file": f"文件“{upload.name}”超过大小上限 {limit // (1024 * 1024)} MB"}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            {"file": f"文件“{upload.name}”超过大小上限 {limit // (1024 * 1024)} MB"}
        )
    if not data:
        raise ValidationError({"file": f"文件“{upload.name}”是空文件"})
    file_type = sniff(data[:16], data)
    if file_type is None:
        raise ValidationError({"file": f"文件“{upload.name}”的内容不是允许的类型(仅限{ACCEPTED})"})
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-150:]
    return CheckedFile(name, file_type, data, hashlib.sha256(data).hexdigest())
