from flask import Blueprint

bp = Blueprint("publication", __name__)

from app.blueprints.publication import routes  # noqa: E402,F401
