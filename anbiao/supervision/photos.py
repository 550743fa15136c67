"""Inspection photos: checked by content, then re-encoded on the server with Pillow — turned
upright, at most 1600 px on the long side, JPEG — so a phone's 5 MB picture costs a few hundred
kB. The time the photo was taken (EXIF DateTimeOriginal) is kept as `taken_at`; the rest of the
EXIF block (GPS position, device) is dropped with the re-encoding."""

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from anbiao.core.evidence import JPEG, PNG, CheckedFile, check_upload

MAX_SIDE = 1600
QUALITY = 80
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
DATETIME = 0x0132


@dataclass(frozen=True)
class Photo:
    checked: CheckedFile
    taken_at: datetime | None


def _taken_at(image: Image.Image) -> datetime | None:
    exif = image.getexif()
    raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not raw:
        return None
    try:
        naive = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None
    # A camera writes local time without a zone: read it in the deployment's time zone.
    return timezone.make_aware(naive)


def compress_photo(upload) -> Photo:
    """A checked, re-encoded photo; ValidationError({"file": ...}) in Chinese if refused."""
    checked = check_upload(upload)
    if checked.file_type not in (JPEG, PNG):
        raise ValidationError({"file": f"文件“{checked.name}”不是照片(仅限 JPEG/PNG 图片)"})
    try:
        image = Image.open(io.BytesIO(checked.data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationError({"file": f"照片“{checked.name}”已损坏,无法读取"}) from exc
    taken_at = _taken_at(image)
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)
    data = out.getvalue()
    stem = checked.name.rsplit(".", 1)[0]
    return Photo(CheckedFile(f"{stem}.jpg", JPEG, data, hashlib.sha256(data).hexdigest()), taken_at)
