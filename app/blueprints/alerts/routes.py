"""The superfluous alerts tracker: dashboard, one DMC, CSV downloads, import, draft report."""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.blueprints.alerts import bp
from app.blueprints.alerts.forms import AlertsUploadForm, DraftForm, chosen_view
from app.blueprints.forms import form_status
from app.services import (
    alerts,
    alerts_draft,
    alerts_export,
    alerts_import,
    alerts_pages,
    policy,
    reports,
)
from app.services.alerts_tables import format_rate

bp.add_app_template_filter(format_rate, "alert_rate")


@bp.route("/")
def index():
    form, view = chosen_view(alerts.options(current_user))
    page = alerts_pages.dashboard_page(current_user, view) if view else None
    return render_template("alerts/index.html", form=form, page=page), 422 if view is None else 200


@bp.route("/dmc/<int:dmc_id>")
def dmc(dmc_id: int):
    form, view = chosen_view(alerts.options(current_user))
    page = alerts_pages.dmc_page(current_user, dmc_id, view)
    return render_template(
        "alerts/dmc.html", form=form, page=page, draft_form=DraftForm()
    ), 422 if view is None else 200


def _csv(filename: str, data: bytes) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(data, mimetype="text/csv", headers={"Content-Disposition": disposition})


@bp.route("/<any(top, above):table>.csv")
def export(table: str):
    _, view = chosen_view(alerts.options(current_user))
    if view is None:
        abort(422)
    return _csv(*alerts_export.export(current_user, table, view))


@bp.route("/dmc/<int:dmc_id>/<any(profile, trend):table>.csv")
def dmc_export(dmc_id: int, table: str):
    _, view = chosen_view(alerts.options(current_user))
    if view is None:
        abort(422)
    return _csv(*alerts_export.export(current_user, table, view, dmc_id))


@bp.post("/dmc/<int:dmc_id>/draft")
def draft(dmc_id: int):
    # The view comes in the query string (as on the page); CSRFProtect checks the token.
    policy.require(current_user, "alerts.draft")
    _, view = chosen_view(alerts.options(current_user))
    if view is None:
        abort(422)
    result = alerts_draft.draft_from_dmc(actor=current_user, dmc_id=dmc_id, view=view)
    flash(result.message, "success")
    return redirect(url_for("submission.edit", reference=reports.key_of(result.report)))


@bp.route("/import", methods=["GET", "POST"])
def upload():
    policy.require(current_user, "alerts.import")
    form = AlertsUploadForm()
    summary = None
    if form.validate_on_submit():
        summary = alerts_import.import_stream(
            form.file.data.stream, actor=current_user, source=form.file.data.filename or "upload"
        )
        flash(summary.text(), "error" if summary.rejected else "success")
    return render_template("alerts/import.html", form=form, summary=summary), form_status(form)
