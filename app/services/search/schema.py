"""The one index of reports and legacy records (DESIGN §5)."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema

from app.services.search.analysis import register_analyzer

# Facets: (field, label). Multi-valued keyword fields, stored so hits can be grouped.
FACETS = (
    ("source", "Source"),
    ("kind", "Kind"),
    ("device_type", "Device type"),
    ("manufacturer", "Manufacturer"),
    ("model", "Model"),
    ("firmware", "Firmware"),
    ("region", "CSP region"),
    ("alert_code", "Alert code"),
    ("has_fix", "Fix known"),
    ("state", "State"),
)
# Fields whose values per document are read into memory once per index segment (see
# segments.py), so filters, visibility and facet counts need no posting lists per query.
TABLE_FIELDS = (*(name for name, _ in FACETS), "visibility")


def _facet() -> KEYWORD:
    return KEYWORD(stored=True, commas=True, lowercase=False, scorable=False)


def build_schema() -> Schema:
    analyzer = register_analyzer()
    return Schema(
        doc_id=ID(unique=True, stored=True),
        key=ID(stored=True),
        # Whether the document reflects the database row as it is: verify compares it.
        stamp=ID(stored=True),
        # Everything searchable in one field (title, DMC, then the rest, each section with
        # its own boost; see analysis.py): one posting list per word is what keeps a query
        # over a quarter of a million documents fast. `title` serves `title:` queries only.
        text=TEXT(analyzer=analyzer, phrase=True),
        title=TEXT(analyzer=analyzer, phrase=False),
        visibility=KEYWORD(commas=True, lowercase=False, scorable=False),
        date=DATETIME(stored=True, sortable=True),
        **{name: _facet() for name, _ in FACETS},
    )
