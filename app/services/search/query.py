"""Searching: plain-language queries (AND by default, "phrases", -exclusion, field:value for
power users), facet filters and counts, sorting, highlighted excerpts and paging. Results are
filtered by the user's visibility tokens in the index and every hit is checked again against
the database before it is shown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from markupsafe import Markup, escape
from whoosh import highlight, qparser
from whoosh.query import And, AndNot, Every, NullQuery, Or, Term
from whoosh.query.qcore import QueryError

from app.extensions import db
from app.models import LegacyRecord, Report, User
from app.services import policy
from app.services.search.index import IndexOutdated, open_index
from app.services.search.schema import FACETS
from app.services.search.segments import DocumentsQuery, DocumentView, Rules, matching_docs

# `body:`, `dmc:` and `codes:` (documented before the fields were merged) mean `text:`.
TEXT_ALIASES = ("body", "dmc", "codes")
FIELD_NAMES = {name for name, _ in FACETS} | {"text", "title", *TEXT_ALIASES}
PER_PAGE = 20
# Facets whose counts, without a query, would rank manufacturers by number of records.
NO_TOTALS = ("manufacturer", "model")
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
    estimated: bool = False  # total is an estimate; hits and counts are from the newest
    considered: int = 0  # the newest documents the hits and counts come from, when estimated


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
    parser = qparser.QueryParser("text", schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FieldAliasPlugin({"text": list(TEXT_ALIASES)}))
    # -word excludes, +word requires; a hyphen inside a word (AM-E470) is part of the word.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    # "*" and [a TO z] expand to every term in a range of the lexicon: seconds per query.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.remove_plugin_class(qparser.RangePlugin)
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
    if text and query is NullQuery and all(word.startswith("-") for word in text.split()):
        # Only exclusions ("-meter"): everything except them.
        excluded = [parse(word[1:], schema) for word in text.split() if word[1:]]
        return AndNot(Every(), Or(excluded)) if excluded else Every()
    if text and query is NullQuery:
        raise QueryProblem("Every word was too common to search for; add a more specific word.")
    return query if text else Every()


def _rules(actor: User, request: SearchRequest) -> Rules:
    """What the user may see, narrowed by the facets and dates they chose."""
    facets = {name for name, _ in FACETS}
    return Rules(
        tokens=frozenset(policy.visibility_tokens(actor)),
        filters=tuple(
            (name, frozenset(values))
            for name, values in sorted(request.filters.items())
            if name in facets and values
        ),
        date_from=datetime.combine(request.date_from, time.min) if request.date_from else None,
        date_to=(
            datetime.combine(request.date_to + timedelta(days=1), time.min)
            if request.date_to
            else None
        ),
    )


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


def _open():
    try:
        return open_index()
    except IndexOutdated as exc:
        current_app.logger.error("search: %s", exc)
        raise QueryProblem(
            "Search is unavailable until an administrator rebuilds the search index."
        ) from None


def _candidates() -> int:
    # Scoring every posting of common words in pure Python takes most of a second at a
    # quarter of a million documents; ranking among the newest bounds it (docs/decisions.md).
    return current_app.config["SEARCH_CANDIDATES"]


def _matches(
    searcher, view: DocumentView, query, *, oldest_first: bool = False
) -> tuple[list[int], int, bool]:
    """The documents to rank and count: every allowed match when the query is selective,
    else the matches among the newest (or oldest) allowed documents. Returns them, the total
    (estimated when bounded) and whether it is exact."""
    candidates = _candidates()
    try:
        size = query.estimate_size(searcher.reader())
    except (NotImplementedError, AttributeError):
        size = searcher.doc_count_all()
    if size <= candidates:
        matched = [d for d in matching_docs(searcher, query) if view.allowed(d)]
        return matched, len(matched), True
    pool, allowed_total, complete = view.newest(candidates, oldest_first=oldest_first)
    matched = list(matching_docs(searcher, And([query, DocumentsQuery(searcher, pool)])))
    if complete:
        return matched, len(matched), True
    return matched, round(len(matched) / len(pool) * allowed_total), False


def _hit(actor: User, fields: dict, excerpt) -> Hit | None:
    """A result to show, or None when the database no longer lets this user see it."""
    row = _recheck(actor, fields)
    if row is None:
        return None
    title, text = _text_of(row)
    excerpt = excerpt(text)
    return Hit(
        source=fields["source"],
        key=fields["key"],
        title=title,
        excerpt=Markup(excerpt) if excerpt else escape(text[:240]),  # noqa: S704 - _Mark escapes
        date=fields.get("date"),
        facts={name: fields.get(name, "") for name, _ in FACETS},
    )


def search(actor: User, request: SearchRequest) -> SearchResults:
    policy.require(actor, "search.use")
    results = SearchResults(page=max(request.page, 1))
    ix = _open()
    if ix is None:
        return results
    query = parse(request.q, ix.schema)
    start = (results.page - 1) * PER_PAGE
    with ix.searcher() as searcher:
        view = DocumentView(str(ix.storage.folder), searcher, _rules(actor, request))
        oldest_first = request.sort == "oldest"
        if request.q.strip():
            try:
                matched, results.total, exact = _matches(
                    searcher, view, query, oldest_first=oldest_first
                )
                found = searcher.search(
                    And([query, DocumentsQuery(searcher, matched)]),
                    limit=start + PER_PAGE,
                    sortedby="date" if request.sort in {"newest", "oldest"} else None,
                    reverse=request.sort == "newest",
                    terms=True,
                )
            except QueryError:  # a phrase in a field that keeps no word positions
                raise QueryProblem(
                    "Phrases in quotation marks can only be searched in the full text, "
                    "not with title: or a filter field."
                ) from None
            found.fragmenter = highlight.ContextFragmenter(maxchars=240, surround=60)
            found.formatter = _Mark()
            page = [
                (hit.fields(), lambda text, hit=hit: hit.highlights("text", text=text, top=2))
                for hit in list(found)[start:]
            ]
        else:  # browsing: newest (or oldest) first
            matched, results.total, exact = view.newest(_candidates(), oldest_first=oldest_first)
            page = [
                (searcher.stored_fields(docnum), lambda text: "")
                for docnum in matched[start : start + PER_PAGE]
            ]
        results.estimated = not exact
        results.considered = _candidates() if results.estimated else len(matched)
        results.pages = math.ceil(len(matched) / PER_PAGE)
        results.facets = view.facet_counts(matched, [name for name, _ in FACETS])
        if not request.q.strip():
            # No league tables (DESIGN §3): without a query these would be totals per maker.
            for name in NO_TOTALS:
                results.facets[name] = sorted((value, None) for value, _ in results.facets[name])
        for fields, excerpt in page:
            hit = _hit(actor, fields, excerpt)
            if hit is None:
                results.dropped += 1
            else:
                results.hits.append(hit)
    return results


def similar(
    actor: User,
    *,
    title: str,
    description: str,
    dmc: str,
    limit: int = 5,
    exclude: frozenset[str] = frozenset(),
) -> list[Hit]:
    """Records most like a report being written (duplicate hints): the records sharing its
    most telling words, ranked like a search (bounded to the newest when those words are
    all common), then checked against what the user may see."""
    policy.require(actor, "search.use")
    text = " ".join([title, description, dmc]).strip()
    if not text:
        return []
    try:
        return _similar(actor, text, limit, exclude)
    except Exception:  # hints are a help, not a step: the draft page works without them
        current_app.logger.exception("search: duplicate hints failed")
        return []


def _similar(actor: User, text: str, limit: int, exclude: frozenset[str]) -> list[Hit]:
    ix = _open()
    if ix is None:
        return []
    with ix.searcher() as searcher:
        words = [word for word, _ in searcher.key_terms_from_text("text", text, numterms=12)]
        if not words:
            return []
        # The rarer words say most about a record and cost least to look up.
        rare = [w for w in words if searcher.doc_frequency("text", w) <= _candidates()]
        # With only common words, the four most telling bound the cost of ranking.
        query = Or([Term("text", w) for w in rare or words[:4]])
        view = DocumentView(
            str(ix.storage.folder), searcher, Rules(frozenset(policy.visibility_tokens(actor)))
        )
        matched, _, _ = _matches(searcher, view, query)
        found = searcher.search(And([query, DocumentsQuery(searcher, matched)]), limit=limit * 3)
        hits = []
        for hit in found:
            if hit["key"] in exclude:
                continue
            shown = _hit(actor, hit.fields(), lambda _text: "")
            if shown is not None:
                hits.append(shown)
            if len(hits) == limit:
                break
        return hits
