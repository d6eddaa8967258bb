from flask import Blueprint

bp = Blueprint("legacy", __name__)

from app.blueprints.legacy import routes  # noqa: E402,F401
