"""Backups while participants answer, and restores into an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from core import db
from core.backup import BackupError, backup, restore
from core.models import Participant, Response
from tests.conftest import WORKER, _recreate_postgres
from tests.experiment.drive import add_clips, complete_participant, configure, prolific


def _answers(url: str) -> list[tuple]:
    """Every stored answer with who gave it, as comparable tuples."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Response.id,
                Response.participant_id,
                Response.trial_id,
                Response.guess,
                Response.confidence,
                Response.valence,
                Response.answered_at,
            ).order_by(Response.id)
        ).all()
        completed = connection.execute(select(Participant.id, Participant.completed_at).order_by(Participant.id)).all()
    engine.dispose()
    return [tuple(row) for row in rows] + [("participant", *row) for row in completed]


def _empty_target(database_url: str, tmp_path: Path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'human_touch.db'}"
    return _recreate_postgres(f"human_touch_restored_{WORKER}")


def test_a_backup_during_a_live_study_restores_into_an_empty_database_exactly(data_env, database_url, tmp_path):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    complete_participant(prolific("FIRST-1", session_id="S1"))
    stop, errors = threading.Event(), []

    def participants_keep_answering() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            try:
                complete_participant(prolific(f"LIVE-{number}", session_id=f"S{number}"))
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
                return

    writer = threading.Thread(target=participants_keep_answering)
    writer.start()
    try:
        backup(tmp_path / "during.backup", database_url)
    finally:
        stop.set()
        writer.join()
    assert errors == []
    target = _empty_target(database_url, tmp_path)
    restore(tmp_path / "during.backup", target)
    restored, source = _answers(target), _answers(database_url)
    answers = {row for row in restored if row[0] != "participant"}
    assert answers and answers <= set(source)  # a consistent snapshot: every restored answer as stored
    finished = {row[1] for row in restored if row[0] == "participant" and row[2] is not None}

    def answers_of(rows: list[tuple], participant: int) -> int:
        return sum(1 for row in rows if row[0] != "participant" and row[1] == participant)

    assert finished and all(answers_of(restored, p) == answers_of(source, p) for p in finished)  # none half copied

    # After the study, a second backup restores every answer identically.
    again = _empty_target(database_url, tmp_path / "again")
    backup(tmp_path / "after.backup", database_url)
    with pytest.raises(BackupError, match="exists"):
        backup(tmp_path / "after.backup", database_url)
    restore(tmp_path / "after.backup", again)
    assert _answers(again) == source
    with pytest.raises(BackupError, match="empty"):
        restore(tmp_path / "after.backup", again)  # never over a database that holds data
    db.dispose_engines()
