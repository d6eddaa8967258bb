from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.blueprints.forms import optional_int, options
from app.models import OrganisationCategory, Role


class OrganisationForm(FlaskForm):
    name = StringField(
        "Organisation name",
        validators=[DataRequired("Enter the organisation's name."), Length(max=200)],
    )
    category = SelectField(
        "Category", choices=options(OrganisationCategory.choices()), validators=[DataRequired()]
    )
    manufacturer_ids = SelectMultipleField(
        "Manufacturers this organisation speaks for",
        coerce=int,
        description=(
            "Only for Device Manufacturer organisations. Hold Ctrl (or Cmd) to choose several."
        ),
    )
    submit = SubmitField("Save organisation")


class NewUserForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Enter the user's email address."),
            Length(max=254),
        ],
    )
    full_name = StringField(
        "Full name", validators=[DataRequired("Enter the user's full name."), Length(max=200)]
    )
    organisation_id = SelectField(
        "Organisation", coerce=int, validators=[DataRequired("Choose an organisation.")]
    )
    role = SelectField("Role", choices=options(Role.choices()), validators=[DataRequired()])
    manufacturer_id = SelectField(
        "Manufacturer (manufacturer users only)",
        coerce=optional_int,
        validators=[Optional()],
        description="The manufacturer this user speaks for; it must belong to their organisation.",
    )
    submit = SubmitField("Create user and send password link")


class ChangeRoleForm(FlaskForm):
    role = SelectField("Role", choices=options(Role.choices()), validators=[DataRequired()])
    manufacturer_id = SelectField(
        "Manufacturer (manufacturer users only)", coerce=optional_int, validators=[Optional()]
    )
    submit = SubmitField("Change role")


class UserActionForm(FlaskForm):
    """A button-only form (deactivate, reactivate, resend link); CSRF-protected."""

    action = HiddenField()
    submit = SubmitField()


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search users", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Search")


class CatalogueUploadForm(FlaskForm):
    file = FileField(
        "Catalogue CSV file",
        description=(
            "Columns: manufacturer, device_type, model, model_id_hex, hardware_version, "
            "firmware_versions (separated by ;)."
        ),
        validators=[
            FileRequired("Choose a CSV file to import."),
            FileAllowed(["csv", "txt"], "Choose a .csv file."),
        ],
    )
    partial = BooleanField("Import the valid rows even if some rows are invalid")
    submit = SubmitField("Import catalogue")


class CatalogueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Manufacturer, model or model id", validators=[Optional(), Length(max=200)])
    device_type = SelectField("Device type", validators=[Optional()])
    submit = SubmitField("Filter catalogue")


class AliasesForm(FlaskForm):
    aliases = TextAreaField(
        "Other names for this manufacturer",
        description="One per line; used to recognise the manufacturer in free text.",
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField("Save other names")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField("User (email contains)", validators=[Optional(), Length(max=254)])
    action = SelectField("Action", validators=[Optional()])
    date_from = DateField("From date", validators=[Optional()])
    date_to = DateField("To date", validators=[Optional()])
    submit = SubmitField("Filter audit log")


class RetryForm(FlaskForm):
    submit = SubmitField("Retry now")
