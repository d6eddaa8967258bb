"""Manufacturer review: reports involving the user's manufacturer, and their response."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.blueprints.forms import apply_field_errors, form_status
from app.blueprints.review import bp
from app.blueprints.review.forms import ResponseForm
from app.services import reports, review, workflow
from app.services.errors import InvalidTransition, StaleEdit, ValidationFailed


@bp.route("/")
def queue():
    return render_template("review/queue.html", rows=review.queue(current_user))


@bp.route("/<reference>", methods=["GET", "POST"])
def detail(reference: str):
    report, own_review = review.get_for_review(current_user, reference)
    form = ResponseForm(version=report.version)
    status = 200
    if form.validate_on_submit():
        data = review.ResponseInput(
            response=form.response.data,
            text=form.text.data or "",
            fix_type=form.fix_type.data or None,
            fix_firmware=form.fix_firmware.data or "",
            fix_description=form.fix_description.data or "",
            statement=form.statement.data or "",
            publish_statement=form.publish_statement.data,
        )
        try:
            review.respond(
                actor=current_user, key=reference, data=data, seen_version=form.version.data
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        except (StaleEdit, InvalidTransition) as exc:
            flash(exc.message, "error")
            report, own_review = review.get_for_review(current_user, reference)
            status = exc.status
        else:
            flash("Your response is recorded and the DCC validator has been told.", "success")
            return redirect(url_for(".detail", reference=reference))
    return render_template(
        "review/detail.html",
        report=report,
        own_review=own_review,
        form=form,
        allowed=workflow.allowed(report, current_user),
        history=reports.history_for(current_user, report),
    ), status if status != 200 else form_status(form)
