"""participant reason: the one "What made you think so?" of a study that asks it after the last clip

Revision ID: 0016_participant_reason
Revises: 0015_pairing_and_reasons
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_participant_reason"
down_revision = "0015_pairing_and_reasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("reason")
