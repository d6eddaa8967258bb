"""Blueprints, one per audience or area; each has routes.py (thin) and forms.py."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.blueprints.admin import bp as admin_bp
    from app.blueprints.alerts import bp as alerts_bp
    from app.blueprints.auth import bp as auth_bp
    from app.blueprints.legacy import bp as legacy_bp
    from app.blueprints.main import bp as main_bp
    from app.blueprints.notifications import bp as notifications_bp
    from app.blueprints.publication import bp as publication_bp
    from app.blueprints.records import bp as records_bp
    from app.blueprints.review import bp as review_bp
    from app.blueprints.search import bp as search_bp
    from app.blueprints.submission import bp as submission_bp
    from app.blueprints.validation import bp as validation_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(records_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(legacy_bp, url_prefix="/legacy")
    app.register_blueprint(submission_bp, url_prefix="/reports")
    app.register_blueprint(validation_bp, url_prefix="/validation")
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(alerts_bp, url_prefix="/alerts")
    app.register_blueprint(publication_bp, url_prefix="/publications")
