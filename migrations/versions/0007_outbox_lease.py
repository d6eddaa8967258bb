"""outbox: a lease (owner and expiry) claimed by a conditional UPDATE, so that concurrent
drains never apply one message twice, on SQLite as on PostgreSQL

Revision ID: 0007_outbox_lease
Revises: 0006_alert_dmc_week
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_outbox_lease'
down_revision = '0006_alert_dmc_week'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
