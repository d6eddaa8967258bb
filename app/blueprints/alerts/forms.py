from datetime import date

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SubmitField

from app.blueprints.forms import options
from app.models.alerts import ALERT_REGIONS
from app.services.alert_codes import alert_label
from app.services.alerts import DEFAULT_WEEKS, PERIODS, Options, View, monday


class AlertsViewForm(FlaskForm):
    """What to look at; a GET form, so a view can be bookmarked and shared."""

    class Meta:
        csrf = False  # choosing what to see changes nothing

    weeks = SelectField(
        "Period",
        choices=options([(str(n), f"{n} weeks") for n in PERIODS]),
        default=str(DEFAULT_WEEKS),
    )
    ending = SelectField("Ending with the week of", choices=[])
    region = SelectField(
        "CSP region",
        choices=options([("", "All regions")] + [(r, r.capitalize()) for r in ALERT_REGIONS]),
        default="",
    )
    alert_code = SelectField("Alert code", choices=[], default="")
    submit = SubmitField("Show alerts", name="show")

    def offer(self, offered: Options) -> None:
        self.ending.choices = options(
            (week.isoformat(), f"{week:%d %b %Y} (ISO week {week.isocalendar().week})")
            for week in offered.weeks
        )
        self.alert_code.choices = options(
            [("", "All alert codes")] + [(c, alert_label(c)) for c in offered.alert_codes]
        )

    def view(self) -> View:
        return View(
            ending=date.fromisoformat(self.ending.data),
            weeks=int(self.weeks.data),
            region=self.region.data or None,
            alert_code=self.alert_code.data or None,
        )


def chosen_view(offered: Options) -> tuple[AlertsViewForm, View | None]:
    """The form and the view it asks for: the newest weeks when nothing was chosen, None if
    what was asked for is not on offer (the form then carries the errors)."""
    form = AlertsViewForm(request.args)
    form.offer(offered)
    if not offered.weeks:
        return form, View(ending=monday(date.today()))
    if not request.args.get("ending"):
        form.ending.data = offered.weeks[0].isoformat()
        if not request.args:
            return form, offered.default_view()
    return form, (form.view() if form.validate() else None)


class AlertsUploadForm(FlaskForm):
    file = FileField(
        "Alert-volume extract",
        description="CSV with the columns date, csp_region, alert_code, device_type, "
        "manufacturer, model, firmware, alert_count, device_count. Larger files: use "
        "`flask alerts import`.",
        validators=[
            FileRequired("Choose a file to import."),
            FileAllowed(["csv", "txt"], "Choose a .csv file."),
        ],
    )
    submit = SubmitField("Import alert volumes")


class DraftForm(FlaskForm):
    """No fields: the button, and the CSRF token."""

    submit = SubmitField("Start a draft report from this alert profile")
