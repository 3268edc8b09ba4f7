"""The load benchmark's websocket client takes a participant from consent to debrief on the real server.

``benchmarks/participant_load.py`` is only worth its numbers if its simulated participants do
what a browser does; here one of them runs against ``streamlit run app.py`` and the database must
show a completed participant with every trial answered exactly once and the headphone screening
passed (the client hears the Huggins pitch through the interaural difference, as a listener does).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from benchmarks.participant_load import check_database, run_participants
from core import db
from core.models import Participant, Response, Trial
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.fresh_loop import run_in_fresh_loop

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    n_trials=4,
    practice_trial=True,
    attention_check=True,
    repeat_check=False,
    screening="required",
    screening_trials=2,
    screening_pass=2,
    listening_requirement=1.0,
    max_same_source_run=3,
)


def test_one_participant_completes_with_every_answer_stored_once(e2e_data_dir, monkeypatch):
    drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=3)
    server = drive.start_server(e2e_data_dir)
    try:
        (result,) = run_in_fresh_loop(run_participants(server.url, n=1, think_s=0.0, ramp_s=0.0, timeout_s=120.0))
    finally:
        server.stop()

    assert result.error is None, f"{result.error}\n{server.log()[-3000:]}"
    assert result.completed and result.token
    assert result.answers_sent == 1 + 4 + 1  # practice, main trials, attention check
    assert len(result.clip_latencies_s) == result.answers_sent - 1  # every answer but the last leads to a clip
    check = check_database([result])
    assert (check.lost, check.duplicated, check.incomplete) == (0, 0, 0)
    with db.session_scope() as session:
        participant = session.scalars(select(Participant).where(Participant.resume_token == result.token)).one()
        assert participant.screening_passed is True
        n_trials = session.scalar(select(func.count(Trial.id)).where(Trial.participant_id == participant.id))
        answered = session.execute(
            select(Response.trial_index, Response.listened_s, Response.plays).where(
                Response.participant_id == participant.id
            )
        ).all()
    assert n_trials == len(answered) == 6
    assert all(plays == 1 and listened > 0 for _, listened, plays in answered)
