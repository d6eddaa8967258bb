from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from app.blueprints.forms import options
from app.services.publication_records import recent_months


class BuildEditionForm(FlaskForm):
    month = SelectField(
        "Edition month",
        description="A UK calendar month. An edition is usually built early in the month "
        "after, once the month is complete. For older months the operator runs "
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
        months = recent_months()
        self.month.choices = options((m.key, m.label) for m in months)
        if self.month.data is None and not self.is_submitted():
            self.month.data = months[1].key  # the month just completed
