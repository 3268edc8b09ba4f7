"""withdrawals: a bare count per study version of participants who withdrew

Revision ID: 0010_withdrawals
Revises: 0009_paired_trials
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_withdrawals"
down_revision = "0009_paired_trials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "withdrawals",
        sa.Column("study_version_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_version_id"], ["study_versions.id"]),
        sa.PrimaryKeyConstraint("study_version_id"),
    )


def downgrade() -> None:
    op.drop_table("withdrawals")
