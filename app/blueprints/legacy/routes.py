"""A legacy DSMS record: its redacted text and the facts found in it."""

from flask import render_template
from flask_login import current_user

from app.blueprints.legacy import bp
from app.services import legacy


@bp.route("/<number>")
def detail(number: str):
    record = legacy.get_record(current_user, number)
    return render_template(
        "legacy/detail.html",
        record=record,
        labels=legacy.FACT_LABELS,
        has_fix=legacy.has_fix(record),
    )
