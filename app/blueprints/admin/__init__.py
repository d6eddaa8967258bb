from flask import Blueprint
from flask_login import current_user

from app.services import policy

bp = Blueprint("admin", __name__)


@bp.before_request
def _admins_only():
    # One check for the whole area, so no admin route can forget it.
    policy.require(current_user, "admin.access")


from app.blueprints.admin import routes  # noqa: E402,F401
