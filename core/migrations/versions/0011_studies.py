"""studies: many studies in one deployment, and the audit trail

Every settings version and participant now belongs to a study. A database from before holds one
study's data: it becomes that study (named after the newest settings' title), nothing else changes.

Revision ID: 0011_studies
Revises: 0010_withdrawals
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0011_studies"
down_revision = "0010_withdrawals"
branch_labels = None
depends_on = None


def _slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (words[:40].rstrip("-")) or "study"


def _existing_study(connection) -> tuple[str, str] | None:
    """(slug, name) for the study an older database holds, or None when it holds none yet."""
    row = connection.execute(sa.text("SELECT config FROM study_versions ORDER BY id DESC LIMIT 1")).first()
    if row is None:
        return None
    config = row[0]
    if isinstance(config, str):  # SQLite hands JSON back as text here (no ORM type)
        import json

        config = json.loads(config)
    title = str((config or {}).get("title") or "Study")
    return _slug(title), title[:200]


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_study_id"), ["study_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)

    for table in ("study_versions", "participants"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("study_id", sa.Integer(), nullable=True))

    connection = op.get_bind()
    existing = _existing_study(connection)
    if existing is not None:
        slug, name = existing
        connection.execute(
            sa.text("INSERT INTO studies (id, slug, name, created_at) VALUES (1, :slug, :name, CURRENT_TIMESTAMP)"),
            {"slug": slug, "name": name},
        )
        if connection.dialect.name == "postgresql":  # the explicit id 1 did not advance the sequence
            connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('studies', 'id'), 1)"))
        connection.execute(sa.text("UPDATE study_versions SET study_id = 1"))
        connection.execute(sa.text("UPDATE participants SET study_id = 1"))

    # SQLite rebuilds each table here (core.db.migrate turns foreign keys off meanwhile, so the
    # rebuild's DROP TABLE cannot cascade into trials and responses).
    for table in ("study_versions", "participants"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("study_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_study_id"), ["study_id"], unique=False)
            batch_op.create_foreign_key(f"fk_{table}_study_id", "studies", ["study_id"], ["id"])


def downgrade() -> None:
    for table in ("participants", "study_versions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_study_id", type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_study_id"))
            batch_op.drop_column("study_id")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))
        batch_op.drop_index(batch_op.f("ix_audit_events_study_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
    op.drop_table("audit_events")
    op.drop_table("studies")
