"""A scope's counts by day, kept per block of enterprises so that a write to a few enterprises
costs the recount of their blocks, not of the province (docs/campaigns.md, "How the figures are
computed").

The counts' statement (`counts._statement`) gives how much each count rises or falls on each
day; those changes add up over enterprises, so they add up over blocks of enterprises (ids
divided by `figure_version.BLOCK`). The table of a scope is kept whole, as the sum, and per
block, each block's part under a token; the whole records the block numbers (`FigureBlock`,
raised by the database's triggers on every write the counts read) and the tokens of the parts it
is the sum of. When the data version has moved, the blocks whose number moved are recounted —
one statement restricted to their enterprises — and the whole becomes the old whole minus their
old parts plus their new ones. A block's part is taken back only when its token is the one the
whole recorded (another process may have replaced it meanwhile); anything missing or changed
for every block (-1: a region, the campaign) means one count of everything, by block.

A write no reader can patch (every block, or many: an import) would leave the next reader to
count everything: the background worker counts the scopes asked lately again, by block, as soon
as an import is committed and on the schedule's clock (`keep_current`, campaigns/tasks.py).

The first count of a scope is not split by block (that costs the statement about a tenth more):
`anbiao kpi` in a process of its own, or a scope asked once, would pay for parts never used.
Only a scope asked again after a write is counted by block, and from then on patched.
"""

import time
import uuid
from collections.abc import Callable
from datetime import date

from django.core.cache import cache

from anbiao.campaigns.figure_version import EVERY_BLOCK, block_numbers

# One day's changes: (day, the values of the groups, how much each count rises or falls).
Delta = tuple[date, tuple, tuple[int, ...]]
Table = tuple[tuple[str, ...], list[Delta]]
# Counts the changes by day of the given blocks, or of every block (None), by block
# (`(day, (block,), changes)` rows) or, with `by_block` false, as one whole.
Recount = Callable[[list[int] | None, bool], Table]

# How long a scope's whole and parts stay when no one asks for it: writes patch them rather than
# make them useless, so they are worth keeping across days (a province's first count takes
# seconds); this frees the space of scopes no longer asked.
TIMEOUT = 7 * 24 * 3600
# The whole table's group (the statement's single group when it groups by nothing).
WHOLE = (0,)
# The scopes asked lately, each with what counts it by block (`remember`), for the background
# worker to count again after a write no reader could patch (`keep_current`).
ASKED_KEY = "counts:asked"
# A scope asked again is noted again at most this often (one cache write a day, not per ask).
NOTED_EVERY = 24 * 3600
# The background keeps at most this many scopes current, the most recently asked.
ASKED_AT_MOST = 200


def current(digest: str, recount: Recount) -> Table:
    """The changes by day of the scope named by `digest`, from its kept table with the moved
    blocks recounted, else from a count of every block (both then kept)."""
    numbers = block_numbers()
    kept = cache.get(_whole_key(digest))
    if kept is None:
        table = recount(None, False)
        cache.set(_whole_key(digest), (numbers, None, table), TIMEOUT)
        return table
    table = _patched(digest, kept, numbers, recount)
    if table is not None:
        return table
    return _counted(digest, numbers, recount)


# When this process last found each scope noted (`remember`): for NOTED_HERE_FOR it does not
# read the list again. Short, so that a cache emptied meanwhile (Redis restarted) is noted anew.
noted_here: dict[str, float] = {}
NOTED_HERE_FOR = 600


def remember(digest: str, recipe: Callable[[], object]) -> None:
    """Note that the scope named by `digest` was asked (every ask: one the worker kept current
    is asked too), with what counts it (`recipe()`, any value that pickles: `asked` hands it
    back), at most once a day. The list of scopes holds only their digests and
    times (a few KB); each recipe is a key of its own. Another process noting a scope at the
    same moment may undo this note; the scope's next note puts it back."""
    now = time.time()
    if noted_here.get(digest, 0) > now - NOTED_HERE_FOR:
        return  # no cache read on every ask
    if len(noted_here) > ASKED_AT_MOST:
        noted_here.clear()
    noted = cache.get(ASKED_KEY) or {}
    noted_here[digest] = now
    if noted.get(digest, 0) > now - NOTED_EVERY:
        return
    cache.set(_recipe_key(digest), recipe(), TIMEOUT)
    noted[digest] = now
    recent = sorted(((at, d) for d, at in noted.items() if at > now - TIMEOUT), reverse=True)
    cache.set(ASKED_KEY, {d: at for at, d in recent[:ASKED_AT_MOST]}, TIMEOUT)


def asked() -> dict[str, object]:
    """The scopes asked lately (within TIMEOUT), by digest, with their recipes."""
    digests = list(cache.get(ASKED_KEY) or {})
    recipes = cache.get_many([_recipe_key(d) for d in digests])
    return {d: recipes[_recipe_key(d)] for d in digests if _recipe_key(d) in recipes}


def _recipe_key(digest: str) -> str:
    return f"counts:recipe:{digest}"


def keep_current(digest: str, count_all: Callable[[], Table]) -> Table | None:
    """Count every block of the scope again (`count_all`: the changes by day by block) when the
    next reader could not patch its kept table — every block moved (a region, the campaign),
    more than a quarter of them (an import), or nothing is kept — and keep the parts and their
    sum; None when a reader would patch it (few blocks moved, or none)."""
    numbers = block_numbers()
    kept = cache.get(_whole_key(digest))
    if kept is not None and _to_recount(kept[0], kept[1], numbers) is not None:
        return None
    return _counted(digest, numbers, lambda _blocks, _by_block: count_all())


def _whole_key(digest: str) -> str:
    return f"counts:whole:{digest}"


def _part_key(digest: str, block: int) -> str:
    return f"counts:part:{digest}:{block}"


def _counted(digest: str, numbers: dict[int, int], recount: Recount) -> Table:
    """Every block counted: the parts and their sum kept."""
    keys, rows = recount(None, True)
    parts = _by_block(rows)
    tokens = {block: uuid.uuid4().hex for block in parts}
    cache.set_many(
        {_part_key(digest, b): (tokens[b], deltas) for b, deltas in parts.items()}, TIMEOUT
    )
    sums: dict[date, list[int]] = {}
    for deltas in parts.values():
        _add(sums, deltas, 1)
    table = (keys, _as_deltas(sums))
    cache.set(_whole_key(digest), (numbers, tokens, table), TIMEOUT)
    return table


def _patched(
    digest: str,
    kept: tuple[dict[int, int], dict[int, str] | None, Table],
    numbers: dict[int, int],
    recount: Recount,
) -> Table | None:
    """The kept whole with the blocks whose number moved recounted; None when that cannot be
    done exactly (every block changed, too many did, the whole was not counted by block, or a
    part it was summed from is gone)."""
    was, tokens, table = kept
    moved = _to_recount(was, tokens, numbers)
    if moved is None:
        return None
    if not moved:
        # The version moved for a table the counts do not read (supervision, benchmarks).
        cache.set(_whole_key(digest), (numbers, tokens, table), TIMEOUT)
        return table
    stored = cache.get_many([_part_key(digest, b) for b in moved if b in tokens])
    olds = {}
    for block in moved:
        if block not in tokens:
            continue  # no part: the block counted nothing
        part = stored.get(_part_key(digest, block))
        if part is None or part[0] != tokens[block]:
            return None
        olds[block] = part[1]
    keys, rows = recount(moved, True)
    if keys != table[0]:
        return None
    news = _by_block(rows)
    sums = {day: list(changes) for day, _group, changes in table[1]}
    for deltas in olds.values():
        _add(sums, deltas, -1)
    for deltas in news.values():
        _add(sums, deltas, 1)
    tokens = {b: t for b, t in tokens.items() if b not in olds}
    tokens.update({block: uuid.uuid4().hex for block in news})
    cache.set_many(
        {_part_key(digest, b): (tokens[b], deltas) for b, deltas in news.items()}, TIMEOUT
    )
    table = (keys, _as_deltas(sums))
    cache.set(_whole_key(digest), (numbers, tokens, table), TIMEOUT)
    return table


def _to_recount(
    was: dict[int, int], tokens: dict[int, str] | None, numbers: dict[int, int]
) -> list[int] | None:
    """The blocks whose number moved since the whole was kept, when patching them is worth it;
    None when everything must be counted (every block moved, the whole was not counted by
    block, or more than a quarter of its blocks moved: recounting them one by one costs about
    what counting them all does)."""
    if was.get(EVERY_BLOCK) != numbers.get(EVERY_BLOCK):
        return None
    moved = sorted(b for b in was.keys() | numbers.keys() if was.get(b) != numbers.get(b))
    if moved and (tokens is None or len(moved) > max(1, len(tokens) // 4)):
        return None
    return moved


def _by_block(rows: list[Delta]) -> dict[int, list[tuple[date, tuple[int, ...]]]]:
    parts: dict[int, list[tuple[date, tuple[int, ...]]]] = {}
    for day, (block,), changes in rows:
        parts.setdefault(block, []).append((day, changes))
    return parts


def _add(sums: dict[date, list[int]], deltas, sign: int) -> None:
    for day, changes in deltas:
        row = sums.get(day)
        if row is None:
            sums[day] = [sign * c for c in changes]
        else:
            for i, change in enumerate(changes):
                row[i] += sign * change


def _as_deltas(sums: dict[date, list[int]]) -> list[Delta]:
    """The summed days in order, a day whose changes all cancelled left out."""
    return [(day, WHOLE, tuple(sums[day])) for day in sorted(sums) if any(sums[day])]
