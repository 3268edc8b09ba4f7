"""trial timing: when the listening requirement of a trial was met (server time)

Revision ID: 0003_trial_timing
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_trial_timing'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listen_met_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trials', schema=None) as batch_op:
        batch_op.drop_column('listen_met_at')
