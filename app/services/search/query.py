"""Searching: plain-language queries (AND by default, "phrases", -exclusion, field:value for
power users), facet filters and counts, sorting, highlighted excerpts and paging. Results are
filtered by the user's visibility tokens in the index and every hit is checked again against
the database before it is shown."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from markupsafe import Markup, escape
from whoosh import highlight, qparser
from whoosh.query import And, DateRange, Every, NullQuery, Or, Term

from app.extensions import db
from app.models import LegacyRecord, Report, User
from app.services import policy
from app.services.search.index import open_index
from app.services.search.schema import FACETS

SEARCH_FIELDS = ["title", "body", "dmc", "codes"]
FIELD_NAMES = {name for name, _ in FACETS} | set(SEARCH_FIELDS)
PER_PAGE = 20
MAX_QUERY = 500


class QueryProblem(ValueError):
    """A query we cannot run, with words for the person who typed it."""


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1


@dataclass
class Hit:
    source: str
    key: str
    title: str
    excerpt: Markup
    date: datetime | None
    facts: dict[str, str]


@dataclass
class SearchResults:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    dropped: int = 0  # hits the database no longer lets this user see (index lagging)


class _Mark(highlight.Formatter):
    """<mark> around matched terms; the text between is escaped."""

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment, replace=False):
        output, index = [], fragment.startchar
        text = fragment.text
        for token in fragment.matches:
            if token.startchar > index:
                output.append(str(escape(text[index : token.startchar])))
            output.append(self.format_token(text, token, replace))
            index = token.endchar
        output.append(str(escape(text[index : fragment.endchar])))
        return "".join(output)


def _parser(schema) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(SEARCH_FIELDS, schema, group=qparser.AndGroup)
    # -word excludes, +word requires; a hyphen inside a word (AM-E470) is part of the word.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.remove_plugin_class(qparser.WildcardPlugin)  # "*" would scan the whole index
    return parser


def parse(text: str, schema):
    text = " ".join(text.split())
    if len(text) > MAX_QUERY:
        raise QueryProblem(f"The search is too long; use at most {MAX_QUERY} characters.")
    if text.count('"') % 2:
        raise QueryProblem('A quotation mark is not closed; put a " at the end of the phrase.')
    for prefix in {p.split(":")[0].lower() for p in text.split() if ":" in p}:
        if prefix.strip('-+("') not in FIELD_NAMES and not prefix.startswith(("0x", "http")):
            known = ", ".join(sorted(FIELD_NAMES))
            raise QueryProblem(f"There is no field called “{prefix}”. You can use: {known}.")
    try:
        query = _parser(schema).parse(text)
    except Exception as exc:  # whoosh raises several kinds; all mean "cannot read this"
        raise QueryProblem(f"The search could not be understood ({exc}).") from None
    if text and query is NullQuery:
        raise QueryProblem("Every word was too common to search for; add a more specific word.")
    return query if text else Every()


def _narrowing(request: SearchRequest):
    """The facet and date filters the user chose, as a query (None when there are none)."""
    parts = []
    for name, values in request.filters.items():
        if name in {n for n, _ in FACETS} and values:
            parts.append(Or([Term(name, v) for v in values]))
    if request.date_from or request.date_to:
        start = datetime.combine(request.date_from, time.min) if request.date_from else None
        end = (
            datetime.combine(request.date_to + timedelta(days=1), time.min)
            if request.date_to
            else None
        )
        parts.append(DateRange("date", start, end, endexcl=True))
    return And(parts) if parts else None


# (index folder, generation, tokens) -> the documents those tokens may see. Nearly every
# document is public, so working this set out per query was most of a query's time.
_VISIBLE: dict[tuple, set[int]] = {}  # shared: never mutate a cached set
_VISIBLE_SIZE = 16


def _visible_docs(ix, searcher, actor: User) -> set[int]:
    tokens = tuple(policy.visibility_tokens(actor))
    key = (str(ix.storage.folder), ix.latest_generation(), tokens)
    docs = _VISIBLE.get(key)
    if docs is None:
        query = Or([Term("visibility", t) for t in tokens])
        docs = set(searcher.docs_for_query(query)) if tokens else set()
        if len(_VISIBLE) >= _VISIBLE_SIZE or any(k[:2] != key[:2] for k in _VISIBLE):
            _VISIBLE.clear()
        _VISIBLE[key] = docs
    return docs


def _allowed_docs(ix, searcher, actor: User, request: SearchRequest) -> set[int]:
    docs = _visible_docs(ix, searcher, actor)
    narrowing = _narrowing(request)
    if narrowing is not None:
        docs = docs & set(searcher.docs_for_query(narrowing))
    return docs


def _recheck(actor: User, fields: dict) -> object | None:
    """The row behind a hit, if it still exists and this user may see it."""
    kind, _, raw_id = fields["doc_id"].partition(":")
    if kind == "report":
        report = db.session.get(Report, int(raw_id))
        return report if report is not None and policy.can(actor, "report.view", report) else None
    record = db.session.get(LegacyRecord, int(raw_id))
    return record if record is not None and policy.can(actor, "legacy.read") else None


def _text_of(row) -> tuple[str, str]:
    if isinstance(row, Report):
        return row.title, "\n".join(t for t in (row.description, row.fix_description) if t)
    return row.short_description, "\n".join(t for t in (row.description, row.close_notes) if t)


# (index folder, generation) -> {facet: (values, value ids per document)}. An index
# generation never changes, so the table is built once per generation, not once per query.
_FACET_TABLES: dict[tuple[str, int], dict[str, tuple[list[str], list[tuple[int, ...]]]]] = {}


def _facet_table(ix, searcher) -> dict[str, tuple[list[str], list[tuple[int, ...]]]]:
    key = (str(ix.storage.folder), ix.latest_generation())
    table = _FACET_TABLES.get(key)
    if table is None:
        table = {}
        size = searcher.doc_count_all()
        for name, _ in FACETS:
            values = [
                v.decode("utf-8") if isinstance(v, bytes) else v for v in searcher.lexicon(name)
            ]
            per_doc: list[list[int]] = [[] for _ in range(size)]
            for value_id, value in enumerate(values):
                for docnum in searcher.postings(name, value).all_ids():
                    per_doc[docnum].append(value_id)
            table[name] = (values, [tuple(ids) for ids in per_doc])
        _FACET_TABLES.clear()  # keep only the newest generation
        _FACET_TABLES[key] = table
    return table


def facet_counts(ix, searcher, query, allowed: set[int]) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet value over every document matching the query and the filters."""
    table = _facet_table(ix, searcher)
    matched = [d for d in searcher.docs_for_query(query) if d in allowed]
    counts: dict[str, list[tuple[str, int]]] = {}
    for name, (values, per_doc) in table.items():
        tally = Counter(value_id for docnum in matched for value_id in per_doc[docnum])
        counts[name] = sorted(
            ((values[i], c) for i, c in tally.items() if values[i]), key=lambda vc: (-vc[1], vc[0])
        )
    return counts


def search(actor: User, request: SearchRequest) -> SearchResults:
    policy.require(actor, "search.use")
    results = SearchResults(page=max(request.page, 1))
    ix = open_index()
    if ix is None:
        return results
    query = parse(request.q, ix.schema)
    sortedby, reverse = None, False
    if request.sort in {"newest", "oldest"} or not request.q.strip():
        sortedby, reverse = "date", request.sort != "oldest"
    with ix.searcher() as searcher:
        allowed = _allowed_docs(ix, searcher, actor, request)
        found = searcher.search(
            query,
            filter=allowed,
            limit=results.page * PER_PAGE,
            sortedby=sortedby,
            reverse=reverse,
            terms=True,
        )
        found.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=60)
        found.formatter = _Mark()
        results.total = len(found)
        results.pages = math.ceil(results.total / PER_PAGE)
        results.facets = facet_counts(ix, searcher, query, allowed)
        start = (results.page - 1) * PER_PAGE
        for hit in list(found)[start : start + PER_PAGE]:
            fields = hit.fields()
            row = _recheck(actor, fields)
            if row is None:
                results.dropped += 1
                continue
            title, text = _text_of(row)
            excerpt = hit.highlights("body", text=text, top=2) if request.q.strip() else ""
            results.hits.append(
                Hit(
                    source=fields["source"],
                    key=fields["key"],
                    title=title,
                    excerpt=Markup(excerpt) if excerpt else escape(text[:240]),  # noqa: S704 - _Mark escapes
                    date=fields.get("date"),
                    facts={name: fields.get(name, "") for name, _ in FACETS},
                )
            )
    return results


def similar(actor: User, *, title: str, description: str, dmc: str, limit: int = 5) -> list[Hit]:
    """Records most like a report being written (duplicate hints)."""
    policy.require(actor, "search.use")
    ix = open_index()
    text = " ".join([title, description, dmc]).strip()
    if ix is None or not text:
        return []
    with ix.searcher() as searcher:
        terms = []
        for fieldname in ("title", "body", "dmc"):
            terms += [
                (fieldname, word)
                for word, _ in searcher.key_terms_from_text(fieldname, text, numterms=8)
            ]
        if not terms:
            return []
        query = Or([Term(f, w) for f, w in terms])
        allowed = _allowed_docs(ix, searcher, actor, SearchRequest())
        found = searcher.search(query, filter=allowed, limit=limit * 2)
        hits = []
        for hit in found:
            fields = hit.fields()
            row = _recheck(actor, fields)
            if row is None:
                continue
            hit_title, hit_text = _text_of(row)
            hits.append(
                Hit(
                    fields["source"],
                    fields["key"],
                    hit_title,
                    escape(hit_text[:200]),
                    fields.get("date"),
                    {},
                )
            )
            if len(hits) == limit:
                break
        return hits
