"""Reporters: new report, drafts, submission, answering the validator, their reports."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.blueprints.forms import apply_field_errors, form_status
from app.blueprints.report_form import build_report_form, stale_form
from app.blueprints.submission import bp
from app.blueprints.submission.forms import AnswerForm, SubmitReportForm
from app.services import reports
from app.services.errors import InvalidTransition, StaleEdit, ValidationFailed


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = build_report_form()
    if form.add_device.data:
        form.add_empty_device()
    elif form.validate_on_submit():
        try:
            report = reports.create_draft(actor=current_user, data=form.to_input())
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash("Draft saved. Check it, then submit it to the DCC.", "success")
            return redirect(url_for("records.detail", reference=reports.key_of(report)))
    return render_template("submission/form.html", form=form, report=None), form_status(form)


@bp.post("/similar")
def similar():
    """Duplicate hints for the form as typed so far (fetched by report_form.js, with the
    form's CSRF token); an HTML fragment, empty until there is a title and a first Device."""
    hints = reports.similar_to_input(current_user, build_report_form().to_input())
    return render_template("submission/_similar.html", similar=hints, checked=hints is not None)


@bp.route("/<reference>/edit", methods=["GET", "POST"])
def edit(reference: str):
    try:
        report = reports.draft_for_editing(current_user, reference)  # 404 if not visible
    except InvalidTransition as exc:
        # Visible but not this user's draft: back to its page, saying why.
        flash(exc.message, "info")
        return redirect(url_for("records.detail", reference=reference))
    form = build_report_form(report=report)
    if form.add_device.data:
        form.add_empty_device()
    elif form.validate_on_submit():
        try:
            reports.update_draft(
                actor=current_user,
                key=reference,
                data=form.to_input(),
                seen_version=form.version.data,
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        except StaleEdit as exc:
            return stale_form(form, exc, current_user, reference, "submission/form.html")
        else:
            flash("Draft saved.", "success")
            return redirect(url_for("records.detail", reference=reference))
    return render_template("submission/form.html", form=form, report=report), form_status(form)


@bp.post("/<reference>/submit")
def submit(reference: str):
    form = SubmitReportForm()
    try:
        report = reports.submit(actor=current_user, key=reference, seen_version=form.version.data)
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return redirect(url_for(".edit", reference=reference))
    flash(f"Report submitted as {report.reference}. A DCC validator will check it.", "success")
    return redirect(url_for("records.detail", reference=report.reference))


@bp.post("/<reference>/answer")
def answer(reference: str):
    form = AnswerForm()
    try:
        reports.answer_info_request(
            actor=current_user,
            key=reference,
            answer=form.answer.data or "",
            seen_version=form.version.data,
        )
    except ValidationFailed as exc:
        flash(exc.message, "error")
    else:
        flash("Answer sent; the report is back with the validator.", "success")
    return redirect(url_for("records.detail", reference=reference))


@bp.route("/mine")
def mine():
    return render_template("submission/mine.html", reports=reports.list_mine(current_user))
