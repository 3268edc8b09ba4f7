"""study open: whether a study takes new participants becomes a state of the study

Opening and closing used to store a new settings version (``is_open`` in the JSON config), so each
one became "the version in force". Now ``studies.is_open`` holds the state; the settings versions
keep the rest. Each study starts in the state of its newest version; the old versions' ``is_open``
key stays in their JSON (the settings loader ignores it).

Revision ID: 0013_study_open
Revises: 0012_accounts
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013_study_open"
down_revision = "0012_accounts"
branch_labels = None
depends_on = None


def _newest_is_open(connection) -> dict[int, bool]:
    """Study id -> ``is_open`` of its newest settings version (True where the key is missing)."""
    rows = connection.execute(sa.text("SELECT study_id, config FROM study_versions ORDER BY id")).all()
    newest: dict[int, bool] = {}
    for study_id, config in rows:  # in id order: the last one seen is the newest
        if isinstance(config, str):  # SQLite hands JSON back as text here (no ORM type)
            config = json.loads(config)
        newest[int(study_id)] = bool((config or {}).get("is_open", True))
    return newest


def upgrade() -> None:
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_open", sa.Boolean(), server_default=sa.true(), nullable=False))
    connection = op.get_bind()
    closed = [study_id for study_id, is_open in _newest_is_open(connection).items() if not is_open]
    for study_id in closed:
        connection.execute(sa.text("UPDATE studies SET is_open = :no WHERE id = :id"), {"no": False, "id": study_id})


def downgrade() -> None:
    # The state goes back into the newest version's config, where the older code reads it.
    connection = op.get_bind()
    states = dict(connection.execute(sa.text("SELECT id, is_open FROM studies")).all())
    for study_id, is_open in states.items():
        row = connection.execute(
            sa.text("SELECT id, config FROM study_versions WHERE study_id = :s ORDER BY id DESC LIMIT 1"),
            {"s": study_id},
        ).first()
        if row is None:
            continue
        config = json.loads(row[1]) if isinstance(row[1], str) else dict(row[1] or {})
        config["is_open"] = bool(is_open)
        value = "CAST(:c AS JSON)" if connection.dialect.name == "postgresql" else ":c"
        connection.execute(
            sa.text(f"UPDATE study_versions SET config = {value} WHERE id = :id"), {"c": json.dumps(config), "id": row[0]}
        )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_column("is_open")
