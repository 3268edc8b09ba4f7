"""participant language: the language (ISO 639-1) a participant took the study in

Revision ID: 0004_language
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_language'
down_revision = '0003_trial_timing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Everyone before this migration saw the English-only study.
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), server_default='en', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('language')
