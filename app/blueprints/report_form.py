"""The report form, shared by reporters (drafts) and validators (edits and revisions).

Devices of the DMC are a list of sub-forms; "Add another device" posts the form back and gets
it again with one more empty device, so it works without JavaScript."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.blueprints.forms import CheckboxesField, optional_int, options
from app.models import (
    CspRegion,
    DeviceType,
    FixType,
    Impact,
    Occurrence,
    Report,
    ReportKind,
    RootCauseStatus,
)
from app.services import catalogue, reports
from app.services.errors import StaleEdit
from app.services.report_data import DeviceInput, ReportInput

MAX_DEVICES = 12


class DeviceForm(Form):
    device_model_id = SelectField(
        "Device from the catalogue", coerce=optional_int, validate_choice=False
    )
    device_type = SelectField(
        "Device type (if not in the catalogue)",
        choices=options([("", "— choose —"), *DeviceType.choices()]),
        validate_choice=False,  # the service checks it, with the device's number
    )
    manufacturer_name = StringField(
        "Manufacturer (if not in the catalogue)", validators=[Length(max=200)]
    )
    model_name = StringField("Model (if not in the catalogue)", validators=[Length(max=120)])
    hardware_version = StringField(
        "Hardware version (if not in the catalogue)", validators=[Length(max=40)]
    )
    firmware_version = StringField("Firmware version", validators=[Length(max=40)])


def question(label: str, choices, message: str, **kwargs) -> RadioField:
    """A required question answered with radios, none chosen until the user chooses: a
    pre-selected answer is filed as given when someone skips it."""
    return RadioField(
        label, choices=options(choices), validators=[InputRequired(message)], **kwargs
    )


FIX_KNOWN = [("no", "No fix is known yet"), ("yes", "A fix is known")]
FIX_FIELDS = ("fix_type", "fix_firmware", "fix_description", "fix_source")


class ReportForm(FlaskForm):
    version = HiddenField()
    kind = question("Kind of report", ReportKind.choices(), "Choose the kind of report.")
    title = StringField(
        "Title",
        validators=[DataRequired("Enter a title."), Length(max=200)],
        description="One line that someone searching would recognise.",
    )
    description = TextAreaField(
        "What happens",
        validators=[DataRequired("Enter a description.")],
        description="What you see, when, and what you have tried. Do not include customer "
        "details such as MPANs, addresses or names.",
    )
    devices = FieldList(
        FormField(DeviceForm), label="Devices (DMC)", min_entries=1, max_entries=MAX_DEVICES
    )
    add_device = SubmitField("Add another device")
    regions = CheckboxesField(
        "CSP regions",
        choices=options(CspRegion.choices()),
        description="Choose every region where you see it.",
    )
    alert_codes = StringField(
        "Alert codes",
        description="Hex codes such as 8F35 or 0x8F35, or DCC codes such as N24; separate "
        "them with commas.",
    )
    occurrence = question("Occurrence", Occurrence.choices(), "Choose how often it happens.")
    affected_count = IntegerField(
        "Approximate number of affected installations",
        validators=[
            Optional(),
            NumberRange(min=0, max=100_000_000, message="Enter a number from 0 to 100,000,000."),
        ],
    )
    impact = question("Impact", Impact.choices(), "Choose the impact.")
    impact_text = TextAreaField("Impact details")
    root_cause_status = question(
        "Root cause", RootCauseStatus.choices(), "Choose what is known of the root cause."
    )
    root_cause_text = TextAreaField("Root cause details")
    fix_known = question("Is a fix known?", FIX_KNOWN, "Say whether a fix is known.")
    fix_type = SelectField(
        "Fix type",
        choices=options([("", "— choose the type of fix —"), *FixType.choices()]),
        # The service checks it; and hidden with "No fix is known yet", it is not sent.
        validate_choice=False,
    )
    fix_firmware = StringField("Fixed in firmware version", validators=[Length(max=40)])
    fix_description = TextAreaField("Fix description")
    fix_source = StringField(
        "Where the fix comes from",
        validators=[Length(max=200)],
        description="For example a manufacturer's release note or your own testing.",
    )
    security_sensitive = BooleanField(
        "This report is security-sensitive",
        description="Security-sensitive reports are seen only by your organisation, DCC "
        "validators, the manufacturers involved and the Security Sub-Committee, and are "
        "never in the monthly publication.",
    )
    reveal_organisation = BooleanField(
        "The manufacturers involved may see that my organisation made this report",
        description="Without this, they see only your organisation's category.",
    )
    dsms_references = StringField(
        "DSMS incident references", description="For example INC0012345; separate with commas."
    )
    save = SubmitField("Save draft")

    def with_catalogue(self) -> ReportForm:
        models = options([("", "— not in the catalogue —"), *catalogue.device_model_choices()])
        for entry in self.devices:
            entry.form.device_model_id.choices = models
        self._models = models
        return self

    def add_empty_device(self) -> None:
        if len(self.devices) < MAX_DEVICES:
            self.devices.append_entry()
            self.devices[-1].form.device_model_id.choices = self._models

    def validate_fix_known(self, field) -> None:
        """Without JavaScript the fix fields are always on screen: a fix filled in under
        "No fix is known yet" is a contradiction to ask about, not to throw away."""
        if field.data == "no" and any((self[name].data or "").strip() for name in FIX_FIELDS):
            raise ValidationError(
                "You chose “No fix is known yet” but filled in the fix: choose “A fix is "
                "known”, or empty the fix fields."
            )

    def validate_fix_type(self, field) -> None:
        # A type without a description, or the reverse, is the service's to point out.
        if self.fix_known.data == "yes" and not field.data and not self.fix_description.data:
            raise ValidationError("Choose the type of fix and describe it.")

    def to_input(self) -> ReportInput:
        fix = self.fix_known.data == "yes"
        return ReportInput(
            kind=self.kind.data,
            title=self.title.data or "",
            description=self.description.data or "",
            occurrence=self.occurrence.data,
            impact=self.impact.data,
            devices=[
                DeviceInput(
                    device_type=d.device_type.data or "",
                    device_model_id=d.device_model_id.data,
                    manufacturer_name=d.manufacturer_name.data or "",
                    model_name=d.model_name.data or "",
                    hardware_version=d.hardware_version.data or "",
                    firmware_version=d.firmware_version.data or "",
                )
                for d in self.devices
            ],
            regions=self.regions.data or [],
            alert_codes=self.alert_codes.data or "",
            affected_count=self.affected_count.data,
            impact_text=self.impact_text.data or "",
            root_cause_status=self.root_cause_status.data,
            root_cause_text=self.root_cause_text.data or "",
            fix_type=(self.fix_type.data or None) if fix else None,
            fix_firmware=(self.fix_firmware.data or "") if fix else "",
            fix_description=(self.fix_description.data or "") if fix else "",
            fix_source=(self.fix_source.data or "") if fix else "",
            security_sensitive=self.security_sensitive.data,
            reveal_organisation=self.reveal_organisation.data,
            dsms_references=self.dsms_references.data or "",
        )


def report_form_data(report: Report) -> dict:
    """The report as form data, for opening an edit form. A draft pre-filled from a DSMS
    record or alert volumes holds stand-ins for kind and occurrence until its first save:
    they are left unchosen, so that the form asks for them."""
    data = {
        "version": report.version,
        "kind": report.kind.value,
        "title": report.title,
        "description": report.description,
        "devices": [
            {
                "device_model_id": d.device_model_id,
                "device_type": d.device_type.value,
                "manufacturer_name": "" if d.device_model_id else d.manufacturer_name,
                "model_name": "" if d.device_model_id else d.model_name,
                "hardware_version": "" if d.device_model_id else d.hardware_version,
                "firmware_version": d.firmware_version,
            }
            for d in report.devices
        ]
        or [{}],
        "regions": list(report.regions),
        "alert_codes": ", ".join(report.alert_codes),
        "occurrence": report.occurrence.value,
        "affected_count": report.affected_count,
        "impact": report.impact.value,
        "impact_text": report.impact_text,
        "root_cause_status": report.root_cause_status.value,
        "root_cause_text": report.root_cause_text,
        "fix_known": "yes" if report.fix_type or report.fix_description else "no",
        "fix_type": report.fix_type.value if report.fix_type else "",
        "fix_firmware": report.fix_firmware,
        "fix_description": report.fix_description,
        "fix_source": report.fix_source,
        "security_sensitive": report.security_sensitive,
        "reveal_organisation": report.reveal_organisation,
        "dsms_references": ", ".join(report.dsms_references),
    }
    if reports.awaits_first_save(report):
        data |= {"kind": None, "occurrence": None}
    return data


def build_report_form(form_class=ReportForm, report: Report | None = None) -> ReportForm:
    """A bound form: the posted data if any, else the report's current data."""

    if request.method == "POST" or report is None:
        return form_class().with_catalogue()
    return form_class(data=report_form_data(report)).with_catalogue()


def stale_form(form: ReportForm, exc: StaleEdit, actor, key: str, template: str, **context):
    """Someone saved first: keep what this user typed, show the current report beside it,
    and take the current version so that saving again is a deliberate choice."""
    current = reports.get_visible(actor, key)
    form.version.data = current.version
    form.form_errors.append(exc.message + " Your changes are still in the form below.")
    return render_template(template, form=form, report=current, stale=True, **context), 409
