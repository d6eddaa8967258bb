"""What every page shares: the error handler, error pages, template helpers and the
development outbox drain."""

from __future__ import annotations

from datetime import date

from flask import Flask, flash, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services import notifications, outbox, policy
from app.services.errors import DomainError

# (endpoint, label, policy action): the navigation shows each role what it may use.
NAV_ITEMS = [
    ("main.index", "Home", "portal.use"),
    ("search.index", "Search", "search.use"),
    ("records.index", "Records", "records.browse"),
    ("submission.mine", "My reports", "reports.submit"),
    ("validation.queue", "Validation", "validation.work"),
    ("review.queue", "Review", "review.work"),
    ("alerts.index", "Alerts", "alerts.view"),
    ("publication.index", "Publications", "publication.download"),
    ("notifications.index", "Notifications", "notifications.read"),
    ("admin.index", "Administration", "admin.access"),
]
# (endpoint, label, policy action, description) for the start page.
DASHBOARD_ITEMS = [
    (
        "submission.new",
        "Report an issue",
        "reports.submit",
        "an issue, defect or unusual Device behaviour, with a fix if you know one",
    ),
    (
        "search.index",
        "Search",
        "search.use",
        "has what you see been reported before, and is there a fix?",
    ),
    ("records.index", "Published records", "records.browse", "known issues and their fixes"),
    ("validation.queue", "Validation queue", "validation.work", "reports waiting for the DCC"),
    (
        "legacy.upload",
        "Import DSMS records",
        "legacy.import",
        "legacy incidents, redacted and made searchable",
    ),
    (
        "alerts.index",
        "Superfluous alerts",
        "alerts.view",
        "DMCs producing the most alerts per device, by region and alert code",
    ),
    (
        "alerts.upload",
        "Import alert volumes",
        "alerts.import",
        "daily alert-volume extracts from the DCC",
    ),
    (
        "review.queue",
        "Manufacturer review",
        "review.work",
        "reports involving your Devices, before publication",
    ),
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
    (
        "publication.index",
        "Monthly publication",
        "publication.download",
        "build and download the monthly editions (PDF and CSV)",
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
            "today": date.today(),
            "unread_notifications": _unread,
        }

    _register_filters(app)

    if app.config["OUTBOX_DRAIN_AFTER_REQUEST"]:

        @app.after_request
        def _drain_outbox(response):
            # Development only: send queued mail once the response has gone out.
            def drain():
                with app.app_context():
                    outbox.drain(limit=50)

            response.call_on_close(drain)
            return response


# Words for history entries: what happened, as a reader would say it.
EVENT_LABELS = {
    "created": "Draft created",
    "promoted": "Draft created from a DSMS record",
    "drafted_from_alerts": "Draft created from alert volumes",
    "edit": "Edited",
    "submit": "Submitted to the DCC",
    "start": "Validation started",
    "request_info": "Information requested",
    "answer_info": "Reporter answered",
    "reject": "Rejected",
    "send_to_manufacturers": "Sent to manufacturer review",
    "manufacturer_respond": "Manufacturer responded",
    "extend_deadline": "Response window extended",
    "answer_dispute": "Validator answered a dispute",
    "no_response": "No response by the deadline",
    "approve": "Approved for publication",
    "publish": "Published",
    "revise": "Revised",
    "withdraw": "Withdrawn",
}


def _change_text(value) -> str:
    if isinstance(value, bool):  # the yes/no flags: security-sensitive, fix checked
        return "Yes" if value else "No"
    if value in (None, "", []):
        return "(empty)"
    if isinstance(value, list):
        return "; ".join(
            " ".join(str(v) for v in item.values() if v) if isinstance(item, dict) else str(item)
            for item in value
        )
    return str(value)


def _unread() -> int:
    """Called by the navigation only, so pages without it cost no query."""
    if not policy.can(current_user, "notifications.read"):
        return 0
    return notifications.unread_count(current_user)


def _register_filters(app: Flask) -> None:
    from app.models import CspRegion
    from app.services.report_data import EDITABLE_FIELDS
    from app.services.reports import key_of

    app.add_template_filter(lambda v: CspRegion(v).label, "region_label")
    app.add_template_filter(lambda a: EVENT_LABELS.get(a, a.replace("_", " ")), "event_label")
    app.add_template_filter(lambda n: EDITABLE_FIELDS.get(n, n.replace("_", " ")), "field_label")
    app.add_template_filter(_change_text, "change_text")
    app.add_template_filter(key_of, "report_key")
