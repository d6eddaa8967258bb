"""Administering users: create (with a set-password link), change role, deactivate."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from app.extensions import db
from app.models import Manufacturer, Organisation, OrganisationCategory, Role, User
from app.services import accounts, audit, policy
from app.services.errors import ValidationFailed, found


def list_users(actor: User, *, query: str = "", page: int = 1, per_page: int = 50):
    policy.require(actor, "users.manage")
    stmt = sa.select(User).join(User.organisation).order_by(User.email)
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(
            sa.or_(
                User.email.ilike(like), User.full_name.ilike(like), Organisation.name.ilike(like)
            )
        )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_user(actor: User, user_id: int) -> User:
    policy.require(actor, "users.manage")
    return found(db.session.get(User, user_id), "user")


def _checked_binding(
    role: Role, organisation: Organisation | None, manufacturer_id: int | None
) -> Manufacturer | None:
    """A manufacturer user must be bound to a manufacturer their organisation speaks for;
    nobody else is bound to one."""
    if organisation is None:
        raise ValidationFailed(
            "Choose an organisation.", field_errors={"organisation_id": ["Choose an organisation."]}
        )
    if role != Role.manufacturer:
        return None
    manufacturer = db.session.get(Manufacturer, manufacturer_id) if manufacturer_id else None
    if manufacturer is None or manufacturer.organisation_id != organisation.id:
        message = (
            "Choose the manufacturer this user speaks for; it must belong to their organisation."
        )
        raise ValidationFailed(message, field_errors={"manufacturer_id": [message]})
    return manufacturer


def create_user(
    *,
    actor: User | None,
    email: str,
    full_name: str,
    role: Role | str,
    organisation_id: int,
    manufacturer_id: int | None = None,
    send_link: bool = True,
) -> User:
    """Create a user without a password; they choose one through the e-mailed link.
    `actor=None` is the system (CLI)."""
    if actor is not None:
        policy.require(actor, "users.manage")
    role = Role(role)
    try:
        # Special-use domains such as .test are real addresses only outside production.
        testing = current_app.config["APP_ENV"] != "production"
        email = validate_email(
            email, check_deliverability=False, test_environment=testing
        ).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(str(exc), field_errors={"email": [str(exc)]}) from exc
    if accounts.find_user_by_email(email):
        message = "A user with this e-mail address already exists."
        raise ValidationFailed(message, field_errors={"email": [message]})
    organisation = db.session.get(Organisation, organisation_id)
    manufacturer = _checked_binding(role, organisation, manufacturer_id)
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=role,
        organisation=organisation,
        manufacturer=manufacturer,
    )
    db.session.add(user)
    db.session.flush()
    if send_link:
        accounts.issue_password_link(user)
    audit.record(actor, "user.created", user, f"{email} as {role.value} in {organisation.name}")
    db.session.commit()
    return user


def change_role(
    *, actor: User, user_id: int, role: Role | str, manufacturer_id: int | None
) -> User:
    user = get_user(actor, user_id)
    role = Role(role)
    manufacturer = _checked_binding(role, user.organisation, manufacturer_id)
    before = f"{user.role.value}" + (f" for {user.manufacturer.name}" if user.manufacturer else "")
    user.role = role
    user.manufacturer = manufacturer
    user.end_sessions()  # permissions changed: sign in again to pick them up
    after = f"{role.value}" + (f" for {manufacturer.name}" if manufacturer else "")
    audit.record(actor, "user.role_changed", user, f"{before} -> {after}")
    db.session.commit()
    return user


def set_active(*, actor: User, user_id: int, active: bool) -> User:
    user = get_user(actor, user_id)
    if user.id == actor.id and not active:
        raise ValidationFailed("You cannot deactivate your own account.")
    user.active = active
    user.end_sessions()
    audit.record(actor, "user.activated" if active else "user.deactivated", user, user.email)
    db.session.commit()
    return user


def resend_password_link(*, actor: User, user_id: int) -> User:
    user = get_user(actor, user_id)
    if not user.active:
        raise ValidationFailed("Reactivate the account before sending a password link.")
    accounts.issue_password_link(user)
    audit.record(actor, "user.password_link_sent", user, user.email)
    db.session.commit()
    return user


# --- organisations ----------------------------------------------------------------------


def list_organisations(actor: User) -> list[Organisation]:
    policy.require(actor, "organisations.manage")
    return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.name)))


def get_organisation(actor: User, organisation_id: int) -> Organisation:
    policy.require(actor, "organisations.manage")
    return found(db.session.get(Organisation, organisation_id), "organisation")


def save_organisation(
    *,
    actor: User | None,
    name: str,
    category: OrganisationCategory | str,
    manufacturer_ids: list[int] = (),
    organisation_id: int | None = None,
) -> Organisation:
    """Create an organisation, or update one when organisation_id is given. Manufacturers
    can only be linked to a Device Manufacturer organisation."""
    if actor is not None:
        policy.require(actor, "organisations.manage")
    category = OrganisationCategory(category)
    name = " ".join(name.split())
    clash = db.session.scalar(
        sa.select(Organisation).where(sa.func.lower(Organisation.name) == name.lower())
    )
    if clash is not None and clash.id != organisation_id:
        message = "An organisation with this name already exists."
        raise ValidationFailed(message, field_errors={"name": [message]})
    if manufacturer_ids and category != OrganisationCategory.device_manufacturer:
        message = "Only a Device Manufacturer organisation can speak for manufacturers."
        raise ValidationFailed(message, field_errors={"manufacturer_ids": [message]})
    if organisation_id is None:
        organisation = Organisation(name=name, category=category)
        db.session.add(organisation)
        action = "organisation.created"
    else:
        organisation = found(db.session.get(Organisation, organisation_id), "organisation")
        action = "organisation.updated"
    organisation.name, organisation.category = name, category
    wanted = set(manufacturer_ids)
    for manufacturer in db.session.scalars(sa.select(Manufacturer)):
        bound = [u.email for u in organisation.users if u.manufacturer_id == manufacturer.id]
        if manufacturer.id not in wanted and bound:
            message = (
                f"{manufacturer.name} cannot be unlinked while users are bound to it "
                f"({', '.join(bound)}); change their role first."
            )
            raise ValidationFailed(message, field_errors={"manufacturer_ids": [message]})
        if manufacturer.id in wanted:
            manufacturer.organisation = organisation
        elif manufacturer.organisation is organisation:
            manufacturer.organisation = None
    db.session.flush()
    linked = ", ".join(m.name for m in organisation.manufacturers) or "no manufacturers"
    audit.record(actor, action, organisation, f"{name} ({category.label}); speaks for {linked}")
    db.session.commit()
    return organisation
