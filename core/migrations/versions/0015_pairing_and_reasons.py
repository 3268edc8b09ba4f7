"""pairing and reasons: similarity-pair overrides, the pairing type of a pair and a participant, the reason given

Revision ID: 0015_pairing_and_reasons
Revises: 0014_participant_drafts
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_pairing_and_reasons"
down_revision = "0014_participant_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pair_overrides",
        sa.Column("human_clip_id", sa.Integer(), nullable=False),
        sa.Column("ai_clip_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["human_clip_id"], ["clips.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ai_clip_id"], ["clips.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("human_clip_id"),
        sa.UniqueConstraint("ai_clip_id"),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pairing", sa.String(length=8), nullable=True))
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pairing", sa.String(length=8), nullable=True))
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("reason")
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_column("pairing")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("pairing")
    op.drop_table("pair_overrides")
