"""Redaction: every kind of personal data is replaced, and the technical tokens people search
for (versions, hex codes, model codes, references) survive."""

from __future__ import annotations

import pytest

from app.services.redaction import REDACTED, configured_names, names_pattern, redact


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


def test_no_names_configured_means_no_name_redaction():
    assert names_pattern(["", "  "]) is None
    assert configured_names(None) is None
    assert configured_names("/no/such/file.txt") is None
    assert redact("Jane Smith").text == "Jane Smith"


def test_empty_text():
    assert redact(None).text == "" and not redact("").changed
