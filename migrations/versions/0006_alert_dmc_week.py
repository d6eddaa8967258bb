"""superfluous alerts tracker: each DMC's device-days per region and week, whatever the
alert code (the divisor of alerts per device per day)

Revision ID: 0006_alert_dmc_week
Revises: 0005_alerts
Create Date: 2026-11-24 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_alert_dmc_week'
down_revision = '0005_alerts'
branch_labels = None
depends_on = None

REGION_CHECK = "region IN ('north', 'central', 'south')"


def upgrade():
    op.create_table('alert_dmc_week',
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('region', sa.String(length=7), nullable=False),
    sa.Column('dmc_id', sa.Integer(), nullable=False),
    sa.Column('device_days', sa.BigInteger(), nullable=False),
    sa.Column('days', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint(REGION_CHECK, name=op.f('ck_alert_dmc_week_region')),
    sa.ForeignKeyConstraint(['dmc_id'], ['alert_dmc.id'], name=op.f('fk_alert_dmc_week_dmc_id_alert_dmc')),
    sa.PrimaryKeyConstraint('week', 'region', 'dmc_id', name=op.f('pk_alert_dmc_week'))
    )
    # Weeks already summed get their device-days from the sums.
    op.execute(
        "INSERT INTO alert_dmc_week (week, region, dmc_id, device_days, days) "
        "SELECT week, region, dmc_id, max(device_days), max(days) FROM alert_week "
        "GROUP BY week, region, dmc_id"
    )


def downgrade():
    op.drop_table('alert_dmc_week')
