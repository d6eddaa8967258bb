from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from app.blueprints.forms import optional_int, options
from app.blueprints.report_form import ReportForm
from app.models import CspRegion, DeviceType, RejectionGround, ReportKind, ReportState
from app.services.validation import REJECT_GROUND_MESSAGE


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    state = SelectField(
        "State",
        choices=options([("open", "All open reports"), *ReportState.choices()[1:]]),
        default="open",
    )
    kind = SelectField(
        "Kind", choices=options([("", "Any kind"), *ReportKind.choices()]), default=""
    )
    device_type = SelectField(
        "Device type",
        choices=options([("", "Any device type"), *DeviceType.choices()]),
        default="",
    )
    manufacturer_id = SelectField("Manufacturer", coerce=optional_int, validate_choice=False)
    region = SelectField(
        "CSP region",
        choices=options([("", "Any region"), *CspRegion.choices()[:3]]),
        default="",
    )
    older_than_days = IntegerField(
        "Waiting at least (days)", validators=[Optional(), NumberRange(min=0, max=3650)]
    )
    sort = SelectField(
        "Sort by",
        choices=options(
            [
                ("oldest", "Oldest first"),
                ("newest", "Newest first"),
                ("deadline", "Response deadline"),
                ("impact", "Impact, highest first"),
            ]
        ),
        default="oldest",
    )
    submit = SubmitField("Filter the queue")


class ActionForm(FlaskForm):
    version = HiddenField()


class StartForm(ActionForm):
    submit = SubmitField("Start validation")


class RequestInfoForm(ActionForm):
    question = TextAreaField(
        "Question for the reporter", validators=[DataRequired("Enter the question.")]
    )
    submit = SubmitField("Ask the reporter")


class RejectForm(ActionForm):
    # No ground is chosen for the validator: a pre-set one would be filed by a skipped click.
    ground = RadioField(
        "Why is it rejected?",
        choices=options(RejectionGround.choices()),
        validators=[InputRequired(REJECT_GROUND_MESSAGE)],
    )
    duplicate_of = StringField(
        "Duplicate of (reference)", description="Only for duplicates, e.g. IDR-2026-00012."
    )
    reason = TextAreaField(
        "Reason, shown to the reporter", validators=[DataRequired("Give the reason.")]
    )
    submit = SubmitField("Reject report")


class SendToManufacturersForm(ActionForm):
    submit = SubmitField("Send to manufacturer review")


class ExtendDeadlineForm(ActionForm):
    submit = SubmitField("Extend the response window (once)")


class AnswerDisputeForm(ActionForm):
    manufacturer_id = HiddenField()
    answer = TextAreaField("Your answer to the dispute", validators=[DataRequired("Enter it.")])
    submit = SubmitField("Answer dispute")


class AdoptFixForm(ActionForm):
    manufacturer_id = HiddenField()
    submit = SubmitField("Use this fix in the report")


def fix_check_field(description: str) -> RadioField:
    """The validator's answer on a report's fix. Nothing is chosen for them: "yes" sends the
    fix to SECAS's monthly edition, so it must be said on purpose. The service decides
    when an answer is needed."""
    return RadioField(
        "Has the DCC checked the fix?",
        choices=options([("yes", "Yes, the fix has been checked"), ("no", "No, not yet")]),
        validators=[Optional()],
        description=description,
    )


def answer(field: RadioField) -> bool | None:
    """A yes/no radio's answer; None when it was left unanswered."""
    return {"yes": True, "no": False}.get(field.data)


class ApproveForm(ActionForm):
    fix_checked = fix_check_field(
        "Only a fix the DCC has checked goes into SECAS's monthly edition."
    )
    submit = SubmitField("Approve for publication")


class PublishForm(ActionForm):
    note = TextAreaField("Publication note (optional)")
    submit = SubmitField("Publish record")


class WithdrawForm(ActionForm):
    reason = TextAreaField(
        "Reason for withdrawal, shown in the notice", validators=[DataRequired("Give it.")]
    )
    submit = SubmitField("Withdraw record")


class ValidatorReportForm(ReportForm):
    fix_validated = fix_check_field(
        "Leave unanswered to keep it as it is. A changed fix counts as not checked until "
        "you answer Yes."
    )
    note = TextAreaField(
        "Note for the history",
        description="Why you changed it. For a published record this is the revision note "
        "and is required.",
    )
    save = SubmitField("Save changes")
