from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import DataRequired

from app.blueprints.forms import options
from app.models import Delivery


class MarkReadForm(FlaskForm):
    """A button-only form (mark one or all as read); CSRF-protected."""

    submit = SubmitField("Mark as read")


class DeliveryForm(FlaskForm):
    delivery = SelectField(
        "Send me e-mail",
        choices=options(Delivery.choices()),
        validators=[DataRequired("Choose how you want to receive e-mail.")],
        description="Every notification is also listed on this page, whichever you choose.",
    )
    submit = SubmitField("Save e-mail preference")
