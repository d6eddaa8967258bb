from flask import Blueprint
from flask_login import current_user

from app.services import policy

bp = Blueprint("review", __name__)


@bp.before_request
def _manufacturers_only():
    policy.require(current_user, "review.work")


from app.blueprints.review import routes  # noqa: E402,F401
