"""Retention: Prolific ids are erased when the study's period has passed (answers stay); old login addresses go."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from core import db
from core import repository as core_repository
from core.models import LoginFailure, Participant, Response, utcnow
from experiment.entry import load_participant
from experiment.retention import erase_expired_identifiers
from human_touch.maintenance import run_maintenance
from tests.experiment.drive import add_clips, complete_participant, configure, consent, prolific


def _ids(token: str) -> tuple:
    with db.session_scope() as s:
        p = load_participant(s, token)
        return p.prolific_pid, p.prolific_study_id, p.prolific_session_id


def test_identifiers_are_erased_after_the_retention_period_and_answers_stay(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", identifier_retention_days=30)
    finished_long_ago = complete_participant(prolific("OLD-DONE", session_id="S1"))
    left_long_ago = consent(prolific("OLD-LEFT", session_id="S2"))
    finished_yesterday = complete_participant(prolific("NEW-DONE", session_id="S3"))
    now = utcnow()
    with db.session_scope() as s:
        s.execute(
            update(Participant)
            .where(Participant.prolific_pid == "OLD-DONE")
            .values(completed_at=now - timedelta(days=31))
        )
        s.execute(
            update(Participant)
            .where(Participant.prolific_pid == "OLD-LEFT")
            .values(created_at=now - timedelta(days=31))
        )
        s.execute(
            update(Participant)
            .where(Participant.prolific_pid == "NEW-DONE")
            .values(completed_at=now - timedelta(days=1))
        )
        answers_before = s.scalar(select(func.count()).select_from(Response))
    with db.session_scope() as s:
        assert erase_expired_identifiers(s, now) == 2
    assert _ids(finished_long_ago) == (None, None, None)
    assert _ids(left_long_ago) == (None, None, None)
    assert _ids(finished_yesterday) == ("NEW-DONE", "STUDY1", "S3")
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == answers_before  # the answers stay
        assert s.scalar(select(func.count()).select_from(Participant)) == 3
        assert erase_expired_identifiers(s, now) == 0  # nothing left to erase today
    # Thirty days on (the clock moved), the last one goes too.
    with db.session_scope() as s:
        assert erase_expired_identifiers(s, now + timedelta(days=30)) == 1
    assert _ids(finished_yesterday) == (None, None, None)


def test_maintenance_forgets_old_failed_login_addresses_and_keeps_recent_ones(data_env):
    now = utcnow()
    with db.session_scope() as s:
        core_repository.record_login_failure(s, "203.0.113.9", None, now - timedelta(days=45))
        core_repository.record_login_failure(s, "198.51.100.7", None, now - timedelta(days=2))
    report = run_maintenance(now)
    assert report.login_failures_forgotten == 1 and report.identifiers_erased == 0
    with db.session_scope() as s:
        assert s.scalars(select(LoginFailure.client)).all() == ["198.51.100.7"]
