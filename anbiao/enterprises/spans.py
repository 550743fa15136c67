"""Ledger spans: the dated facts of each enterprise folded into periods of constant values.

`rebuild_spans(ids)` is called by every service that writes facts (enterprises/services.py), in
the same transaction. The ledger-as-of queries (ledger.py) read the one span covering a date.
"""

from collections.abc import Iterable
from itertools import groupby

from anbiao.core.bulk import insert_rows
from anbiao.enterprises.choices import FactKind
from anbiao.enterprises.models import EnterpriseFact, LedgerSpan

SPAN_COLUMNS = (
    "enterprise",
    "starts_on",
    "ends_on",
    "in_ledger",
    "status",
    "size",
    "torch_zone",
    "region_id_on",
    "eligibility",
    "entered_on",
)
CHUNK = 900


def spans_of(enterprise_id: int, facts: list[tuple]) -> list[tuple]:
    """Fold (kind, value, effective_on) facts, in date and entry order, into span rows."""
    state = {
        "ledger": False,
        "status": "",
        "size": "",
        "torch_zone": None,
        "region": None,
        "eligibility": "",
    }
    entered = next((on for kind, _, on in facts if kind == FactKind.LEDGER), None)
    rows: list[tuple] = []
    for on, day_facts in groupby(facts, key=lambda f: f[2]):
        for kind, value, _ in day_facts:
            if kind == FactKind.ENTRY:  # why it is new: not a condition of the ledger
                continue
            if kind == FactKind.LEDGER:
                state["ledger"] = value == "1"
            elif kind == FactKind.TORCH_ZONE:
                state["torch_zone"] = value == "1"
            elif kind == FactKind.REGION:
                state["region"] = int(value)
            else:
                state[kind] = value
        if rows:
            rows[-1] = (*rows[-1][:2], on, *rows[-1][3:])
        rows.append(
            (
                enterprise_id,
                on,
                None,
                state["ledger"],
                state["status"],
                state["size"],
                state["torch_zone"],
                state["region"],
                state["eligibility"],
                entered,
            )
        )
    return rows


def rebuild_spans(enterprise_ids: Iterable[int], *, fact_model=None, span_model=None) -> int:
    """Recompute the spans of these enterprises from their facts; returns spans written."""

    fact_model = fact_model or EnterpriseFact
    span_model = span_model or LedgerSpan
    ids = sorted(set(enterprise_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        span_model.objects.filter(enterprise_id__in=chunk).delete()
        facts = (
            fact_model.objects.filter(enterprise_id__in=chunk)
            .order_by("enterprise_id", "effective_on", "id")
            .values_list("enterprise_id", "kind", "value", "effective_on")
        )
        rows = []
        for enterprise_id, group in groupby(facts.iterator(chunk_size=5000), key=lambda f: f[0]):
            rows += spans_of(enterprise_id, [f[1:] for f in group])
        written += insert_rows(span_model, SPAN_COLUMNS, rows)
    return written
