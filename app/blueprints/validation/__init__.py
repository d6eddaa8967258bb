from flask import Blueprint
from flask_login import current_user

from app.services import policy

bp = Blueprint("validation", __name__)


@bp.before_request
def _validators_only():
    # The whole workspace is for DCC validators; each report is checked again by the service.
    policy.require(current_user, "validation.work")


from app.blueprints.validation import routes  # noqa: E402,F401
