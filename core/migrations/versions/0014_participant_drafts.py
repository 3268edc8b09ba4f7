"""participant_drafts: progress within an unfinished step (the headphone screen so far), kept across reloads

Revision ID: 0014_participant_drafts
Revises: 0013_study_open
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_participant_drafts"
down_revision = "0013_study_open"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participant_drafts",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("participant_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("participant_drafts")
