"""Redaction: every kind of personal data is replaced, and the technical tokens people search
for (versions, hex codes, model codes, references) survive; person names are found without a
list of the people, and the words that must survive (catalogue, regions, trade words,
ordinary words that are also names) do."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.services.redaction import (
    REDACTED,
    configured_names,
    name_finder,
    names_pattern,
    redact,
)
from tests.support import redaction_corpus

DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "data" / "demo_catalogue.csv"


@pytest.fixture(scope="module")
def finder():
    """The default name finder, with the demo catalogue's manufacturers and models kept."""
    with DEMO_CATALOGUE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return name_finder([s for row in rows for s in (row["manufacturer"], row["model"])])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Customer MPAN 1200023305967 lost supply", "mpan"),
        ("MPAN 12 0002 3305 967 reported", "mpan"),
        ("mpan: 1 2 0 0 0 2 3 3 0 5 9 6 7", "mpan"),
        ("Gas MPRN 7453210 no reads", "mprn"),
        ("MPRN 1234567890 valve", "mprn"),
        ("Contact jane.smith@brightwater.example.co.uk today", "email"),
        ("Call 01632 960001 after 5pm", "phone"),
        ("Mobile +44 7700 900123 for access", "phone"),
        ("Ring (020) 7946 0018", "phone"),
        ("tel 07700900123.", "phone"),
        ("Property at SW1A 1AA has no HAN", "postcode"),
        ("postcode m1 1ae checked", "postcode"),
        ("Site CR26XH visited", "postcode"),
    ],
)
def test_personal_data_is_redacted(text, kind):
    result = redact(text)
    assert REDACTED in result.text
    assert result.counts.get(kind) == 1, result
    digits = "".join(c for c in text if c.isdigit())
    if kind in {"mpan", "mprn", "phone"}:
        assert digits not in "".join(c for c in result.text if c.isdigit())


@pytest.mark.parametrize(
    "text",
    [
        "CHF firmware 3.2.1 and ESME 0x00020015 after update",
        "Alert 0x8F35 and 8F35 and 8014/8015 power factor",
        "Model AM-E470 hw 1.1, model id 0x0A1B",
        "DSMS incident INC0012345 and IDR-2026-00012",
        "52,000 meters in CSP North; about 4200 sites",
        "DCC alert N24 at 02:00 on 2026-03-05",
    ],
)
def test_technical_tokens_survive(text):
    assert redact(text).text == text


def test_names_from_a_configured_list_are_redacted_whole_word_any_case(tmp_path):
    names_file = tmp_path / "names.txt"
    names_file.write_text("# people seen in DSMS\nJane Smith\nPatel\n", encoding="utf-8")
    pattern = configured_names(str(names_file))
    result = redact("Spoke to JANE  SMITH and Mr patel; Patella meter unaffected", pattern)
    assert result.text == f"Spoke to {REDACTED} and Mr {REDACTED}; Patella meter unaffected"
    assert result.counts == {"name": 2}


def test_no_names_file_configured_means_no_list():
    assert names_pattern(["", "  "]) is None
    assert configured_names(None) is None
    assert configured_names("/no/such/file.txt") is None


@pytest.mark.parametrize("corpus", ["redaction_corpus.txt", "redaction_heldout.txt"])
def test_names_in_ordinary_sentences_are_redacted_and_what_must_survive_does(finder, corpus):
    # Recall of the planted names, and every word of the text that must survive (catalogue
    # names, region labels and places, Comms Hub and firmware words, months and days,
    # ordinary words that are also names) kept; the figures are in docs/decisions.md.
    path = redaction_corpus.CORPUS.with_name(corpus)
    score = redaction_corpus.score(lambda text: redact(text, finder=finder).text, path)
    assert score.planted >= 30
    assert score.recall >= 0.95, score.survived
    assert score.lost == []
    assert score.kept_words >= 300


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Spoke to Will about the IHD", f"Spoke to {REDACTED} about the IHD"),
        ("Will the fix be in the May release?", "Will the fix be in the May release?"),
        ("Engineer Mark replaced the hub", f"Engineer {REDACTED} replaced the hub"),
        ("Engineer Visit Booked For Thursday", "Engineer Visit Booked For Thursday"),
        ("customer called in May", "customer called in May"),
        ("Mrs O'Neill and Mr Smith-Jones", f"Mrs {REDACTED} and Mr {REDACTED}"),
        ("Name: SARAH JONES", f"Name: {REDACTED}"),
        ("customer ESME off the HAN", "customer ESME off the HAN"),
        ("Kind regards,\nSiobhan Byrne", f"Kind regards,\n{REDACTED}"),
        ("Signed off by J. Murphy", f"Signed off by {REDACTED}"),
        ("Jane Hall and Tom attended", f"{REDACTED} and {REDACTED} attended"),
        ("Hall Effect Sensor; Mark Read; Will Young Street", None),
        ("Comms Hub firmware in CSP North, London and South Wales", None),
        ("Power Cut Alert Storm In CSP Central After Firmware Update", None),
    ],
)
def test_names_are_found_by_cue_and_gazetteer(finder, text, expected):
    assert redact(text, finder=finder).text == (text if expected is None else expected)


def test_catalogue_names_are_never_taken_for_names():
    text = "Morgan Reid MR-200 meters lose the HAN; Sarah Patel confirmed"
    assert redact(text, finder=name_finder()).text.startswith(f"{REDACTED} MR-200")
    kept = redact(text, finder=name_finder(["Morgan Reid Instruments", "MR-200"])).text
    assert kept == f"Morgan Reid MR-200 meters lose the HAN; {REDACTED} confirmed"


def test_the_names_file_adds_to_the_default_finder(finder, tmp_path):
    names_file = tmp_path / "names.txt"
    names_file.write_text("Quixby Marrowfield\n", encoding="utf-8")
    text = "Quixby Marrowfield and Jane Smith were at the property"
    assert (
        redact(text, finder=finder).text
        == f"Quixby Marrowfield and {REDACTED} were at the property"
    )
    both = redact(text, configured_names(str(names_file)), finder)
    assert both.text == f"{REDACTED} and {REDACTED} were at the property"
    assert both.counts == {"name": 2}


def test_empty_text():
    assert redact(None).text == "" and not redact("").changed
