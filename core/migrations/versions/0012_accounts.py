"""accounts: named staff accounts with roles per study, invitations, access tokens

The single shared staff password of earlier versions (table ``staff_credential``) becomes the first
admin account, username ``admin``, with the same hash: whoever knew the password logs in as admin.
Open staff sessions belong to that account, so nobody is logged out by the upgrade.

Revision ID: 0012_accounts
Revises: 0011_studies
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_accounts"
down_revision = "0011_studies"
branch_labels = None
depends_on = None

_NOW = "CURRENT_TIMESTAMP"


def _create_tables() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("oidc_subject", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
        sa.UniqueConstraint("oidc_subject"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "study_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["staff_accounts.id"]),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("study_id", "account_id", name="uq_study_member"),
    )
    op.create_index(op.f("ix_study_members_study_id"), "study_members", ["study_id"], unique=False)
    op.create_index(op.f("ix_study_members_account_id"), "study_members", ["account_id"], unique=False)
    for table, extra in (
        ("staff_invitations", [sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False)]),
        ("staff_access_tokens", [sa.Column("label", sa.String(length=100), nullable=False)]),
    ):
        used = "used_at" if table == "staff_invitations" else "revoked_at"
        op.create_table(
            table,
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("account_id", sa.Integer(), nullable=False),
            *extra,
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column(used, sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(["account_id"], ["staff_accounts.id"]),
            sa.PrimaryKeyConstraint("token_hash"),
        )
        op.create_index(op.f(f"ix_{table}_account_id"), table, ["account_id"], unique=False)


def upgrade() -> None:
    _create_tables()
    connection = op.get_bind()
    shared = connection.execute(sa.text("SELECT password_hash FROM staff_credential ORDER BY id LIMIT 1")).first()
    if shared is not None:
        connection.execute(
            sa.text(
                "INSERT INTO staff_accounts (id, username, display_name, password_hash, is_admin, created_at,"
                f" session_epoch) VALUES (1, 'admin', 'Admin', :hash, :yes, {_NOW}, 0)"
            ),
            {"hash": shared[0], "yes": True},
        )
        if connection.dialect.name == "postgresql":  # the explicit id 1 did not advance the sequence
            connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('staff_accounts', 'id'), 1)"))

    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_login_failures_account_id"), ["account_id"], unique=False)
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_staff_sessions_account_id"), ["account_id"], unique=False)
        batch_op.create_foreign_key("fk_staff_sessions_account_id", "staff_accounts", ["account_id"], ["id"])
    if shared is not None:  # whoever is logged in with the shared password stays logged in, as admin
        connection.execute(sa.text("UPDATE staff_sessions SET account_id = 1"))
    op.drop_table("staff_credential")


def downgrade() -> None:
    op.create_table(
        "staff_credential",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "INSERT INTO staff_credential (id, password_hash, updated_at) SELECT 1, password_hash, "
            f"{_NOW} FROM staff_accounts WHERE username = 'admin' AND password_hash IS NOT NULL"
        )
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_staff_sessions_account_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_staff_sessions_account_id"))
        batch_op.drop_column("account_id")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_account_id"))
        batch_op.drop_column("account_id")
    for table in ("staff_access_tokens", "staff_invitations", "study_members"):
        op.drop_table(table)
    op.drop_table("staff_accounts")
