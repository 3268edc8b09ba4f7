"""participants.simulated: demo participants made by `human-touch demo participants`

Revision ID: 0007_simulated
Revises: 0008_conditions
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_simulated'
down_revision = '0008_conditions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('simulated', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('simulated')
