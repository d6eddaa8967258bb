"""A legacy DSMS record: its redacted text and the facts found in it."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.blueprints.forms import form_status
from app.blueprints.legacy import bp
from app.blueprints.legacy.forms import LegacyUploadForm, PromoteForm
from app.services import legacy, legacy_import, policy, promotion, reports


@bp.route("/<number>")
def detail(number: str):
    record = legacy.get_record(current_user, number)
    return render_template(
        "legacy/detail.html", record=record, labels=legacy.FACT_LABELS, promote_form=PromoteForm()
    )


@bp.post("/<number>/promote")
def promote(number: str):
    # CSRFProtect checks the token of every POST; the form has nothing else to read.
    result = promotion.promote_legacy_record(actor=current_user, number=number)
    flash(result.message, "success")
    return redirect(url_for("submission.edit", reference=reports.key_of(result.report)))


@bp.route("/import", methods=["GET", "POST"])
def upload():
    policy.require(current_user, "legacy.import")
    form = LegacyUploadForm()
    summary = None
    if form.validate_on_submit():
        summary = legacy_import.import_stream(
            form.file.data.stream,
            actor=current_user,
            fmt=form.format.data,
            source=form.file.data.filename or "upload",
        )
        flash(summary.text(), "error" if summary.errors else "success")
    return render_template("legacy/import.html", form=form, summary=summary), form_status(form)
