import hashlib
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Max, Q, QuerySet

# Up to this many rows a list is sorted rather than read group by group (GroupedRows).
SORT_BELOW = 2_000
# How long a list's counts by group stay cached when no one pages through it (a write moves the
# data version, which keys them, anyway).
GROUPS_TIMEOUT = 3600


# The tables a compiled statement reads (Django quotes every table name it writes).
TABLES_READ = re.compile(r'\b(?:FROM|JOIN)\s+"([^"]+)"', re.IGNORECASE)


class _DataVersion:
    """The data version that keys a list's counts by group (`register_data_version`)."""

    provider: Callable[[], int] | None = None
    # A count is kept only when it reads these tables alone, and none of the unversioned
    # columns (their writes do not move the version).
    tables: frozenset[str] = frozenset()
    unversioned: tuple[str, ...] = ()


def register_data_version(
    provider: Callable[[], int], tables: Iterable[str], unversioned: Iterable[str]
) -> None:
    """Key the lists' counts by group under `provider()`, a number that moves with every write
    to `tables` except to the `unversioned` columns (by their column names). The campaigns app
    registers its figure version (`core` imports no domain app)."""
    _DataVersion.provider = provider
    _DataVersion.tables = frozenset(tables)
    _DataVersion.unversioned = tuple(unversioned)


def _versioned(sql: str) -> bool:
    """Whether every write that could change what `sql` reads moves the data version. An
    unversioned column is looked for by its name alone (`."name"`), whatever table or alias
    (a subquery's U0) it is read through: a same-named column of another table only costs
    the caching."""
    return set(TABLES_READ.findall(sql)) <= _DataVersion.tables and not any(
        f'."{column}"' in sql for column in _DataVersion.unversioned
    )


class GroupedRows:
    """The rows of `queryset` ordered by `group_order` (a column of the group, e.g. the region's
    path), then by `within` — read one group at a time.

    Sorting 100k rows on a column of another table (the region's path) cannot use an index, so
    every page of a list in that order sorted the whole list. Here one grouped count gives the
    groups in order and their sizes (and the total, for the paginator), and a page is read from
    the one or two groups it falls in with `group = X ORDER BY within`, which an index on
    (group, *within) answers without sorting (docs/enterprise-registry.md, "Large lists").
    Same rows, same order, same total as `queryset.order_by(group_order, *within)`.
    `decorate` adds what only the page's rows need (annotations, joins) to each read; `groups`
    are (group, rows) in the list's order when the caller has counted them already.

    `probe`: the rows are probably few (a search). Counting them and then reading a page would
    scan for the matches twice (a text search cannot use an index); instead their keys are read
    once, in no order, up to SORT_BELOW + 1, and when that is all of them the groups and every
    page come from those keys (a page sorts only among them).
    """

    def __init__(
        self,
        queryset: QuerySet,
        *,
        group: str,
        group_order: str,
        within: tuple[str, ...],
        decorate: Callable[[QuerySet], QuerySet] | None = None,
        groups: list[tuple[object, int]] | None = None,
        probe: bool = False,
    ) -> None:
        self.queryset = queryset
        self.probe = probe
        self._keys: list | None = None  # every row's key (unordered), when probed and few
        self.group, self.group_order, self.within = group, group_order, within
        self.decorate = decorate or (lambda qs: qs)
        # Given when the caller counted them with more (the case board's per-state counts).
        self._groups: list[tuple[object, int]] | None = groups

    def groups(self) -> list[tuple[object, int]]:
        """(group, number of rows) in the list's order, counted once."""
        if self._groups is None and self.probe:
            self._read_keys()
        if self._groups is None:
            # Grouped by the group alone (an index on it serves the grouping); its order key
            # comes along as an aggregate, one value per group.
            counted = (
                self.queryset.order_by()
                .values_list(self.group)
                .annotate(
                    rows=Count("pk", distinct=self.queryset.query.distinct),
                    order_key=Max(self.group_order),
                )
            )
            self._groups = _kept(counted)
        return self._groups

    def _read_keys(self) -> None:
        # In no order: a broad search stops after SORT_BELOW + 1 matches instead of sorting
        # them all; a narrow one is read once, and its pages are sorted among its keys.
        found = list(
            self.queryset.order_by().values_list("pk", self.group, self.group_order)[
                : SORT_BELOW + 1
            ]
        )
        if len(found) > SORT_BELOW:
            return  # many after all: counted by group
        self._keys = [pk for pk, _, _ in found]
        sizes: dict[object, list] = {}
        for _, group, order_key in found:
            sizes.setdefault(group, [order_key, 0])[1] += 1
        ordered = sorted(sizes.items(), key=lambda item: item[1][0])
        self._groups = [(group, rows) for group, (_, rows) in ordered]

    def count(self) -> int:
        return sum(rows for _, rows in self.groups())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        if not isinstance(index, slice):
            raise TypeError("GroupedRows reads slices only")
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        if self._keys is not None:
            order = (self.group_order, *self.within)
            among = self.queryset.filter(pk__in=self._keys).order_by(*order)
            keys = [among.values("pk")[start:stop]]
        elif self.count() <= SORT_BELOW:
            # Few matching rows (a search): sorting them costs less than walking the index past
            # every row that does not match until a page is found.
            order = (self.group_order, *self.within)
            keys = [self.queryset.order_by(*order).values("pk")[start:stop]]
        else:
            keys, offset = [], 0
            for group, size in self.groups():
                if offset >= stop:
                    break
                if offset + size > start:
                    part = self.queryset.filter(**{self.group: group}).order_by(*self.within)
                    keys.append(
                        part.values("pk")[max(start - offset, 0) : min(stop - offset, size)]
                    )
                offset += size
            order = self.within if len(keys) == 1 else (self.group_order, *self.within)
        # The page's keys first, then its rows in one query (however many groups the page
        # spans): what a row shows beyond the list's own columns (subqueries, annotations) is
        # computed for the page's rows only, never for the rows an OFFSET skips.
        spanned = Q()
        for part in keys:
            spanned |= Q(pk__in=part)
        if not spanned:
            return []
        return list(self.decorate(self.queryset.filter(spanned).order_by(*order)))


def _kept(counted: QuerySet) -> list[tuple[object, int]]:
    """The groups and their sizes in order, from the cache under the data version when they can
    be kept there: paging through a large list counts it once per write, not once per page.
    Not inside a transaction (what it reads may yet be rolled back), nor for a count reading a
    table or a column whose writes do not move the version (a search by name)."""
    key = None
    provider = _DataVersion.provider
    if provider is not None and not connections[counted.db].in_atomic_block:
        sql, params = counted.query.sql_with_params()
        if _versioned(sql):
            # The version is read before the data: a write meanwhile moves it past this key.
            digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
            key = f"groups:{provider()}:{digest}"
            found = cache.get(key)
            if found is not None:
                return found
    groups = [(group, rows) for group, rows, _ in sorted(counted, key=lambda row: row[2])]
    if key is not None:
        cache.set(key, groups, GROUPS_TIMEOUT)
    return groups


def paginate(request, queryset, per_page: int | None = None):
    """A page of `queryset` (or of GroupedRows) from ?page=, tolerant of bad or out-of-range
    numbers."""
    paginator = Paginator(queryset, per_page or settings.ANBIAO_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def querystring_without(request, *names: str) -> str:
    """The current query string minus `names` (for pagination and sort links)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
