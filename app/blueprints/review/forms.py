from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from app.blueprints.forms import options
from app.models import FixType
from app.services.review import RESPONSES


class ResponseForm(FlaskForm):
    version = HiddenField()
    response = RadioField(
        "Do you agree with the report?",
        choices=options((r.value, r.label) for r in RESPONSES),
        validators=[DataRequired("Choose your response.")],
    )
    text = TextAreaField("Reasons or comments", description="Required when you dispute the report.")
    fix_type = SelectField(
        "Fix type",
        choices=options([("", "— only when adding or correcting a fix —"), *FixType.choices()]),
        validate_choice=False,  # checked by the service, only when a fix is given
    )
    fix_firmware = StringField("Fixed in firmware version", validators=[Length(max=40)])
    fix_description = TextAreaField("Fix description")
    statement = TextAreaField("Statement")
    publish_statement = BooleanField("Publish this statement with the record")
    submit = SubmitField("Send response")
