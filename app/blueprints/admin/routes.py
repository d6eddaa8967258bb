from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.blueprints.admin import bp
from app.blueprints.admin.forms import (
    AliasesForm,
    AuditFilterForm,
    CatalogueFilterForm,
    CatalogueUploadForm,
    ChangeRoleForm,
    NewUserForm,
    OrganisationForm,
    RetryForm,
    UserActionForm,
    UserSearchForm,
)
from app.blueprints.forms import apply_field_errors, form_status, options, page_number
from app.models import DeviceType
from app.services import audit, catalogue, outbox, users
from app.services.csv_input import utf8_lines
from app.services.errors import ValidationFailed


def _page() -> int:
    return page_number()


@bp.route("/")
def index():
    return render_template("admin/index.html")


# --- organisations ----------------------------------------------------------------------


def _organisation_form(obj=None) -> OrganisationForm:
    form = OrganisationForm(obj=obj)
    form.manufacturer_ids.choices = options((m.id, m.name) for m in catalogue.list_manufacturers())
    if obj is not None and not form.is_submitted():
        form.manufacturer_ids.data = [m.id for m in obj.manufacturers]
    return form


@bp.route("/organisations")
def organisations():
    return render_template(
        "admin/organisations.html", organisations=users.list_organisations(current_user)
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def organisation(organisation_id: int | None = None):
    existing = users.get_organisation(current_user, organisation_id) if organisation_id else None
    form = _organisation_form(existing)
    if form.validate_on_submit():
        try:
            saved = users.save_organisation(
                actor=current_user,
                name=form.name.data,
                category=form.category.data,
                manufacturer_ids=form.manufacturer_ids.data or [],
                organisation_id=organisation_id,
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(f"Organisation {saved.name} saved.", "success")
            return redirect(url_for(".organisations"))
    return render_template(
        "admin/organisation_form.html", form=form, organisation=existing
    ), form_status(form)


# --- users ------------------------------------------------------------------------------


def _with_user_choices(form):
    makers = [(m.id, m.name) for m in catalogue.list_manufacturers()]
    form.manufacturer_id.choices = options([("", "— none —"), *makers])
    if hasattr(form, "organisation_id"):
        form.organisation_id.choices = options(
            (o.id, f"{o.name} ({o.category.label})") for o in users.list_organisations(current_user)
        )
    return form


@bp.route("/users")
def user_list():
    search = UserSearchForm(request.args)
    result = users.list_users(current_user, query=search.q.data or "", page=_page())
    return render_template("admin/users.html", page=result, search=search)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = _with_user_choices(NewUserForm())
    if form.validate_on_submit():
        try:
            user = users.create_user(
                actor=current_user,
                email=form.email.data,
                full_name=form.full_name.data,
                role=form.role.data,
                organisation_id=form.organisation_id.data,
                manufacturer_id=form.manufacturer_id.data,
            )
        except ValidationFailed as exc:
            apply_field_errors(form, exc)
        else:
            flash(
                f"User {user.email} created; a link to set their password has been sent.", "success"
            )
            return redirect(url_for(".user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form), form_status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_detail(user_id: int):
    user = users.get_user(current_user, user_id)
    role_form = _with_user_choices(ChangeRoleForm(obj=user, prefix="role"))
    if not role_form.is_submitted():
        role_form.manufacturer_id.data = user.manufacturer_id
    if role_form.validate_on_submit():
        try:
            users.change_role(
                actor=current_user,
                user_id=user.id,
                role=role_form.role.data,
                manufacturer_id=role_form.manufacturer_id.data,
            )
        except ValidationFailed as exc:
            apply_field_errors(role_form, exc)
        else:
            flash(f"Role of {user.email} changed; their sessions have ended.", "success")
            return redirect(url_for(".user_detail", user_id=user.id))
    return render_template(
        "admin/user_detail.html",
        user=user,
        role_form=role_form,
        action_form=UserActionForm(prefix="act"),
    ), form_status(role_form)


USER_ACTIONS = {
    "deactivate": (
        lambda actor, uid: users.set_active(actor=actor, user_id=uid, active=False),
        "Account deactivated; its sessions have ended.",
    ),
    "reactivate": (
        lambda actor, uid: users.set_active(actor=actor, user_id=uid, active=True),
        "Account reactivated.",
    ),
    "send_link": (
        lambda actor, uid: users.resend_password_link(actor=actor, user_id=uid),
        "A new password link has been sent.",
    ),
}


@bp.route("/users/<int:user_id>/action", methods=["POST"])
def user_action(user_id: int):
    form = UserActionForm(prefix="act")
    if form.validate_on_submit() and form.action.data in USER_ACTIONS:
        run, message = USER_ACTIONS[form.action.data]
        try:
            run(current_user, user_id)
        except ValidationFailed as exc:
            flash(exc.message, "error")
        else:
            flash(message, "success")
    else:
        flash("That action is not available.", "error")
    return redirect(url_for(".user_detail", user_id=user_id))


# --- catalogue --------------------------------------------------------------------------


@bp.route("/catalogue")
def catalogue_list():
    filters = CatalogueFilterForm(request.args)
    filters.device_type.choices = options([("", "Any device type"), *DeviceType.choices()])
    device_type = (
        filters.device_type.data if filters.device_type.data in DeviceType.__members__ else ""
    )
    result = catalogue.list_device_models(
        current_user, query=filters.q.data or "", device_type=device_type, page=_page()
    )
    return render_template(
        "admin/catalogue.html",
        page=result,
        filters=filters,
        manufacturers=catalogue.list_manufacturers(),
    )


@bp.route("/catalogue/import", methods=["GET", "POST"])
def catalogue_import():
    form = CatalogueUploadForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        result = catalogue.import_csv(
            actor=current_user,
            lines=utf8_lines(upload.stream),
            partial=form.partial.data,
            source=upload.filename,
        )
        flash(result.summary(), "success" if result.applied and not result.errors else "error")
    status = 422 if (result and result.errors and not result.applied) else form_status(form)
    return render_template("admin/catalogue_import.html", form=form, result=result), status


@bp.route("/catalogue/manufacturers/<int:manufacturer_id>", methods=["GET", "POST"])
def manufacturer_aliases(manufacturer_id: int):
    maker = catalogue.get_manufacturer(current_user, manufacturer_id)
    form = AliasesForm()
    if not form.is_submitted():
        form.aliases.data = "\n".join(maker.aliases or [])
    if form.validate_on_submit():
        catalogue.set_manufacturer_aliases(
            actor=current_user, manufacturer_id=maker.id, aliases=form.aliases.data.splitlines()
        )
        flash(f"Other names for {maker.name} saved.", "success")
        return redirect(url_for(".catalogue_list"))
    return render_template("admin/manufacturer.html", form=form, manufacturer=maker), form_status(
        form
    )


# --- audit log and outbox ---------------------------------------------------------------


@bp.route("/audit")
def audit_log():
    filters = AuditFilterForm(request.args)
    filters.action.choices = options([("", "Any action")] + [(a, a) for a in audit.known_actions()])
    filters.validate()
    criteria = audit.AuditFilter(
        actor=filters.actor.data or "",
        action=filters.action.data or "",
        date_from=None if filters.date_from.errors else filters.date_from.data,
        date_to=None if filters.date_to.errors else filters.date_to.data,
    )
    result = audit.search(current_user, criteria, page=_page(), per_page=50)
    return render_template("admin/audit.html", page=result, filters=filters)


@bp.route("/outbox")
def outbox_list():
    return render_template(
        "admin/outbox.html", page=outbox.waiting(current_user, page=_page()), retry_form=RetryForm()
    )


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def outbox_retry(message_id: int):
    if RetryForm().validate_on_submit():
        outbox.retry(actor=current_user, message_id=message_id)
        flash("The message will be tried again at the next drain.", "success")
    return redirect(url_for(".outbox_list"))
