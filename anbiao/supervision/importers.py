"""Excel sheets read into the shapes the services take: a checklist (检查表) and risk points
(风险点). Headers are found by name in the first rows; every problem names the Excel row the
user sees. Formats: docs/supervision.md."""

import io
from datetime import date, datetime

import openpyxl
from django.core.exceptions import ValidationError

from anbiao.core.imports.reader import ImportFileError, inspect_file
from anbiao.supervision.choices import RiskColour

# A checklist has about a hundred items and an enterprise tens of risk points; a sheet of more
# rows is not one of them (and must not be loaded: see docs/supervision.md).
MAX_ROWS = 5000

CHECKLIST_HEADERS = {
    "section": ("检查类别", "类别", "检查项目"),
    "code": ("编号", "序号"),
    "text": ("检查内容", "内容", "检查标准"),
    "basis": ("依据", "检查依据", "法律依据"),
    "major": ("重大隐患", "是否重大隐患"),
}
RISK_HEADERS = {
    "name": ("风险点", "风险点名称"),
    "location": ("部位", "场所", "部位/场所"),
    "colour": ("风险等级", "等级", "风险颜色"),
    "factors": ("主要危险因素", "危险因素", "可能导致的事故"),
    "controls": ("管控措施", "控制措施"),
    "owner": ("管控责任人", "责任人"),
    "review_on": ("下次评估日期", "评估日期"),
}
COLOURS = {
    "红": "red",
    "红色": "red",
    "重大风险": "red",
    "橙": "orange",
    "橙色": "orange",
    "较大风险": "orange",
    "黄": "yellow",
    "黄色": "yellow",
    "一般风险": "yellow",
    "蓝": "blue",
    "蓝色": "blue",
    "低风险": "blue",
    **{label: value for value, label in RiskColour.choices},
}
YES = {"是", "Y", "y", "yes", "1", "√", "重大"}


def _rows(upload, headers: dict, required: tuple[str, ...]) -> list[dict]:
    """Rows of the first sheet as {field: text, "_row": excel row number}. The workbook is
    measured from its zip index first (unpacked size, row count), as every import is."""
    try:
        rows = inspect_file(upload, "sheet.xlsx")  # openpyxl reads only .xlsx, whatever its name
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    finally:
        upload.seek(0)
    if rows > MAX_ROWS:
        raise ValidationError({"file": f"工作表有{rows}行,超过{MAX_ROWS}行的上限,请确认选择的文件"})
    try:
        book = openpyxl.load_workbook(io.BytesIO(upload.read()), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same message
        raise ValidationError({"file": "无法读取该文件,请上传 .xlsx 格式的 Excel 表格"}) from exc
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    columns, header_at = {}, None
    for index, row in enumerate(rows[:10]):
        names = [str(v).strip() if v is not None else "" for v in row]
        found = {
            field: names.index(name)
            for field, options in headers.items()
            for name in options
            if name in names
        }
        if all(f in found for f in required):
            columns, header_at = found, index
            break
    if header_at is None:
        wanted = "、".join(headers[f][0] for f in required)
        raise ValidationError({"file": f"找不到表头,须包含列:{wanted}"})
    out = []
    for index, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        values = {}
        for field, col in columns.items():
            value = row[col] if col < len(row) else None
            values[field] = value
        if all(v in (None, "") for v in values.values()):
            continue
        values["_row"] = index
        out.append(values)
    if not out:
        raise ValidationError({"file": "表格中没有数据行"})
    return out


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_checklist(upload, *, code: str, version: int, name: str, risk_tags=()) -> dict:
    """A checklist's data (for `reference.save_checklist`) from an Excel sheet with the
    columns 检查类别, 编号, 检查内容, 依据, 重大隐患(是/否)."""
    sections: dict[str, list] = {}
    for row in _rows(upload, CHECKLIST_HEADERS, ("section", "code", "text")):
        section = _text(row.get("section")) or "(未分类)"
        sections.setdefault(section, []).append(
            {
                "code": _text(row.get("code")),
                "text": _text(row.get("text")),
                "basis": _text(row.get("basis")),
                "major": _text(row.get("major")) in YES,
                "_place": f"第{row['_row']}行",
            }
        )
    return {
        "code": code,
        "version": version,
        "name": name,
        "risk_tags": list(risk_tags),
        "sections": [{"name": k, "items": v} for k, v in sections.items()],
    }


def _date(value, row: int):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError as exc:
        raise ValidationError({"file": f"第{row}行:下次评估日期“{value}”不是日期"}) from exc


def read_risk_points(upload) -> list[dict]:
    """Risk points from a sheet with the columns 风险点, 部位, 风险等级(红/橙/黄/蓝), 主要危险因素,
    管控措施, 管控责任人, 下次评估日期. A colour nobody knows is an error of its row."""
    out, errors = [], []
    for row in _rows(upload, RISK_HEADERS, ("name", "colour", "controls", "owner")):
        colour_text = _text(row.get("colour"))
        colour = COLOURS.get(colour_text, "")
        if not colour:
            errors.append(f"第{row['_row']}行:风险等级“{colour_text}”须为红、橙、黄、蓝之一")
            continue
        try:
            review_on = _date(row.get("review_on"), row["_row"])
        except ValidationError as exc:
            errors.extend(exc.message_dict["file"])
            continue
        out.append(
            {
                "_row": row["_row"],
                "name": _text(row.get("name"))[:100],
                "location": _text(row.get("location"))[:100],
                "colour": colour,
                "factors": _text(row.get("factors"))[:300],
                "controls": _text(row.get("controls")),
                "owner": _text(row.get("owner"))[:50],
                "review_on": review_on,
            }
        )
    if errors:
        raise ValidationError({"file": errors})
    return out
