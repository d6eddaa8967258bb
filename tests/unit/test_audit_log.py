import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from app.models.audit import AuditLogIsAppendOnly
from app.services import audit


def _one_event(app) -> int:
    with app.app_context():
        event = audit.record(None, "test.event", summary="before")
        db.session.commit()
        return event.id


def test_orm_refuses_to_change_or_delete_audit_events(app):
    event_id = _one_event(app)
    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        event.summary = "after"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event_id))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET summary = 'after'", "DELETE FROM audit_event"],
)
def test_database_refuses_to_change_or_delete_audit_events(app, statement):
    event_id = _one_event(app)
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id).summary == "before"


def test_record_keeps_actor_object_and_summary(app, make_user):
    user = make_user("admin")
    with app.app_context():
        from app.models import User

        actor = db.session.get(User, user.id)
        audit.record(actor, "user.created", actor, "made")
        db.session.commit()
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.created"))
        assert (
            event.actor_id,
            event.actor_email,
            event.object_type,
            event.object_id,
            event.summary,
        ) == (
            user.id,
            user.email,
            "user_account",
            str(user.id),
            "made",
        )
