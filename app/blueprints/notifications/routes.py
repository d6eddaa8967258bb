from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.blueprints.forms import form_status, page_number
from app.blueprints.notifications import bp
from app.blueprints.notifications.forms import DeliveryForm, MarkReadForm
from app.services import notifications


def _page() -> int:
    return page_number()


def _render(delivery_form: DeliveryForm):
    return render_template(
        "notifications/index.html",
        page=notifications.list_for(current_user, page=_page()),
        delivery_form=delivery_form,
        read_form=MarkReadForm(),
    ), form_status(delivery_form)


@bp.route("/")
def index():
    return _render(DeliveryForm(delivery=current_user.notification_delivery.value))


@bp.route("/read", methods=["POST"])
def mark_all_read():
    if MarkReadForm().validate_on_submit():
        count = notifications.mark_read(actor=current_user)
        flash(f"{count} notification(s) marked as read.", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int):
    if MarkReadForm().validate_on_submit():
        notifications.mark_read(actor=current_user, notification_id=notification_id)  # NotFound
        flash("Notification marked as read.", "success")
    return redirect(url_for(".index", page=_page()))


@bp.route("/delivery", methods=["POST"])
def delivery():
    form = DeliveryForm()
    if form.validate_on_submit():
        saved = notifications.set_delivery(actor=current_user, delivery=form.delivery.data)
        flash(f"E-mail preference saved: {saved.notification_delivery.label.lower()}.", "success")
        return redirect(url_for(".index"))
    return _render(form)
