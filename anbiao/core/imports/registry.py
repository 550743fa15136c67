"""The import kinds: each app registers its kinds in its AppConfig.ready() (core knows none of
them). A kind is its runner, the permission it needs, its columns (for the template and the
mapping choices) and how the web flow offers it.

A runner is `run(path, *, user, filename, dry_run, skip_invalid, effective_on, target_id,
mapping, progress)` returning an ImportOutcome (anbiao/core/imports/outcome.py). A dry run checks
without writing; `mapping` maps header texts to column keys; `progress(rows_done)` may be called.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from anbiao.core.imports.reader import Column

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportKind:
    """One registered import kind."""

    kind: str
    permission: str
    runner: Callable
    columns: list[Column]
    example: dict
    help_text: str = ""
    targeted: bool = False  # imported into one object (a survey round), not from the list
    dated: bool = False  # its changes take a 变化生效日期


KINDS: dict[str, ImportKind] = {}


def register(
    kind: str,
    permission: str,
    runner: Callable,
    *,
    columns: list,
    example: dict,
    help_text: str = "",
    targeted: bool = False,
    dated: bool = False,
) -> None:
    """Make an import kind available to the web flow (upload → check → confirm) and to
    `anbiao import KIND FILE`."""
    KINDS[kind] = ImportKind(
        kind=str(kind),
        permission=permission,
        runner=runner,
        columns=columns,
        example=example,
        help_text=help_text,
        targeted=targeted,
        dated=dated,
    )


# Checks that look at what a checked import would change beyond its rows (an already-filed
# period's figures: anbiao/filings/changes.py): fn(job) -> an observer or None (nothing to look
# at). The observer's `observe(changes)` sees what the check's dry run reports it would write
# (anbiao/core/imports/preview.py) and its `notices()` says what that would change; neither may
# write.
PREVIEW_CHECKS: list[Callable] = []


def register_preview_check(check: Callable) -> None:
    if check not in PREVIEW_CHECKS:
        PREVIEW_CHECKS.append(check)


def preview_observers(job) -> list:
    """The observers of this job's check; a failing check never fails the check of the file."""
    observers = []
    for check in PREVIEW_CHECKS:
        try:
            observer = check(job)
        except Exception:
            log.exception("preview check %s failed", check)
            continue
        if observer is not None:
            observers.append(observer)
    return observers


def preview_notices(observers: list) -> list[str]:
    """The notices of every observer; a failing one never fails the preview."""
    notices: list[str] = []
    for observer in observers:
        try:
            notices += observer.notices()
        except Exception:
            log.exception("preview check %s failed", observer)
    return notices


def get(kind: str) -> ImportKind:
    return KINDS[kind]


def write_template(path: str, kind: str) -> None:
    """The downloadable template: the expected headers (* = required), one example row, and a
    second sheet explaining each column."""
    import xlsxwriter

    spec = KINDS[kind]
    columns, example, help_text = spec.columns, spec.example, spec.help_text
    book = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("导入数据")
    head = book.add_format(
        {
            "bold": True,
            "bg_color": "#DDE7F5",
            "border": 1,
            "text_wrap": True,
            "align": "center",
            "valign": "vcenter",
        }
    )
    required = book.add_format(
        {
            "bold": True,
            "bg_color": "#FBE3D6",
            "border": 1,
            "text_wrap": True,
            "align": "center",
            "valign": "vcenter",
        }
    )
    text = book.add_format({"num_format": "@"})
    for index, column in enumerate(columns):
        sheet.set_column(index, index, max(10, len(column.label) * 2 + 2), text)
        label = column.label + ("*" if column.required else "")
        sheet.write_string(0, index, label, required if column.required else head)
        value = example.get(column.key, "")
        sheet.write_string(1, index, str(value)) if value != "" else None
    sheet.freeze_panes(1, 0)
    guide = book.add_worksheet("填写说明")
    guide.set_column(0, 0, 22)
    guide.set_column(1, 1, 8)
    guide.set_column(2, 2, 70)
    guide.write_row(0, 0, ["列名", "必填", "说明(也可使用的列名)"], head)
    for index, column in enumerate(columns, start=1):
        guide.write_string(index, 0, column.label)
        guide.write_string(index, 1, "是" if column.required else "")
        guide.write_string(index, 2, "、".join(column.aliases))
    guide.write_string(len(columns) + 2, 0, help_text)
    book.close()
