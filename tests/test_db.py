"""The database foundation: migrations match the models, constraints hold on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from core import db
from core.models import Base, Clip, Participant, Response, StudyVersion, Trial


def test_migrations_produce_exactly_the_models(database_url):
    engine = db.get_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrate_twice_is_harmless(database_url):
    db.migrate(database_url)  # the fixture already migrated once


def _participant_with_trial(session):
    version = StudyVersion(config={})
    clip = Clip(served_sha256="a" * 64, served_name="a.mp3", original_sha256="b" * 64,
                original_name="b.wav", duration_s=20.0, sample_rate=44100, channels=2,
                codec="mp3", source="human")
    session.add_all([version, clip])
    session.flush()
    participant = Participant(resume_token="tok", study_version_id=version.id, seed=1)
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
        s.add(Response(trial_id=trial.id, participant_id=participant.id, trial_index=0,
                       study_version_id=version.id, guess="ai", confidence=5))
    with pytest.raises(IntegrityError):
        with db.session_scope(engine) as s:
            s.add(Response(trial_id=trial.id, participant_id=participant.id, trial_index=0,
                           study_version_id=version.id, guess="human", confidence=1))
    with db.session_scope(engine) as s:
        answers = s.query(Response).all()
        assert [(a.guess, a.confidence) for a in answers] == [("ai", 5)]


def test_a_prolific_participant_is_stored_once_per_study(database_url):
    engine = db.get_engine(database_url)
    with db.session_scope(engine) as s:
        version = StudyVersion(config={})
        s.add(version)
        s.flush()
        s.add(Participant(resume_token="t1", study_version_id=version.id, seed=1,
                          prolific_pid="P1", prolific_study_id="S1"))
    with pytest.raises(IntegrityError):
        with db.session_scope(engine) as s:
            s.add(Participant(resume_token="t2", study_version_id=1, seed=2,
                              prolific_pid="P1", prolific_study_id="S1"))


def test_sqlite_runs_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    db.migrate(url)
    with db.get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose_engines()
