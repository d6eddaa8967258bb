from flask import jsonify, render_template
from flask_login import current_user

from app.blueprints.main import bp
from app.services import health


@bp.route("/")
def index():
    return render_template("main/index.html", user=current_user)


@bp.route("/healthz")
def healthz():
    report = health.check()
    return jsonify(report), 200 if report["status"] == "ok" else 503
