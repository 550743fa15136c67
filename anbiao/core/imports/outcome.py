"""What an import did (or would do, in a check): the one result shape every import kind returns,
shown on the preview, kept on the import record and printed by `anbiao import --json`."""

from dataclasses import dataclass, field

from anbiao.core.imports.reader import RowError, Table


@dataclass
class ImportOutcome:
    """Counts, refused rows (`errors`), rows taken with an assumption (`warnings`), the headers
    that were not understood (`ignored_columns`), the scope columns the file lacks
    (`missing_columns`) and what the import adds to the region tree (`new_communities`)."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_warnings: list[RowError] = field(default_factory=list)  # warnings not on a table row
    ignored_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    new_communities: list[str] = field(default_factory=list)
    written: bool = False

    table: Table | None = field(default=None, repr=False, compare=False)

    @classmethod
    def for_table(cls, table: Table) -> "ImportOutcome":
        """An outcome that reports what reading `table` found, and the warnings its rows
        gather while they are checked."""
        return cls(
            total=len(table.rows),
            ignored_columns=list(table.ignored),
            missing_columns=list(table.missing_scope),
            table=table,
        )

    @property
    def warnings(self) -> list[RowError]:
        rows = self.table.warnings if self.table is not None else []
        return [*self.file_warnings, *rows]

    def notices(self) -> list[str]:
        """File-level warnings, in the words the preview and the record show."""
        lines = []
        if self.missing_columns:
            lines.append(
                f"文件中没有“{'、'.join(self.missing_columns)}”列:这些列决定企业是否计入应创"
                "范围,缺少时新企业按默认值登记,请核对后再确认"
            )
        if self.ignored_columns:
            lines.append(f"未识别的列,已忽略:{'、'.join(self.ignored_columns)}")
        if self.new_communities:
            lines.append(f"将新增社区:{'、'.join(self.new_communities)}")
        return lines

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "written": self.written,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "ignored_columns": self.ignored_columns,
            "missing_columns": self.missing_columns,
            "new_communities": self.new_communities,
        }
