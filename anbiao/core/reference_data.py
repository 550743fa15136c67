"""Reference data as versioned YAML files under reference_data/, loaded idempotently.

Each app that owns reference data registers a loader in its AppConfig.ready() with `register`
(regions: accounts, risk tags: enterprises, standards: cases, campaign plans: campaigns); loaders
run in registration order, which is INSTALLED_APPS order, so regions exist before anything that
points at them. `load_reference_data` runs after every `migrate` (so a migrated system is usable)
and from `anbiao load-reference`. Loaders only insert missing rows and update names; they never
delete. See docs/architecture.md.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import connection, connections, transaction

REFERENCE_DIR = Path(settings.BASE_DIR) / "reference_data"


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], what: str) -> None:
        bucket[what] = bucket.get(what, 0) + 1

    def count_outcome(self, outcome: str, what: str) -> None:
        """Count a loader result whose outcome is "created", "updated" or anything else."""
        if outcome == "created":
            self.count(self.created, what)
        elif outcome == "updated":
            self.count(self.updated, what)

    def __str__(self) -> str:
        parts = [f"新增{k} {v}" for k, v in self.created.items()]
        parts += [f"更新{k} {v}" for k, v in self.updated.items()]
        return ",".join(parts) or "参考数据已是最新"


@dataclass(frozen=True)
class Loader:
    """One app's reference data: `load(directory, summary)` reads its files under `directory`;
    it is skipped while `table` does not exist yet (a migrate that has not reached the app)."""

    name: str
    table: str
    load: Callable[[Path, LoadSummary], None]


_LOADERS: dict[str, Loader] = {}


def register(name: str, *, table: str, load: Callable[[Path, LoadSummary], None]) -> None:
    """Register (or replace, on a repeated ready()) an app's reference-data loader."""
    _LOADERS[name] = Loader(name=name, table=table, load=load)


def loaders() -> list[Loader]:
    return list(_LOADERS.values())


def read_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@transaction.atomic
def load_reference_data(directory: Path = REFERENCE_DIR) -> LoadSummary:
    """Run every registered loader over `directory`."""
    summary = LoadSummary()
    tables = set(connection.introspection.table_names())
    for loader in loaders():
        if loader.table in tables:
            loader.load(directory, summary)
    return summary


def load_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: keep reference data present after every migrate."""
    if "accounts_region" not in connections[using].introspection.table_names():
        return
    load_reference_data()
