"""The DCC validator's workspace: the queue, one report with its actions, edits and revisions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.blueprints.forms import apply_field_errors, form_status, id_or_zero, options, page_number
from app.blueprints.report_form import build_report_form, stale_form
from app.blueprints.validation import bp
from app.blueprints.validation import forms as f
from app.models import ReportState
from app.services import catalogue, reports, validation, workflow
from app.services.errors import InvalidTransition, StaleEdit, ValidationFailed


@bp.route("/")
def queue():
    form = f.QueueFilterForm(request.args)
    form.manufacturer_id.choices = options(
        [("", "Any manufacturer"), *((m.id, m.name) for m in catalogue.list_manufacturers())]
    )
    filters = validation.QueueFilter()
    if form.validate():
        filters = validation.QueueFilter(
            state=form.state.data or "open",
            kind=form.kind.data or "",
            device_type=form.device_type.data or "",
            manufacturer_id=form.manufacturer_id.data,
            region=form.region.data or "",
            older_than_days=form.older_than_days.data,
            sort=form.sort.data or "oldest",
        )
    page = validation.queue(current_user, filters, page=page_number())
    return render_template(
        "validation/queue.html", form=form, page=page, age=validation.waiting_since
    )


def _call(action: str, form, key: str):
    """Run one validator action with the data of its form."""
    common = {"actor": current_user, "key": key, "seen_version": form.version.data}
    if action == "request_info":
        return validation.request_info(question=form.question.data, **common)
    if action == "reject":
        return validation.reject(
            ground=form.ground.data,
            reason=form.reason.data,
            duplicate_of=form.duplicate_of.data or "",
            **common,
        )
    if action == "answer_dispute":
        return validation.answer_dispute(
            manufacturer_id=id_or_zero(form.manufacturer_id.data), answer=form.answer.data, **common
        )
    if action == "adopt_fix":
        return validation.adopt_manufacturer_fix(
            manufacturer_id=id_or_zero(form.manufacturer_id.data), **common
        )
    if action == "publish":
        return validation.publish(note=form.note.data or "", **common)
    if action == "approve":
        return validation.approve(fix_checked=f.answer(form.fix_checked), **common)
    if action == "withdraw":
        return validation.withdraw(reason=form.reason.data, **common)
    return SIMPLE[action](**common)


SIMPLE = {
    "start": validation.start,
    "send_to_manufacturers": validation.send_to_manufacturers,
    "extend_deadline": validation.extend_deadline,
}
ACTION_FORMS = {
    "start": f.StartForm,
    "request_info": f.RequestInfoForm,
    "reject": f.RejectForm,
    "send_to_manufacturers": f.SendToManufacturersForm,
    "extend_deadline": f.ExtendDeadlineForm,
    "answer_dispute": f.AnswerDisputeForm,
    "adopt_fix": f.AdoptFixForm,
    "approve": f.ApproveForm,
    "publish": f.PublishForm,
    "withdraw": f.WithdrawForm,
}
DONE = {
    "start": "Validation started.",
    "request_info": "Question sent to the reporter.",
    "reject": "Report rejected; the reporter can see the reason.",
    "send_to_manufacturers": "Sent to manufacturer review; the manufacturers have been told.",
    "extend_deadline": "Response window extended.",
    "answer_dispute": "Your answer to the dispute is recorded.",
    "adopt_fix": "The manufacturer's fix is now the report's fix.",
    "approve": "Approved for publication.",
    "publish": "Published.",
    "withdraw": "Withdrawn; others now see only the withdrawal notice.",
}


def _render(report, status: int = 200, posted=None):
    forms = {name: cls(prefix=name, version=report.version) for name, cls in ACTION_FORMS.items()}
    if posted is not None:
        forms[posted[0]] = posted[1]
    return render_template(
        "validation/detail.html",
        report=report,
        forms=forms,
        allowed=workflow.allowed(report, current_user),
        reviews=validation.review_states(report),
        history=reports.history_for(current_user, report),
    ), status


@bp.route("/<reference>")
def detail(reference: str):
    return _render(reports.get_visible(current_user, reference))


@bp.post("/<reference>/<action>")
def act(reference: str, action: str):
    if action not in ACTION_FORMS:
        abort(404)
    report = reports.get_visible(current_user, reference)
    form = ACTION_FORMS[action](prefix=action)
    if form.validate_on_submit():
        try:
            _call(action, form, reference)
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        except (StaleEdit, InvalidTransition) as exc:
            flash(exc.message, "error")
            return _render(reports.get_visible(current_user, reference), exc.status)
        else:
            flash(DONE[action], "success")
            return redirect(url_for(".detail", reference=reference))
    return _render(report, 422, posted=(action, form))


@bp.route("/<reference>/edit", methods=["GET", "POST"])
def edit(reference: str):
    report = reports.get_visible(current_user, reference)
    form = build_report_form(f.ValidatorReportForm, report)
    revising = report.state == ReportState.published
    now = "checked" if report.fix_validated else "not yet checked"
    form.fix_validated.description = f"Now: {now}. {form.fix_validated.description}"
    if form.add_device.data:
        form.add_empty_device()
    elif form.validate_on_submit():
        command = validation.revise if revising else validation.edit
        try:
            command(
                actor=current_user,
                key=reference,
                data=form.to_input(),
                note=form.note.data or "",
                seen_version=form.version.data,
                fix_checked=f.answer(form.fix_validated),
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        except StaleEdit as exc:
            return stale_form(
                form, exc, current_user, reference, "validation/edit.html", revising=revising
            )
        else:
            flash("Revision published." if revising else "Changes saved.", "success")
            return redirect(url_for(".detail", reference=reference))
    return render_template(
        "validation/edit.html", form=form, report=report, revising=revising
    ), form_status(form)
