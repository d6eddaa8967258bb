"""superfluous alerts tracker: DMCs, daily alert volumes and their weekly sums

Revision ID: 0005_alerts
Revises: 0004_publications
Create Date: 2026-11-25 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_alerts'
down_revision = '0004_publications'
branch_labels = None
depends_on = None

DEVICE_TYPES = ('ESME', 'GSME', 'CHF', 'GPF', 'PPMID', 'IHD', 'CAD')
REGION_CHECK = "region IN ('north', 'central', 'south')"


def upgrade():
    op.create_table('alert_dmc',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_type', sa.Enum(*DEVICE_TYPES, name='alert_dmc_device_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('manufacturer', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=120), nullable=False),
    sa.Column('firmware', sa.String(length=40), nullable=False),
    sa.Column('manufacturer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['manufacturer_id'], ['manufacturer.id'], name=op.f('fk_alert_dmc_manufacturer_id_manufacturer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_dmc')),
    sa.UniqueConstraint('device_type', 'manufacturer', 'model', 'firmware', name=op.f('uq_alert_dmc_device_type_manufacturer_model_firmware'))
    )
    with op.batch_alter_table('alert_dmc', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_dmc_manufacturer_id'), ['manufacturer_id'], unique=False)

    op.create_table('alert_volume',
    sa.Column('dmc_id', sa.Integer(), nullable=False),
    sa.Column('alert_code', sa.String(length=6), nullable=False),
    sa.Column('region', sa.String(length=7), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('alert_count', sa.Integer(), nullable=False),
    sa.Column('device_count', sa.Integer(), nullable=False),
    sa.CheckConstraint(REGION_CHECK, name=op.f('ck_alert_volume_region')),
    sa.CheckConstraint('alert_count >= 0 AND device_count >= 0', name=op.f('ck_alert_volume_counts')),
    sa.PrimaryKeyConstraint('dmc_id', 'alert_code', 'region', 'day', name=op.f('pk_alert_volume')),
    sqlite_with_rowid=False
    )
    op.create_table('alert_week',
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('alert_code', sa.String(length=6), nullable=False),
    sa.Column('region', sa.String(length=7), nullable=False),
    sa.Column('dmc_id', sa.Integer(), nullable=False),
    sa.Column('alert_count', sa.BigInteger(), nullable=False),
    sa.Column('device_days', sa.BigInteger(), nullable=False),
    sa.Column('days', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint(REGION_CHECK, name=op.f('ck_alert_week_region')),
    sa.ForeignKeyConstraint(['dmc_id'], ['alert_dmc.id'], name=op.f('fk_alert_week_dmc_id_alert_dmc')),
    sa.PrimaryKeyConstraint('week', 'alert_code', 'region', 'dmc_id', name=op.f('pk_alert_week'))
    )
    with op.batch_alter_table('alert_week', schema=None) as batch_op:
        batch_op.create_index('ix_alert_week_dmc_id_week', ['dmc_id', 'week'], unique=False)
        batch_op.create_index('ix_alert_week_alert_code_week', ['alert_code', 'week'], unique=False)

    op.create_table('alert_week_pending',
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('alert_code', sa.String(length=6), nullable=False),
    sa.Column('region', sa.String(length=7), nullable=False),
    sa.Column('dmc_id', sa.Integer(), nullable=False),
    sa.Column('next_week', sa.Date(), nullable=False),
    sa.CheckConstraint(REGION_CHECK, name=op.f('ck_alert_week_pending_region')),
    sa.ForeignKeyConstraint(['dmc_id'], ['alert_dmc.id'], name=op.f('fk_alert_week_pending_dmc_id_alert_dmc')),
    sa.PrimaryKeyConstraint('week', 'alert_code', 'region', 'dmc_id', name=op.f('pk_alert_week_pending'))
    )


def downgrade():
    op.drop_table('alert_week_pending')
    with op.batch_alter_table('alert_week', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_week_alert_code_week')
        batch_op.drop_index('ix_alert_week_dmc_id_week')
    op.drop_table('alert_week')
    op.drop_table('alert_volume')
    with op.batch_alter_table('alert_dmc', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_dmc_manufacturer_id'))
    op.drop_table('alert_dmc')
