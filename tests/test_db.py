"""The database foundation: migrations match the models, constraints hold on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core import db
from core.models import Base, Clip, Participant, Response, StudyVersion, Trial
from experiment.repository import default_study_id
from tests.conftest import PG_URL, require_or_skip


def test_migrations_produce_exactly_the_models(database_url):
    engine = db.get_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrate_twice_is_harmless(database_url):
    db.migrate(database_url)  # the fixture already migrated once


def _participant_with_trial(session):
    version = StudyVersion(study_id=default_study_id(session), config={})
    clip = Clip(
        served_sha256="a" * 64,
        served_name="a.mp3",
        original_sha256="b" * 64,
        original_name="b.wav",
        duration_s=20.0,
        sample_rate=44100,
        channels=2,
        codec="mp3",
        source="human",
    )
    session.add_all([version, clip])
    session.flush()
    participant = Participant(resume_token="tok", study_id=version.study_id, study_version_id=version.id, seed=1)
    session.add(participant)
    session.flush()
    trial = Trial(participant_id=participant.id, trial_index=0, clip_id=clip.id, audio_nonce="n1")
    session.add(trial)
    session.flush()
    return version, participant, trial


def test_a_trial_cannot_be_answered_twice(database_url):
    engine = db.get_engine(database_url)
    with db.session_scope(engine) as s:
        version, participant, trial = _participant_with_trial(s)
        s.add(
            Response(
                trial_id=trial.id,
                participant_id=participant.id,
                trial_index=0,
                study_version_id=version.id,
                guess="ai",
                confidence=5,
            )
        )
    with pytest.raises(IntegrityError):
        with db.session_scope(engine) as s:
            s.add(
                Response(
                    trial_id=trial.id,
                    participant_id=participant.id,
                    trial_index=0,
                    study_version_id=version.id,
                    guess="human",
                    confidence=1,
                )
            )
    with db.session_scope(engine) as s:
        answers = s.query(Response).all()
        assert [(a.guess, a.confidence) for a in answers] == [("ai", 5)]


def test_a_prolific_participant_is_stored_once_per_study(database_url):
    engine = db.get_engine(database_url)
    with db.session_scope(engine) as s:
        version = StudyVersion(study_id=default_study_id(s), config={})
        s.add(version)
        s.flush()
        default_version = version.id
        s.add(
            Participant(
                resume_token="t1",
                study_id=version.study_id,
                study_version_id=version.id,
                seed=1,
                prolific_pid="P1",
                prolific_study_id="S1",
            )
        )
    with pytest.raises(IntegrityError):
        with db.session_scope(engine) as s:
            s.add(
                Participant(
                    resume_token="t2",
                    study_id=default_study_id(s),
                    study_version_id=default_version,
                    seed=2,
                    prolific_pid="P1",
                    prolific_study_id="S1",
                )
            )


def test_sqlite_runs_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    db.migrate(url)
    with db.get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose_engines()


def test_four_processes_starting_on_one_fresh_sqlite_file_all_succeed(tmp_path):
    """Replicas on one machine share the SQLite file; their first starts must not race the DDL."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = "import sys; from core import db; db.migrate(sys.argv[1])"
    starts = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0, 0], errors
    db.migrate(url)  # and the result is at head


def test_hold_lock_serialises_read_then_write_across_connections(database_url):
    """Without the lock, concurrent read-modify-write loses updates (exposure balancing relies on it)."""
    import threading

    from sqlalchemy import text

    engine = db.get_engine(database_url)
    with db.session_scope(engine) as session:
        counter = StudyVersion(study_id=default_study_id(session), config={"n": 0})
        session.add(counter)
        session.flush()
        counter_id = counter.id

    def bump() -> None:
        for _ in range(10):
            with db.session_scope(engine) as session:
                session.execute(text("SELECT count(*) FROM participants")).all()  # an earlier read
                db.hold_lock(session, "test-counter")
                version = session.get(StudyVersion, counter_id)
                version.config = {"n": version.config["n"] + 1}

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.session_scope(engine) as session:
        assert session.get(StudyVersion, counter_id).config == {"n": 40}


def test_the_data_folder_and_database_are_private(tmp_path, monkeypatch):
    import stat

    from core import config

    data = tmp_path / "data"
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(data))
    config.ensure_dirs()
    url = f"sqlite:///{data / 'human_touch.db'}"
    db.migrate(url)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("human_touch.db", "human_touch.db-wal"):
        if (data / name).exists():
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    db.dispose_engines()


def test_a_snapshot_does_not_see_answers_committed_after_it_began(database_url):
    """The results read answers, participants and flow in one snapshot, so they agree during a live study."""
    from sqlalchemy import func, select

    engine = db.get_engine(database_url)
    with db.session_scope(engine) as session:
        session.add(StudyVersion(study_id=default_study_id(session), config={}))
    with db.snapshot_scope(engine) as snapshot:
        before = snapshot.scalar(select(func.count()).select_from(StudyVersion))
        with db.session_scope(engine) as writer:  # another page run saving meanwhile
            writer.add(StudyVersion(study_id=default_study_id(writer), config={}))
        assert snapshot.scalar(select(func.count()).select_from(StudyVersion)) == before
    with db.session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(StudyVersion)) == before + 1


@pytest.mark.parametrize(
    ("connection_limit", "processes", "expected"),
    [
        (None, 3, (10, 30)),  # SQLite: no server limit
        (97, 1, (10, 30)),  # PostgreSQL's default 100 less 3 reserved, one process: the full default
        (97, 3, (7, 23)),  # serve.sh's 2 replicas + staff replica: 92 // 3 = 30 each
        (97, 20, (1, 3)),
    ],
)
def test_the_pool_shares_what_the_server_allows(monkeypatch, connection_limit, processes, expected):
    monkeypatch.delenv("HUMAN_TOUCH_DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("HUMAN_TOUCH_DB_MAX_OVERFLOW", raising=False)
    limits = db.pool_limits(connection_limit, processes)
    assert (limits["pool_size"], limits["max_overflow"]) == expected
    if connection_limit is not None:
        assert sum(expected) * processes <= connection_limit - db.ADMIN_RESERVE


def test_a_pool_override_beyond_the_server_limit_warns_in_one_line(monkeypatch, caplog):
    monkeypatch.setenv("HUMAN_TOUCH_DB_POOL_SIZE", "10")
    monkeypatch.setenv("HUMAN_TOUCH_DB_MAX_OVERFLOW", "30")
    with caplog.at_level("WARNING", logger="core.db"):
        limits = db.pool_limits(97, 3)
    assert (limits["pool_size"], limits["max_overflow"]) == (10, 30)  # the organiser's choice stands
    (record,) = caplog.records
    assert "\n" not in record.getMessage() and "3 processes x (pool 10 + overflow 30) = 120" in record.getMessage()
    caplog.clear()
    with caplog.at_level("WARNING", logger="core.db"):
        db.pool_limits(97, 2)  # 80 fit
    assert caplog.records == []


def test_a_postgresql_engine_sizes_its_pool_from_max_connections(monkeypatch):
    require_or_skip(bool(PG_URL), "PostgreSQL (HUMAN_TOUCH_TEST_PG_URL)")
    monkeypatch.delenv("HUMAN_TOUCH_DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("HUMAN_TOUCH_DB_MAX_OVERFLOW", raising=False)
    monkeypatch.setenv("HUMAN_TOUCH_PROCESSES", "6")
    limit = db.server_connection_limit(PG_URL)
    assert limit is not None and limit > 0
    engine = db.make_engine(PG_URL)
    try:
        pool = engine.pool
        per_process = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
        assert per_process * 6 <= limit - db.ADMIN_RESERVE
        with engine.connect() as conn:  # and it works
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
