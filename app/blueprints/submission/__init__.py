from flask import Blueprint
from flask_login import current_user

from app.services import policy

bp = Blueprint("submission", __name__)


@bp.before_request
def _reporters_only():
    policy.require(current_user, "reports.submit")


from app.blueprints.submission import routes  # noqa: E402,F401
