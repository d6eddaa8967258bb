from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from app.blueprints.forms import options
from app.services.publication_records import finished_months


class BuildEditionForm(FlaskForm):
    month = SelectField(
        "Edition month",
        description="A UK calendar month that is over: a month's edition can be built from "
        "the 1st of the month after. For older months the operator runs "
        "flask publication build.",
    )
    new_version = BooleanField(
        "Make a new version (the month already has an issued edition, which is kept)"
    )
    reason = TextAreaField(
        "Reason for the new version",
        description="Needed only for a new version: it is recorded and printed on its cover.",
        validators=[Length(max=2000)],
    )
    submit = SubmitField("Build edition")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        months = finished_months()
        self.month.choices = options((m.key, m.label) for m in months)
        if self.month.data is None and not self.is_submitted():
            self.month.data = months[0].key  # the month just completed
