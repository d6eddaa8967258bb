import sqlalchemy as sa

from app.extensions import db
from app.models import Organisation
from tests.conftest import sign_in
from tests.support.html_checks import accessibility_problems


def test_unexpected_error_shows_styled_500_and_rolls_back(app, make_user):
    user = make_user("party")

    def half_done_then_fails():
        db.session.add(Organisation(name="Never Saved", category="other"))
        db.session.flush()
        raise RuntimeError("boom")

    app.add_url_rule("/test-only/boom", "test_only_boom", half_done_then_fails)
    client = app.test_client()
    sign_in(client, user)
    response = client.get("/test-only/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html and "nothing was saved" in html
    assert "boom" not in html and "Traceback" not in html
    assert accessibility_problems(html, disclaimer=app.config["DISCLAIMER"]) == []
    with app.app_context():
        assert (
            db.session.scalar(sa.select(Organisation).where(Organisation.name == "Never Saved"))
            is None
        )


def test_method_not_allowed_is_a_styled_page(client, login_as):
    login_as("party")
    response = client.put("/")
    assert response.status_code == 405 and "Method not allowed" in response.get_data(as_text=True)
