from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SubmitField

from app.blueprints.forms import options


class LegacyUploadForm(FlaskForm):
    file = FileField(
        "DSMS export file",
        description="CSV with the columns number, opened_at, closed_at, state, priority, "
        "category, subcategory, short_description, description, close_notes, work_notes; or "
        "JSON lines with the same keys. Larger files: use `flask legacy import`.",
        validators=[
            FileRequired("Choose a file to import."),
            FileAllowed(["csv", "txt", "jsonl", "ndjson"], "Choose a .csv or .jsonl file."),
        ],
    )
    format = SelectField(
        "File format", choices=options([("csv", "CSV"), ("jsonl", "JSON lines")]), default="csv"
    )
    submit = SubmitField("Import records")


class PromoteForm(FlaskForm):
    """No fields: the button, and the CSRF token."""

    submit = SubmitField("Promote to draft report")
