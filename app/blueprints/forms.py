"""Helpers shared by every blueprint's forms."""

from collections.abc import Iterable

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

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


class CheckboxesField(SelectMultipleField):
    """Several choices as a group of checkboxes: a Ctrl/Cmd multi-select is a trap for
    anyone who has not met one (a click drops what was chosen before)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as select options."""
    return [SelectChoice(value, label) for value, label in pairs]


MAX_ID = 2**31 - 1  # the largest id either database stores
MAX_PAGE = 100_000


def optional_int(value) -> int | None:
    """Coerce a submitted id: empty is None; anything else must be a plausible id."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError("not a valid id")
    return number


def id_or_zero(value) -> int:
    """A posted id, or 0 (which matches nothing) when it is missing or mangled."""
    try:
        return optional_int(value) or 0
    except (TypeError, ValueError):
        return 0


def page_number() -> int:
    """The ?page= of a list, kept within sane bounds."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
