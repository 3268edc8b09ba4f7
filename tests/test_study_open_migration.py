"""Migration 0013: a study's open/closed state moves from its newest settings version onto the study, both ways."""

import json

from alembic import command
from sqlalchemy import text

from core import db


def _insert_study(connection, study_id: int, slug: str, configs: list[dict]) -> None:
    connection.execute(
        text("INSERT INTO studies (id, slug, name, created_at) VALUES (:id, :slug, :slug, CURRENT_TIMESTAMP)"),
        {"id": study_id, "slug": slug},
    )
    json_value = "CAST(:c AS JSON)" if connection.dialect.name == "postgresql" else ":c"
    for config in configs:
        connection.execute(
            text(
                "INSERT INTO study_versions (study_id, created_at, config) "
                f"VALUES (:s, CURRENT_TIMESTAMP, {json_value})"
            ),
            {"s": study_id, "c": json.dumps(config)},
        )


def test_each_study_keeps_the_state_of_its_newest_version_and_a_downgrade_puts_it_back(database_url):
    config = db.alembic_config(database_url)
    command.downgrade(config, "0012_accounts")
    engine = db.get_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM study_versions"))
        connection.execute(text("DELETE FROM studies"))
        _insert_study(connection, 1, "closed-last", [{"is_open": True, "n_trials": 4}, {"is_open": False}])
        _insert_study(connection, 2, "reopened", [{"is_open": False}, {"is_open": True}])
        _insert_study(connection, 3, "from-before-the-key", [{"n_trials": 6}])
    db.dispose_engines()

    command.upgrade(config, "head")
    engine = db.get_engine(database_url)
    with engine.connect() as connection:
        states: dict[str, bool] = dict(connection.execute(text("SELECT slug, is_open FROM studies")).all())
    assert {slug: bool(is_open) for slug, is_open in states.items()} == {
        "closed-last": False,
        "reopened": True,
        "from-before-the-key": True,
    }
    with engine.begin() as connection:
        connection.execute(text("UPDATE studies SET is_open = :no WHERE slug = 'reopened'"), {"no": False})
    db.dispose_engines()

    command.downgrade(config, "0012_accounts")
    engine = db.get_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT study_id, config FROM study_versions ORDER BY id")).all()
    newest = {}
    for study_id, stored in rows:
        newest[study_id] = json.loads(stored) if isinstance(stored, str) else stored
    assert [newest[s]["is_open"] for s in (1, 2, 3)] == [False, False, True]
    assert newest[3]["n_trials"] == 6  # the rest of the config is kept
    db.dispose_engines()
    command.upgrade(config, "head")
    db.dispose_engines()
