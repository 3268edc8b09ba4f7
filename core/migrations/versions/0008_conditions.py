"""study designs: the participant's condition, the label shown on a labelled trial

Revision ID: 0008_conditions
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_conditions"
down_revision = '0004_language'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("condition", sa.String(length=16), nullable=True))
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_shown", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("label_mode", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_column("label_mode")
        batch_op.drop_column("label_shown")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("condition")
