"""A database written before studies existed migrates into one study with nothing lost, on both backends.

The fixture (``tests/fixtures/single_study.sql``, an ``iterdump`` of the SQLite database, and its
export ``single_study_export/``) was written by the code of commit c0bb91d, the last main with one
study per deployment (``make_single_study_database.py`` says how). On PostgreSQL the same rows are
loaded into a database migrated to that code's last revision.
"""

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, func, select, text

from core import db
from core.models import ConsentDecline, Participant, Response, Study, StudyVersion, Withdrawal
from experiment.reason_cues import DEFAULT_REASON_CUES
from results.data.dataset import PREREGISTERED, load_dataset
from results.rendering.export import write_export
from tests.conftest import PG_URL, WORKER, _drop_postgres, _recreate_postgres, require_or_skip

FIXTURES = Path(__file__).parent / "fixtures"
LAST_SINGLE_STUDY_REVISION = "0010_withdrawals"
NEW_SETTINGS_AT_THEIR_OLD_BEHAVIOUR = {
    "clip_ids": [],
    "withdrawal_keeps_answers": False,
    "hypotheses": "",
    "pairing_design": "off",
    "pairing_features": ["timbre", "tempo", "key", "loudness range", "spectral shape"],
    "ask_reason": "off",
    "reason_cues": DEFAULT_REASON_CUES,
}
"""Settings added since the fixture was written: every clip (as then), a withdrawal erases everything, no own
hypotheses, no pairing design and no reason question (the default cue words, which only the analysis reads)."""
SETTINGS_THAT_BECAME_STATE = {"is_open"}
"""Settings since moved out of the versions: open/closed is a state of the study (``studies.is_open``)."""
TRIAL_COLUMNS_ADDED_SINCE = {"pairing", "reason"}
"""Trial table columns added since the fixture was written: empty for the old answers."""
TABLES_IN_ORDER = (
    "study_versions",
    "library_settings",
    "clips",
    "clip_features",
    "clip_blobs",
    "participants",
    "consent_declines",
    "withdrawals",
    "trials",
    "responses",
)


def _restore_fixture(path: Path) -> str:
    """The fixture's SQLite database, restored from its SQL dump at ``path``; returns its URL."""
    with sqlite3.connect(path) as connection:
        connection.executescript((FIXTURES / "single_study.sql").read_text(encoding="utf-8"))
    return f"sqlite:///{path}"


def _copy_rows_into_postgres(url: str, sqlite_copy: str) -> None:
    """Load every row of the fixture into a PostgreSQL database at the fixture's revision."""
    source = create_engine(sqlite_copy)
    target = db.get_engine(url)
    metadata = MetaData()
    metadata.reflect(target)
    with source.connect() as read, target.begin() as write:
        for name in TABLES_IN_ORDER:
            rows = [dict(row) for row in read.execute(select(metadata.tables[name])).mappings()]
            if rows:
                write.execute(metadata.tables[name].insert(), rows)
            if "id" in metadata.tables[name].c and rows:
                write.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :n)"), {"n": len(rows)})
    source.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def single_study_database(request, tmp_path):
    """The fixture database, not yet migrated past the single-study revision, as a URL."""
    restored = _restore_fixture(tmp_path / "single_study.db")
    if request.param == "sqlite":
        yield restored
        db.dispose_engines()
        return
    require_or_skip(bool(PG_URL), "PostgreSQL (HUMAN_TOUCH_TEST_PG_URL)")
    name = f"human_touch_legacy_{WORKER}"
    url = _recreate_postgres(name)
    command.upgrade(db.alembic_config(url), LAST_SINGLE_STUDY_REVISION)
    _copy_rows_into_postgres(url, restored)
    yield url
    db.dispose_engines()
    _drop_postgres(name)


def _counts(url: str) -> dict[str, int]:
    with db.session_scope(db.get_engine(url)) as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (StudyVersion, Participant, Response, ConsentDecline, Withdrawal)
        }


def test_a_single_study_database_becomes_one_study_with_every_answer(single_study_database, tmp_path):
    before = _counts(single_study_database)
    db.migrate(single_study_database)
    assert _counts(single_study_database) == before
    assert before["responses"] > 0 and before["study_versions"] == 2
    with db.session_scope(db.get_engine(single_study_database)) as session:
        studies = session.scalars(select(Study)).all()
        assert [(s.id, s.slug) for s in studies] == [(1, "human-or-ai-a-listening-study")]
        was_open = studies[0].is_open
        assert set(session.scalars(select(StudyVersion.study_id))) == {1}
        assert set(session.scalars(select(Participant.study_id))) == {1}

    write_export(load_dataset(PREREGISTERED, db.get_engine(single_study_database)), tmp_path / "export", ("csv",))
    old, new = FIXTURES / "single_study_export", tmp_path / "export"
    for name in sorted(p.name for p in old.glob("*.csv")):
        before_rows = pd.read_csv(old / name, dtype=str, keep_default_na=False)
        after_rows = pd.read_csv(new / name, dtype=str, keep_default_na=False)
        if name == "trials.csv":
            assert set(after_rows["study"]) == {"human-or-ai-a-listening-study"}
            new_columns = set(after_rows.columns) - set(before_rows.columns) - {"study"}
            assert new_columns <= TRIAL_COLUMNS_ADDED_SINCE and (after_rows[sorted(new_columns)] == "").all().all()
            after_rows = after_rows.drop(columns=["study", *new_columns])
        if name == "participants.csv":  # the reason asked once after the last clip came later: empty here
            assert (after_rows.pop("reason_at_end") == "").all()
        if name == "versions.csv":  # settings added since: each at the default that does what the old code did
            for old, new in zip(before_rows["settings_json"], after_rows["settings_json"], strict=True):
                old_settings, new_settings = json.loads(old), json.loads(new)
                added = {key: new_settings.pop(key) for key in set(new_settings) - set(old_settings)}
                moved = {key: old_settings.pop(key) for key in SETTINGS_THAT_BECAME_STATE}
                assert added == NEW_SETTINGS_AT_THEIR_OLD_BEHAVIOUR and new_settings == old_settings
            assert moved["is_open"] == was_open  # the newest version's state is the study's
            after_rows = after_rows.drop(columns="settings_json")
            before_rows = before_rows.drop(columns="settings_json")
        pd.testing.assert_frame_equal(after_rows, before_rows, obj=name)
