"""The import contracts of docs/architecture.md (pyproject.toml [tool.importlinter]): `core`
imports no domain app, and the apps form layers, so no two apps import each other."""

from pathlib import Path

from django.conf import settings
from importlinter.cli import lint_imports

PYPROJECT = Path(settings.BASE_DIR) / "pyproject.toml"


def test_the_import_contracts_hold(capsys):
    exit_code = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert exit_code == 0, report
