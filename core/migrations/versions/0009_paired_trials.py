"""paired (2AFC) trials: pair number and position on trials, the pair's choice on responses

Revision ID: 0009_paired_trials
Revises: 0008_conditions
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_paired_trials"
down_revision = "0006_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pair_trial", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pair_position", sa.Integer(), nullable=True))
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pair_choice", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pair_confidence", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("pair_confidence")
        batch_op.drop_column("pair_choice")
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_column("pair_position")
        batch_op.drop_column("pair_trial")
