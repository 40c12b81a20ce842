"""A report's raw tail (ADR 0007: the journal's days, computed from the sales rows), cached per
branch-day and dimension under the journal rows that made the day stale (ADR 0008).

Every sale, void and refund adds a journal row in its own transaction, and the rollup writer
deletes the rows it folded; so while a branch-day's set of journal rows is unchanged, nothing
was committed to that day, and its cells computed once are still its cells. A new sale adds a
row (a new key: that branch-day alone is computed again); a fold removes rows (the day is then
read from the rollups). The cells stored under a key were read after its journal rows, so
they may hold a change committed meanwhile; a later reader who sees that change's row uses
another key, and one who does not yet see it gets an answer a moment more current than its own
reading of the journal, which is what computing the cells itself would have given it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from .facts import CellKey, DayCut, Figures, SliceKey, compute_cells, day_cut

if TYPE_CHECKING:
    from cliqserve.tenants.models import Tenant

logger = logging.getLogger(__name__)

CACHE_ERRORS = (ConnectionInterrupted, RedisError, OSError)
Journal = Mapping[SliceKey, Collection[uuid.UUID]]  # each stale branch-day: its journal row ids
Entry = list[tuple[str, tuple[Any, ...]]]  # one branch-day's cells of one dimension: (key, figures)


def raw_tail(*, tenant: Tenant, journal: Journal, dimensions: Collection[str]) -> dict[CellKey, Figures]:
    """The cells of the journal's branch-days in `dimensions`, from the cache where it has them,
    else from the sales rows (and then cached for REPORT_TAIL_CACHE_SECONDS)."""
    if not journal:
        return {}
    cut = day_cut(tenant=tenant)
    keys = {
        (slice_key, dimension): _cache_key(tenant, cut, slice_key, ids, dimension)
        for slice_key, ids in journal.items()
        for dimension in dimensions
    }
    cells, missing = _cached_cells(keys)
    if missing:
        computed = compute_cells(tenant=tenant, cut=cut, slices=missing, dimensions=dimensions)
        cells.update(computed)
        _store(_entries(computed, keys, missing=missing, dimensions=dimensions))
    return cells


def _cached_cells(keys: dict[tuple[SliceKey, str], str]) -> tuple[dict[CellKey, Figures], set[SliceKey]]:
    """The cells the cache holds, and the branch-days it lacks any dimension of."""
    found = _cached(list(keys.values()))
    cells: dict[CellKey, Figures] = {}
    missing: set[SliceKey] = set()
    for (slice_key, dimension), key in keys.items():
        entry: Entry | None = found.get(key)
        if entry is None:
            missing.add(slice_key)
            continue
        for cell_key, figures in entry:
            cells[(*slice_key, dimension, cell_key)] = Figures(*figures)
    return cells, missing


def _entries(
    computed: dict[CellKey, Figures],
    keys: dict[tuple[SliceKey, str], str],
    *,
    missing: set[SliceKey],
    dimensions: Collection[str],
) -> dict[str, Entry]:
    """What to cache: every computed branch-day and dimension, an empty one included."""
    entries: dict[str, Entry] = {
        keys[(slice_key, dimension)]: [] for slice_key in missing for dimension in dimensions
    }
    for (branch_id, day, dimension, cell_key), cell in computed.items():
        entries[keys[((branch_id, day), dimension)]].append((cell_key, tuple(cell.as_dict().values())))
    return entries


def _cache_key(
    tenant: Tenant, cut: DayCut, slice_key: SliceKey, ids: Collection[uuid.UUID], dimension: str
) -> str:
    """Names everything the cells depend on: the day and how it is cut, the currency, the
    dimension, and the journal rows that made it stale."""
    branch_id, day = slice_key
    parts = [tenant.pk, tenant.currency, cut.ends_at, cut.zones.get(branch_id), branch_id, day, dimension]
    digest = hashlib.sha256("|".join(map(str, [*parts, *sorted(map(str, ids))])).encode()).hexdigest()
    return f"reports:tail:{digest}"


def _cached(keys: list[str]) -> dict[str, Any]:
    if settings.REPORT_TAIL_CACHE_SECONDS <= 0:
        return {}
    try:
        return dict(cache.get_many(keys))
    except CACHE_ERRORS:
        logger.warning("report tail cache unavailable: computing from the sales rows", exc_info=True)
        return {}


def _store(entries: dict[str, Entry]) -> None:
    if settings.REPORT_TAIL_CACHE_SECONDS <= 0:
        return
    try:
        cache.set_many(entries, timeout=settings.REPORT_TAIL_CACHE_SECONDS)
    except CACHE_ERRORS:
        logger.warning("report tail cache unavailable: not stored", exc_info=True)


def journal_by_slice(rows: Collection[tuple[uuid.UUID, Any, uuid.UUID]]) -> dict[SliceKey, set[uuid.UUID]]:
    """(branch, day, journal row id) rows as {(branch, day): ids}."""
    journal: dict[SliceKey, set[uuid.UUID]] = defaultdict(set)
    for branch_id, day, row_id in rows:
        journal[(branch_id, day)].add(row_id)
    return dict(journal)
