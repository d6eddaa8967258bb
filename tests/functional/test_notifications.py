"""The notifications page (list, mark read, e-mail preference) and the e-mail that follows:
at once through the outbox, or one daily digest from `flask notifications digest`."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Delivery, Notification, OutboxMessage, User
from app.models.base import utcnow
from app.services import notifications, outbox
from tests.support.html_checks import accessibility_problems


def html(response) -> str:
    return response.get_data(as_text=True)


def add_notification(app, user_id: int, subject: str, *, read=False, link="", age_minutes=0):
    with app.app_context():
        notification = Notification(
            user_id=user_id,
            kind="test",
            subject=subject,
            body=f"Body of {subject}.",
            link=link,
            created_at=utcnow() - timedelta(minutes=age_minutes),
            read_at=utcnow() if read else None,
        )
        db.session.add(notification)
        db.session.commit()
        return notification.id


def read_at(app, notification_id: int):
    with app.app_context():
        return db.session.get(Notification, notification_id).read_at


def notify(app, user_id: int, subject: str, link: str = "/reports/IDR-2026-00001") -> None:
    """Through the service every event uses, so delivery preferences apply."""
    with app.app_context():
        user = db.session.get(User, user_id)
        notifications.notify(
            [user], kind="test", subject=subject, body=f"About {subject}.", link=link
        )
        db.session.commit()


def use_smtp(app, smtp_server) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)


def drain(app):
    with app.app_context():
        return outbox.drain()


def test_list_shows_only_the_users_own_notifications_with_unread_marked(
    app, client, login_as, make_user
):
    me = login_as("party")
    other = make_user("party")
    add_notification(app, me.id, "Older and read", read=True, age_minutes=30)
    add_notification(app, me.id, "Newer and unread", link="/reports/IDR-2026-00042")
    add_notification(app, me.id, "Odd link", link="https://elsewhere.example/", age_minutes=60)
    add_notification(app, other.id, "Someone else's news")
    response = client.get("/notifications/")
    page = html(response)
    assert response.status_code == 200
    assert "<h1>Notifications</h1>" in page
    assert "Newer and unread" in page and "Body of Older and read." in page
    assert "Someone else&#39;s news" not in page and "Someone else's news" not in page
    assert page.index("Newer and unread") < page.index("Older and read")
    assert page.count(">Unread<") == 2
    assert page.count(">Mark as read<") == 2
    assert 'href="/reports/IDR-2026-00042"' in page
    assert "elsewhere.example" not in page  # only links within the register are shown
    assert accessibility_problems(page, disclaimer=app.config["DISCLAIMER"]) == []


def test_list_pages_thirty_at_a_time(app, client, login_as):
    me = login_as("validator")
    for n in range(32):
        add_notification(app, me.id, f"Notice number {n:02d}", age_minutes=100 - n)
    first = html(client.get("/notifications/"))
    assert "Page 1 of 2" in first and "Notice number 31" in first
    assert "Notice number 01" not in first
    second = html(client.get("/notifications/?page=2"))
    assert "Notice number 01" in second and "Notice number 00" in second
    assert "Notice number 31" not in second


def test_mark_one_then_all_as_read_leaves_other_users_alone(app, client, login_as, make_user):
    me = login_as("manufacturer")
    other = make_user("party")
    first = add_notification(app, me.id, "First")
    second = add_notification(app, me.id, "Second")
    third = add_notification(app, me.id, "Third")
    theirs = add_notification(app, other.id, "Theirs")

    response = client.post(f"/notifications/{first}/read", follow_redirects=True)
    assert response.status_code == 200 and "Notification marked as read." in html(response)
    assert read_at(app, first) is not None
    assert read_at(app, second) is None and read_at(app, third) is None
    assert html(response).count(">Unread<") == 2

    response = client.post("/notifications/read", follow_redirects=True)
    assert "2 notification(s) marked as read." in html(response)
    assert ">Unread<" not in html(response)
    assert all(read_at(app, n) is not None for n in (first, second, third))
    assert read_at(app, theirs) is None


def test_someone_elses_or_an_unknown_notification_is_not_found(app, client, login_as, make_user):
    login_as("party")
    other = make_user("party")
    theirs = add_notification(app, other.id, "Not yours")
    assert client.post(f"/notifications/{theirs}/read").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    assert read_at(app, theirs) is None


def test_delivery_preference_is_saved_and_audited(app, client, login_as):
    me = login_as("party")
    page = html(client.get("/notifications/"))
    assert re.search(r'<label class="form-label" for="delivery">Send me e-mail</label>', page)
    assert re.search(r'<option selected value="immediate">', page)

    response = client.post("/notifications/delivery", data={"delivery": "daily_digest"})
    assert response.status_code == 302
    page = html(client.get(response.location))
    assert "E-mail preference saved: one e-mail a day with everything new." in page
    assert re.search(r'<option selected value="daily_digest">', page)
    with app.app_context():
        assert db.session.get(User, me.id).notification_delivery == Delivery.daily_digest
        events = db.session.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.object_id, AuditEvent.summary).where(
                AuditEvent.action == "notifications.delivery_changed"
            )
        ).all()
    assert events == [(me.id, str(me.id), "daily_digest")]


def test_a_delivery_choice_not_offered_is_refused_and_nothing_changes(app, client, login_as):
    me = login_as("party")
    response = client.post("/notifications/delivery", data={"delivery": "hourly"})
    page = html(response)
    assert response.status_code == 422
    assert "<title>Error: Notifications" in page and "There is a problem" in page
    assert 'href="#delivery"' in page  # the summary links to the field
    with app.app_context():
        assert db.session.get(User, me.id).notification_delivery == Delivery.immediate
        assert not db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "notifications.delivery_changed")
        )


def test_forms_without_csrf_token_are_refused(app, client, login_as):
    me = login_as("party")
    unread = add_notification(app, me.id, "Still unread")
    app.config["WTF_CSRF_ENABLED"] = True
    for path, data in (
        ("/notifications/delivery", {"delivery": "daily_digest"}),
        ("/notifications/read", {}),
        (f"/notifications/{unread}/read", {}),
    ):
        assert client.post(path, data=data).status_code == 400, path
    assert 'name="csrf_token"' in html(client.get("/notifications/"))
    assert read_at(app, unread) is None
    with app.app_context():
        assert db.session.get(User, me.id).notification_delivery == Delivery.immediate


def test_immediate_delivery_sends_each_notification_through_smtp(app, make_user, smtp_server):
    use_smtp(app, smtp_server)
    user = make_user("manufacturer")
    notify(app, user.id, "Prior notice: IDR-2026-00007 involves your Devices")
    with app.app_context():
        assert db.session.scalar(sa.select(Notification.emailed_at)) is not None
    assert drain(app).done == 1
    [mail] = smtp_server.messages
    assert mail["To"] == user.email
    assert mail["Subject"] == "Prior notice: IDR-2026-00007 involves your Devices"
    text = mail.get_content()
    assert "About Prior notice" in text
    assert "http://localhost/reports/IDR-2026-00001" in text
    assert "http://localhost/notifications/" in text  # where to choose the digest instead


def test_digest_users_get_one_combined_email_a_day(app, client, login_as, runner, smtp_server):
    use_smtp(app, smtp_server)
    me = login_as("party")
    client.post("/notifications/delivery", data={"delivery": "daily_digest"})
    notify(app, me.id, "Record published: IDR-2026-00011")
    notify(app, me.id, "Information requested on IDR-2026-00012")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    first = runner.invoke(args=["notifications", "digest"])
    assert first.exit_code == 0 and "1 digest(s) queued" in first.output
    assert drain(app).done == 1
    [digest] = smtp_server.messages
    assert digest["To"] == me.email
    assert digest["Subject"] == "Issues & Defects Register: 2 new notification(s)"
    text = digest.get_content()
    assert "Record published: IDR-2026-00011" in text
    assert "Information requested on IDR-2026-00012" in text

    # Something new within 20 hours of a digest waits for the next one.
    notify(app, me.id, "Record revised: IDR-2026-00011")
    again = runner.invoke(args=["notifications", "digest"])
    assert again.exit_code == 0 and "0 digest(s) queued" in again.output
    assert drain(app).done == 0 and len(smtp_server.messages) == 1

    with app.app_context():
        user = db.session.get(User, me.id)
        user.last_digest_at -= timedelta(hours=21)
        db.session.commit()
    next_day = runner.invoke(args=["notifications", "digest"])
    assert "1 digest(s) queued" in next_day.output
    assert drain(app).done == 1
    latest = smtp_server.messages[-1]
    assert latest["Subject"] == "Issues & Defects Register: 1 new notification(s)"
    assert "Record revised" in latest.get_content()
    assert "Information requested" not in latest.get_content()
