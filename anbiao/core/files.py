"""Serving stored files: always as an attachment, with the type checked at upload, and a Chinese
404 (not a 500) when the file is gone from the media folder (e.g. a database restored without
its files)."""

from django.http import FileResponse, Http404

MISSING = (
    "文件已丢失:数据库中有此文件的记录,但存储目录中找不到该文件。请联系系统管理员从备份中恢复。"
)


def open_stored(field_file):
    """The open file behind a FileField value, or Http404 with a Chinese message."""
    try:
        return field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:  # ValueError: the field has no file
        raise Http404(MISSING) from exc


def stored_file_response(item) -> FileResponse:
    """Download response for a StoredFile: attachment, original name, content-checked type."""
    from anbiao.core.evidence import TYPES

    file_type = TYPES.get(item.file_type)
    return FileResponse(
        open_stored(item.file),
        as_attachment=True,
        filename=item.name,
        content_type=file_type.content_type if file_type else "application/octet-stream",
    )
