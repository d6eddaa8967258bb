"""What every page shares: the error handler, error pages, template helpers and the
development outbox drain."""

from __future__ import annotations

from flask import Flask, flash, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services import outbox, policy
from app.services.errors import DomainError

# (endpoint, label, policy action): the navigation shows each role what it may use.
NAV_ITEMS = [
    ("main.index", "Home", "portal.use"),
    ("admin.index", "Administration", "admin.access"),
]
# (endpoint, label, policy action, description) for the start page.
DASHBOARD_ITEMS = [
    (
        "admin.user_list",
        "Manage users",
        "users.manage",
        "create accounts, change roles, deactivate",
    ),
    (
        "admin.catalogue_list",
        "Device catalogue",
        "catalogue.manage",
        "manufacturers, device models and firmware",
    ),
    ("admin.audit_log", "Audit log", "audit.read", "every sign-in, change and download"),
]

ERROR_TITLES = {
    400: "Bad request",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "File too large",
    422: "Could not process the request",
    429: "Too many requests",
    500: "Something went wrong",
}


def render_error(status: int, message: str | None = None):
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    title = ERROR_TITLES.get(status, "Error")
    return render_template(template, status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        db.session.rollback()
        if exc.status in (403, 404):
            return render_error(exc.status)
        flash(exc.message, "error")
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        db.session.rollback()
        return render_error(
            400,
            "The form had expired or was not sent from this site. Go back, reload the page "
            "and try again; nothing was saved.",
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        db.session.rollback()
        return render_error(
            exc.code or 500, exc.description if exc.code not in (403, 404, 500) else None
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)

    @app.context_processor
    def _helpers():
        return {
            "can": lambda action, obj=None: policy.can(current_user, action, obj),
            "disclaimer": app.config["DISCLAIMER"],
            "nav_items": NAV_ITEMS,
            "dashboard_items": DASHBOARD_ITEMS,
        }

    if app.config["OUTBOX_DRAIN_AFTER_REQUEST"]:

        @app.after_request
        def _drain_outbox(response):
            # Development only: send queued mail once the response has gone out.
            def drain():
                with app.app_context():
                    outbox.drain(limit=50)

            response.call_on_close(drain)
            return response
