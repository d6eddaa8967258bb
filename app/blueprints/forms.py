"""Helpers shared by every blueprint's forms."""

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.services.errors import ValidationFailed


def apply_field_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Put a service's field errors back on the form, so it re-renders with them."""
    placed = False
    for name, messages in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


def form_status(form: FlaskForm) -> int:
    """422 when a submitted form is shown again with errors, 200 otherwise."""
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as select options."""
    return [SelectChoice(value, label) for value, label in pairs]
