"""What a query needs to know about every document, read once per index segment.

Whoosh matches and scores in pure Python, so anything done per matching document per query
is slow at a quarter of a million documents. Facet values, visibility tokens and dates are
therefore read from the posting lists into plain lists once per segment and kept: a segment
never changes (later deletions are checked against the reader), so the work is repeated only
for the new small segments a write adds, never for the large merged ones.

`DocumentView` puts the segments of one searcher together: whether a document may be shown
(visibility, chosen facets, date range), the newest allowed documents, facet counts.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import logging
import pickle
import tempfile
import time
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from whoosh.matching import ListMatcher, NullMatcher
from whoosh.query import Query
from whoosh.reading import TermNotFound
from whoosh.util.times import datetime_to_long

from app.services.search.schema import TABLE_FIELDS

logger = logging.getLogger(__name__)


@dataclass
class SegmentTable:
    values: dict[str, list[str]]  # field -> its values; a value's position is its id
    ids: dict[str, list[tuple[int, ...]]]  # field -> value ids of each document
    dates: array  # each document's date (Whoosh long), 0 when unknown
    newest: array  # documents, newest first


_TABLES: OrderedDict[tuple[str, str], SegmentTable] = OrderedDict()
_TABLES_KEPT = 32  # segments; a merge makes old ones unreachable
# Tables are saved beside their segment by the index writer (`save_tables`), so a web
# worker loads them instead of reading every posting list of eleven fields (seconds at a
# quarter of a million documents). The version changes whenever the table's shape does.
TABLE_SUFFIX = ".tables-v1.pickle"


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _docnums(reader, name: str, value) -> list[int]:
    """Every document number in a term's posting list, read a block at a time (Whoosh's
    `all_ids` steps through them one Python call at a time). Deleted documents are kept:
    each search checks deletions against its own reader."""
    matcher = reader.postings(name, value)
    matcher = getattr(matcher, "child", matcher)  # the wrapper that hides deletions
    if not hasattr(matcher, "_read_ids"):  # another codec: the slow, public way
        return list(matcher.all_ids())
    docnums: list[int] = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        docnums.extend(matcher._ids[matcher._i :])
        matcher._next_block()
    return docnums


def _build_table(reader) -> SegmentTable:
    size = reader.doc_count_all()
    values, ids = {}, {}
    for name in TABLE_FIELDS:
        names = [_text(v) for v in reader.lexicon(name)]
        # Most documents have one value per field: they share one tuple per value, and the
        # few combinations of several values are shared too, which keeps the table small.
        per_doc: list[tuple[int, ...]] = [()] * size
        shared: dict[tuple[int, ...], tuple[int, ...]] = {}
        for value_id, value in enumerate(names):
            single = (value_id,)
            for docnum in _docnums(reader, name, value):
                held = per_doc[docnum]
                per_doc[docnum] = (
                    shared.setdefault(held + single, held + single) if held else single
                )
        values[name], ids[name] = names, per_doc
    column = reader.column_reader("date", translate=False) if reader.has_column("date") else None
    dates = array("q", (int(column[d] or 0) for d in range(size)) if column else bytes(8 * size))
    newest = array("l", sorted(range(size), key=dates.__getitem__, reverse=True))
    return SegmentTable(values, ids, dates, newest)


def _load_or_build(folder: str, reader) -> SegmentTable:
    saved = Path(folder) / f"{reader.segment().segment_id()}{TABLE_SUFFIX}"
    if saved.exists():
        try:
            table = pickle.loads(saved.read_bytes())  # noqa: S301 - our index writer's file
            if isinstance(table, SegmentTable) and len(table.dates) == reader.doc_count_all():
                return table
        except Exception:  # a cache: whatever is wrong with it, the postings are the truth
            logger.warning("search: unreadable %s; reading the postings instead", saved.name)
    return _build_table(reader)


def _forget_gone_segments(folder: str, live: set[str]) -> None:
    """Drop tables of this index's segments that a merge or rebuild has replaced."""
    for key in [k for k in _TABLES if k[0] == folder and k[1] not in live]:
        del _TABLES[key]


def segment_table(folder: str, reader) -> SegmentTable:
    key = (folder, reader.segment().segment_id())
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = _load_or_build(folder, reader)
        while len(_TABLES) > _TABLES_KEPT:
            _TABLES.popitem(last=False)
    else:
        _TABLES.move_to_end(key)
    return table


def save_tables(ix) -> None:
    """Save the table of every segment that has none yet and remove those of segments
    gone (merged away). Called by the index writer after each commit."""
    folder = Path(ix.storage.folder)
    with ix.reader() as top:
        for reader, _offset in top.leaf_readers():
            if not reader.doc_count_all():
                continue
            path = folder / f"{reader.segment().segment_id()}{TABLE_SUFFIX}"
            if path.exists():
                continue
            # A file of our own, renamed into place: readers never see half a table, and
            # two writers saving the same table at once do not trip over each other.
            with tempfile.NamedTemporaryFile(dir=folder, suffix=".partial", delete=False) as f:
                f.write(pickle.dumps(_build_table(reader), protocol=5))
            Path(f.name).replace(path)
    # Judge what is gone by the newest generation, not the one this writer committed: a
    # slower writer must not remove the table of a segment a faster one has just merged.
    live = {s.segment_id() for s in ix.refresh()._segments()}
    for saved in folder.glob(f"*{TABLE_SUFFIX}"):
        if saved.name.removesuffix(TABLE_SUFFIX) not in live:
            saved.unlink(missing_ok=True)
    stale = time.time() - 3600  # left by a writer that died halfway
    for partial in folder.glob("*.partial"):
        with contextlib.suppress(OSError):
            if partial.stat().st_mtime < stale:
                partial.unlink()


@dataclass(frozen=True)
class Rules:
    """Which documents a search may return: visibility tokens, chosen facet values (any
    value of a facet, every facet) and a date range (from inclusive, to exclusive)."""

    tokens: frozenset[str]
    filters: tuple[tuple[str, frozenset[str]], ...] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None


def _predicate(table: SegmentTable, rules: Rules, deleted: frozenset[int]):
    """A function of a segment's document number: may it be returned?"""
    wanted = [("visibility", rules.tokens), *rules.filters]
    checks = []
    for name, chosen in wanted:
        value_ids = {i for i, v in enumerate(table.values[name]) if v in chosen}
        checks.append((table.ids[name], value_ids))
    start = datetime_to_long(rules.date_from) if rules.date_from else None
    end = datetime_to_long(rules.date_to) if rules.date_to else None
    dates = table.dates

    def allowed(docnum: int) -> bool:
        if docnum in deleted:
            return False
        for per_doc, value_ids in checks:
            if value_ids.isdisjoint(per_doc[docnum]):
                return False
        if start is not None and dates[docnum] < start:
            return False
        return not (end is not None and dates[docnum] >= end)

    return allowed


@dataclass
class _Leaf:
    offset: int
    size: int
    table: SegmentTable
    allowed: Callable[[int], bool]  # the segment's predicate
    live: int  # documents not deleted
    deleted: frozenset[int]


class DocumentView:
    """The segments of one searcher, with the rules of one search applied."""

    def __init__(self, folder: str, searcher, rules: Rules):
        self.searcher = searcher
        self.leaves: list[_Leaf] = []
        self._segment_ids: set[str] = set()
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if not reader.doc_count_all():
                continue  # an empty index has a reader but no segment
            table = segment_table(folder, reader)
            self._segment_ids.add(reader.segment().segment_id())
            deleted = frozenset(reader.deleted_docs_set or ())
            self.leaves.append(
                _Leaf(
                    offset,
                    reader.doc_count_all(),
                    table,
                    _predicate(table, rules, deleted),
                    reader.doc_count(),
                    deleted,
                )
            )
        self._starts = [leaf.offset for leaf in self.leaves]
        _forget_gone_segments(folder, self._segment_ids)

        self.live = sum(leaf.live for leaf in self.leaves)

    def _locate(self, docnum: int) -> tuple[_Leaf, int]:
        leaf = self.leaves[bisect.bisect_right(self._starts, docnum) - 1]
        return leaf, docnum - leaf.offset

    def allowed(self, docnum: int) -> bool:
        leaf, local = self._locate(docnum)
        return leaf.allowed(local)

    def newest(self, limit: int, *, oldest_first: bool = False) -> tuple[list[int], int, bool]:
        """Up to `limit` allowed documents in date order; how many are allowed in all
        (estimated from the share allowed among those looked at, unless every one was
        looked at); and whether the documents returned are all the allowed ones."""
        picked, scanned, complete = [], 0, True
        for leaf in self.leaves:
            order = reversed(leaf.table.newest) if oldest_first else leaf.table.newest
            mine = []
            for local in order:
                if local in leaf.deleted:
                    continue
                scanned += 1
                if leaf.allowed(local):
                    mine.append((leaf.table.dates[local], leaf.offset + local))
                    if len(mine) == limit:
                        complete = False
                        break
            picked.append(mine)
        ordered = heapq.merge(*picked, reverse=not oldest_first)
        docs = [docnum for _, docnum in ordered][:limit]
        found = sum(len(p) for p in picked)
        if complete:
            return docs, found, found <= limit
        return docs, max(found, round(found / scanned * self.live)), False

    def facet_counts(self, docnums, names) -> dict[str, list[tuple[str, int]]]:
        tallies = {name: Counter() for name in names}
        for docnum in docnums:
            leaf, local = self._locate(docnum)
            for name, tally in tallies.items():
                for value_id in leaf.table.ids[name][local]:
                    tally[(id(leaf), value_id)] += 1
        leaves = {id(leaf): leaf for leaf in self.leaves}
        counts = {}
        for name, tally in tallies.items():
            merged: Counter = Counter()
            for (leaf_id, value_id), count in tally.items():
                value = leaves[leaf_id].table.values[name][value_id]
                if value:
                    merged[value] += count
            counts[name] = sorted(merged.items(), key=lambda vc: (-vc[1], vc[0]))
        return counts


def matching_docs(searcher, query):
    """Numbers of the documents matching `query`, found by stepping its matcher, which
    skips through long posting lists inside an intersection. (Whoosh's `docs_for_query`
    calls `all_ids`, which for an intersection reads every posting of every term.)"""
    context = searcher.boolean_context()
    for sub, offset in searcher.leaf_searchers():
        try:
            matcher = query.matcher(sub, context)
        except TermNotFound:
            continue
        while matcher.is_active():
            yield matcher.id() + offset
            matcher.next()


class DocumentsQuery(Query):
    """Matches a fixed set of documents (numbers of one searcher). Put in an And with a
    query of common words, it leads the intersection, so their long posting lists are
    skipped through rather than read and scored."""

    def __init__(self, searcher, docnums):
        self.docnums = sorted(docnums)
        self._offsets = {id(sub): offset for sub, offset in searcher.leaf_searchers()}

    def __str__(self):
        return f"<{len(self.docnums)} documents>"

    def __eq__(self, other):
        return other.__class__ is self.__class__ and other.docnums == self.docnums

    def __hash__(self):
        return hash(tuple(self.docnums))

    def estimate_size(self, ixreader):
        return len(self.docnums)

    def matcher(self, searcher, context=None):
        offset = self._offsets.get(id(searcher), 0)
        end = offset + searcher.doc_count_all()
        lo = bisect.bisect_left(self.docnums, offset)
        hi = bisect.bisect_left(self.docnums, end)
        local = [d - offset for d in self.docnums[lo:hi]]
        return ListMatcher(local, all_weights=0.0) if local else NullMatcher()
