"""Search: the analyzer, indexing through the outbox, queries, facets, visibility, drift."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from whoosh import index as whoosh_index
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.fields import ID, TEXT, Schema

from app.extensions import db
from app.models import LegacyRecord, Manufacturer, OutboxMessage, Report, User
from app.services import legacy_import, outbox
from app.services.search import index as search_index
from app.services.search import query as search_query
from app.services.search import segments
from app.services.search.analysis import register_analyzer
from app.services.search.query import QueryProblem, SearchRequest, search
from tests.conftest import sign_in
from tests.support.reports import build_cast, walk_to

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "legacy_sample.csv"


def terms(text: str, mode: str = "index") -> list[str]:
    return [t.text for t in register_analyzer()(text, mode=mode)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("firmware 3.2.1", ["firmwar", "3.2.1"]),
        ("v3.2.1", ["3.2.1"]),
        ("0x00020015", ["00020015", "0x00020015"]),
        ("alert 0x8F35", ["alert", "8f35", "0x8f35"]),
        ("8F35", ["8f35"]),
        ("AM-E470", ["am-e470", "am", "e470", "ame470"]),
        ("supplier's meters", ["supplier", "meter"]),
        ("supplier\u2019s", ["supplier"]),
        ("don't", ["dont"]),
    ],
)
def test_tokens_are_kept_whole_and_normalised(text, expected):
    assert terms(text) == expected


def test_a_query_word_means_one_term():
    assert terms("AM-E470 0x8f35 dropping", mode="query") == ["am-e470", "8f35", "drop"]


@pytest.fixture
def world(app):
    with app.app_context():
        cast = build_cast()
        maker = db.session.get(Manufacturer, cast.makers["aldermoor"])
        maker.aliases = ["Aldermoor", "AML"]
        db.session.commit()
        published = walk_to(cast, "published").reference
        hidden = walk_to(cast, "in_validation", title="Secret clock drift on gas meters").reference
        sensitive = walk_to(
            cast, "published", security_sensitive=True, title="Sensitive key handling flaw"
        ).reference
        legacy_import.import_stream(io.BytesIO(SAMPLE.read_bytes()), actor=None)
        outbox.drain()
        return cast, {"published": published, "hidden": hidden, "sensitive": sensitive}


def keys(app, cast, viewer: str, q: str, **kw) -> list[str]:
    with app.app_context():
        results = search(cast.user(viewer), SearchRequest(q=q, **kw))
        return [hit.key for hit in results.hits]


def test_changes_reach_the_index_through_the_outbox(app, world):
    _, refs = world
    with app.app_context():
        assert search_index.verify().clean
        report = db.session.scalar(sa.select(Report).where(Report.reference == refs["hidden"]))
        report.title = "Clock drift, retitled"
        db.session.commit()
        message = db.session.scalar(
            sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1)
        )
        assert message.kind == "search.index" and message.payload["report"] == [report.id]
        assert search_index.verify().stale == [f"report:{report.id}"]
        outbox.drain()
        assert search_index.verify().clean


@pytest.mark.parametrize(
    "query",
    ["8F35", "0x8f35", "3.2.1", "AM-E470", "AM E470", "ame470", '"drops ESME off"', "dropping"],
)
def test_technical_and_prose_queries_find_the_record(app, world, query):
    cast, refs = world
    assert refs["published"] in keys(app, cast, "other_party", query)


def test_and_by_default_exclusion_and_fields(app, world):
    cast, refs = world
    assert keys(app, cast, "other_party", "ESME nonexistentword") == []
    assert refs["published"] not in keys(app, cast, "other_party", "ESME -firmware")
    assert "INC0010002" in keys(app, cast, "other_party", "alert_code:8014")


def test_legacy_records_are_found_and_redacted_in_the_index(app, world):
    cast, _ = world
    assert "INC0010001" in keys(app, cast, "other_party", "HAN comms hub")
    index_bytes = b"".join(
        p.read_bytes() for p in Path(app.config["SEARCH_INDEX_DIR"]).rglob("*") if p.is_file()
    )
    for planted in (b"1200023305967", b"SW1A", b"01632", b"960001"):
        assert planted not in index_bytes


def test_visibility_is_applied_in_the_index_and_rechecked(app, world):
    cast, refs = world
    assert refs["hidden"] not in keys(app, cast, "other_party", "clock drift")
    assert refs["hidden"] in keys(app, cast, "colleague", "clock drift")
    assert refs["hidden"] in keys(app, cast, "validator", "clock drift")
    assert refs["sensitive"] not in keys(app, cast, "secas", "key handling")
    assert refs["sensitive"] in keys(app, cast, "ssc", "key handling")
    # The database is the final word: a hit the policy no longer allows is dropped.
    with app.app_context():
        report = db.session.scalar(sa.select(Report).where(Report.reference == refs["published"]))
        report.security_sensitive = True
        db.session.commit()  # the index update is still waiting in the outbox
        results = search(cast.user("other_party"), SearchRequest(q="8F35"))
        assert refs["published"] not in [h.key for h in results.hits] and results.dropped == 1


def test_facets_count_matches_and_filter(app, world):
    cast, _ = world
    with app.app_context():
        results = search(cast.user("other_party"), SearchRequest(q="HAN"))
        facets = dict(results.facets["source"])
        assert facets == {"legacy": 1, "report": 1}
        narrowed = search(
            cast.user("other_party"), SearchRequest(q="HAN", filters={"source": ["legacy"]})
        )
        assert [h.key for h in narrowed.hits] == ["INC0010001"]
        assert "<mark>" in str(narrowed.hits[0].excerpt)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unclosed phrase', "quotation mark is not closed"),
        ("colour:red", "no field called"),
        ("the and of", "too common"),
        ("x" * 600, "too long"),
    ],
)
def test_malformed_queries_are_explained(app, world, query, message):
    cast, _ = world
    with app.app_context(), pytest.raises(QueryProblem, match=message):
        search(cast.user("other_party"), SearchRequest(q=query))


def test_rebuild_and_verify(app, world, runner):
    with app.app_context():
        search_index.apply_changes(legacy_ids=[])  # no-op writer round trip
        count = db.session.scalar(sa.select(sa.func.count()).select_from(LegacyRecord))
        ix = search_index.open_index()
        writer = ix.writer()
        writer.delete_by_term("doc_id", "legacy:1")
        writer.add_document(doc_id="legacy:999", key="GHOST", stamp="x", visibility="public")
        writer.commit()
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1
    assert "1 missing" in result.output and "1 orphan" in result.output
    rebuilt = runner.invoke(args=["search", "rebuild"])
    assert rebuilt.exit_code == 0 and f"{count + 3} documents" in rebuilt.output
    assert runner.invoke(args=["search", "verify"]).exit_code == 0


def _dated_records(count: int, rare_every: int) -> bytes:
    """Legacy records one day apart, all about meters; every n-th also mentions valves."""
    rows = ["number,opened_at,short_description,description"]
    for n in range(1, count + 1):
        extra = " and a stuck valve" if n % rare_every == 0 else ""
        rows.append(f"INC{n:07d},2024-01-{n:02d} 09:00:00,Meter reading {n},meter reading{extra}")
    return "\n".join(rows).encode()


@pytest.fixture
def dated(app, make_user):
    app.config["SEARCH_CANDIDATES"] = 10
    with app.app_context():
        rows = _dated_records(30, 6).splitlines()
        for part in (rows[:16], rows[:1] + rows[16:]):  # two index commits: two segments
            legacy_import.import_stream(io.BytesIO(b"\n".join(part)), actor=None)
            outbox.drain()
        assert len(search_index.open_index()._segments()) > 1
    return make_user("party")


def run(user, **kw):
    return search(db.session.get(User, user.id), SearchRequest(**kw))


def test_common_words_are_ranked_among_the_newest_with_an_estimate(app, dated):
    with app.app_context():
        results = run(dated, q="meter")
    newest_ten = {f"INC{n:07d}" for n in range(21, 31)}
    assert results.estimated and results.considered == 10
    assert results.total == 30  # every candidate matched, so the estimate is the whole set
    assert {hit.key for hit in results.hits} == newest_ten
    assert sum(count for _, count in results.facets["source"]) == 10


def test_a_selective_word_searches_everything_exactly(app, dated):
    with app.app_context():
        results = run(dated, q="valve")
    assert not results.estimated
    assert sorted(hit.key for hit in results.hits) == [f"INC{n:07d}" for n in (6, 12, 18, 24, 30)]
    assert results.total == 5 and dict(results.facets["source"]) == {"legacy": 5}


def test_browsing_shows_the_newest_first_and_estimates_the_total(app, dated):
    with app.app_context():
        newest = run(dated)
        oldest = run(dated, sort="oldest")
    assert [h.key for h in newest.hits][:3] == ["INC0000030", "INC0000029", "INC0000028"]
    assert [h.key for h in oldest.hits][:2] == ["INC0000001", "INC0000002"]
    assert newest.estimated and newest.total == 30


def test_estimated_totals_are_worded_as_estimates(app, dated, client):
    sign_in(client, dated)
    page = client.get("/search?q=meter").get_data(as_text=True)
    assert "About 30 results" in page and "10 newest records" in page


def test_the_drain_applies_waiting_index_updates_in_one_commit(app):
    with app.app_context():
        legacy_import.import_stream(io.BytesIO(_dated_records(30, 6)), actor=None, batch_size=7)
        waiting = db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.kind == "search.index")
        )
        result = outbox.drain()
        ix = search_index.open_index()
        assert waiting == 5 and result.done == 5
        assert len(ix._segments()) == 1 and search_index.document_count() == 30
        assert search_index.verify().clean


def test_a_rebuild_numbers_documents_in_date_order(app):
    rows = _dated_records(30, 6).splitlines()
    newest_first = b"\n".join([rows[0], *reversed(rows[1:])])
    with app.app_context():
        legacy_import.import_stream(io.BytesIO(newest_first), actor=None)
        search_index.rebuild()
        with search_index.open_index().searcher() as searcher:
            dates = [searcher.stored_fields(d)["date"] for d in range(searcher.doc_count_all())]
    assert len(dates) == 30 and dates == sorted(dates)


def test_the_writer_saves_each_segments_tables_beside_it(app, dated):
    folder = Path(app.config["SEARCH_INDEX_DIR"])
    with app.app_context():
        live = {s.segment_id() for s in search_index.open_index()._segments()}
        saved = {p.name.removesuffix(segments.TABLE_SUFFIX) for p in folder.glob("*.pickle")}
        assert saved == live and len(live) > 1
        for path in folder.glob("*.pickle"):
            path.unlink()  # a worker builds them in memory when they are missing
        segments._TABLES.clear()
        assert run(dated, q="valve").total == 5
        search_index.rebuild()  # one new segment; the tables of the old ones go
        assert [p.name for p in folder.glob("*.pickle")] == [
            f"{s.segment_id()}{segments.TABLE_SUFFIX}"
            for s in search_index.open_index()._segments()
        ]


def test_an_index_of_an_earlier_shape_is_reported_until_rebuilt(app, dated, client):
    folder = Path(app.config["SEARCH_INDEX_DIR"])
    with app.app_context():
        for path in folder.iterdir():
            path.unlink()
        whoosh_index.create_in(folder, Schema(doc_id=ID(stored=True), body=TEXT), "register")
        with pytest.raises(QueryProblem, match="administrator rebuilds the search index"):
            run(dated, q="valve")
        assert not search_index.verify().clean
    sign_in(client, dated)
    page = client.get("/search?q=valve")
    assert page.status_code == 200 and "administrator rebuilds" in page.get_data(as_text=True)
    assert client.get("/healthz").get_json()["search_index"]["status"] == "outdated"
    with app.app_context():
        search_index.rebuild()
        assert run(dated, q="valve").total == 5 and search_index.verify().clean


def test_the_estimate_names_how_many_newest_records_were_ranked(app, dated):
    with app.app_context():
        results = run(dated, q="valve meter")  # five records match, as many as are candidates
        app.config["SEARCH_CANDIDATES"] = 3
        bounded = run(dated, q="meter -valve")  # the newest three are 30 (valve), 29, 28
    assert not results.estimated and results.total == 5
    assert bounded.estimated and bounded.considered == 3
    assert sorted(hit.key for hit in bounded.hits) == ["INC0000028", "INC0000029"]
    assert bounded.total == 20  # two in three of the 30 records


class RetiredFilter(Filter):
    """Stands for an analyzer class an earlier release pickled into its index schema."""

    def __call__(self, tokens):
        yield from tokens


def test_an_index_naming_a_retired_analyzer_class_is_outdated_not_a_crash(app, dated, client):
    folder = Path(app.config["SEARCH_INDEX_DIR"])
    with app.app_context():
        for path in folder.iterdir():
            path.unlink()
        analyzer = RegexTokenizer() | RetiredFilter()
        whoosh_index.create_in(folder, Schema(body=TEXT(analyzer=analyzer)), "register")
    retired = globals().pop("RetiredFilter")  # the upgraded code no longer has it
    try:
        with app.app_context():
            with pytest.raises(search_index.IndexOutdated):
                search_index.open_index()
            assert not search_index.verify().clean
            user = db.session.get(User, dated.id)
            assert search_query.similar(user, title="meter", description="valve", dmc="") == []
        sign_in(client, dated)
        assert "administrator rebuilds" in client.get("/search?q=valve").get_data(as_text=True)
        assert client.get("/healthz").get_json()["search_index"]["status"] == "outdated"
    finally:
        globals()["RetiredFilter"] = retired


@pytest.mark.parametrize(
    ("query", "message"),
    [('title:"meter reading"', "only be searched in the full text")],
)
def test_a_phrase_in_a_field_without_positions_is_explained(app, dated, query, message):
    with app.app_context(), pytest.raises(QueryProblem, match=message):
        run(dated, q=query)


def test_oldest_first_with_a_broad_query_ranks_the_oldest(app, dated):
    with app.app_context():
        results = run(dated, q="meter", sort="oldest")
    assert [h.key for h in results.hits][:3] == ["INC0000001", "INC0000002", "INC0000003"]


def test_exclusions_alone_and_ranges_are_read_as_words(app, dated):
    with app.app_context():
        without = run(dated, q="-valve")
        ranged = run(dated, q="[a TO z]")  # not a range over the whole lexicon
    assert without.hits and all(int(h.key[3:]) % 6 for h in without.hits)
    assert ranged.total == 0


def test_a_damaged_saved_table_is_read_from_the_postings_instead(app, dated):
    folder = Path(app.config["SEARCH_INDEX_DIR"])
    with app.app_context():
        for path in folder.glob("*.pickle"):
            path.write_bytes(b"\x80\x09 not a pickle")
        segments._TABLES.clear()
        assert run(dated, q="valve").total == 5


def test_browsing_shows_no_totals_per_manufacturer(app, dated):
    with app.app_context():
        browsing = run(dated)
    assert all(count is None for _, count in browsing.facets["manufacturer"])
    assert all(count is None for _, count in browsing.facets["model"])
    assert all(count for _, count in browsing.facets["source"])


def test_deleted_documents_do_not_lower_the_estimate(app, dated):
    rows = _dated_records(30, 6).splitlines()
    changed = b"\n".join(
        [rows[0], *(r.replace(b"meter reading", b"meter readings") for r in rows[21:])]
    )
    with app.app_context():
        legacy_import.import_stream(io.BytesIO(changed), actor=None)  # 9 records replaced
        outbox.drain()
        browsing = run(dated)
    assert browsing.estimated and browsing.total == 30
