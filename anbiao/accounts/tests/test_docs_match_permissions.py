"""README and docs/roles-and-scope.md cannot disagree with the role → permission table: the doc's
table is compared with `ROLE_PERMISSIONS` cell by cell, and a role the README calls read-only
(只读) may hold nothing but view and export permissions."""

import re
from pathlib import Path

from anbiao.accounts.choices import Role
from anbiao.accounts.permissions import ROLE_PERMISSIONS, has_perm

ROOT = Path(__file__).resolve().parents[3]
BEGIN = "<!-- permission-table:begin -->"
END = "<!-- permission-table:end -->"
READ_ONLY_ACTIONS = {"view", "export"}


def expected_table() -> str:
    """The permission table as docs/roles-and-scope.md must show it."""
    roles = list(Role)
    perms = sorted(set().union(*ROLE_PERMISSIONS.values()))
    lines = [
        "| Permission | " + " | ".join(f"{r.label} `{r.value}`" for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for perm in perms:
        cells = ["✓" if perm in ROLE_PERMISSIONS.get(r, ()) else "" for r in roles]
        lines.append(f"| `{perm}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_roles_doc_shows_exactly_the_permission_table():
    text = (ROOT / "docs" / "roles-and-scope.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "docs/roles-and-scope.md lost its permission table"
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == expected_table(), (
        "docs/roles-and-scope.md disagrees with ROLE_PERMISSIONS; replace the table between "
        f"the markers with:\n{expected_table()}"
    )


def test_roles_the_readme_calls_read_only_can_change_nothing():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    labels = {r.label: r for r in Role}
    read_only, listed = set(), set()
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1] in labels:
            listed.add(labels[cells[1]])
            if "只读" in cells[2]:
                read_only.add(labels[cells[1]])
    assert listed == set(Role), "the README's demo logins must show every role"
    for role in read_only:
        writes = {p for p in ROLE_PERMISSIONS[role] if p.split(".")[1] not in READ_ONLY_ACTIONS}
        assert not writes, f"README calls {role.label} 只读, but it may {sorted(writes)}"


def test_the_permission_table_is_what_has_perm_answers():
    class Person:
        is_authenticated = True
        is_active = True

        def __init__(self, role):
            self.role = role

    for role in Role:
        for perm in set().union(*ROLE_PERMISSIONS.values()):
            assert has_perm(Person(role), perm) == (perm in ROLE_PERMISSIONS[role])
    assert re.search(r"`audit\.view`", expected_table())
