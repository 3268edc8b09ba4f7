"""The participant journey in Chromium against `streamlit run app.py`: consent to debrief with real playback.

Midway the page is reloaded and later the server is restarted; the participant must land on the
first unanswered trial each time, keep the same stored trial list, and every trial must be stored
exactly once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.models import Participant, Response, Trial
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    n_trials=4,
    attention_check=False,
    repeat_check=False,
    practice_trial=True,
    screening="optional",
    screening_trials=1,
    screening_pass=1,
    listening_requirement=1.0,
    max_same_source_run=3,
)


def trial_list() -> list[tuple[int, int, str, str]]:
    with db.session_scope() as session:
        rows = session.execute(
            select(Trial.trial_index, Trial.clip_id, Trial.kind, Trial.audio_nonce).order_by(Trial.trial_index)
        ).all()
    return [(r.trial_index, r.clip_id, r.kind, r.audio_nonce) for r in rows]


def test_consent_to_debrief_with_reload_and_server_restart(e2e_data_dir, monkeypatch, chromium):
    identities = drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=3)
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url)
        token = drive.consent(page)
        drive.answer_questionnaire(page)
        drive.pass_audio_check(page)
        drive.read_instructions(page)
        assigned = trial_list()
        assert [kind for _, _, kind, _ in assigned] == ["practice"] + ["main"] * 4

        drive.answer_current_trial(page, "Sure human", "Practice clip")
        drive.answer_current_trial(page, "Sure AI", "Clip 1 of 4")
        wait_for_app(page, "Clip 2 of 4")

        page.reload()  # a refresh resumes at the first unanswered trial
        drive.answer_current_trial(page, "Probably AI", "Clip 2 of 4")
        wait_for_app(page, "Clip 3 of 4")

        server.restart()  # everything lives in the database, nothing in the old server's memory
        page.goto(f"{server.url}/?resume={token}")
        drive.answer_current_trial(page, "Maybe human", "Clip 3 of 4")
        drive.answer_current_trial(page, "Sure human", "Clip 4 of 4")
        drive.answer_after_trials(page)

        wait_for_app(page, "Which clips were made by AI?")
        for element in ("stMetric", "stTable", "stCode"):  # drawn by lazily loaded widget code
            page.locator(f'[data-testid="{element}"]').first.wait_for()
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "correct guesses" in text and "of 4" in text
        with db.session_scope() as session:
            participant = session.scalars(select(Participant)).one()
            code = participant.completion_code
            responses = session.scalars(select(Response).order_by(Response.trial_index)).all()
        assert code and code in text
        assert trial_list() == assigned  # same stored trial list after reload and restart
        assert [r.trial_index for r in responses] == [0, 1, 2, 3, 4]  # each trial exactly once
        assert [r.confidence for r in responses] == [1, 6, 5, 3, 1]
        assert all((r.valence, r.arousal, r.moved, r.liking, r.familiar) == (5, 5, 5, 5, False) for r in responses)
        for response in responses:
            # Heard in the real player: whole 3 s clip, at least one play, time to first play measured.
            assert response.plays >= 1 and response.listened_s >= 3.0 - 0.5
            assert response.time_to_first_play_ms is not None and response.time_to_answer_ms is not None
        # The reveal names the creators of the clips this participant heard (debrief only).
        heard = {clip_id for _, clip_id, kind, _ in assigned if kind == "main"}
        assert all(i.creator in text or (i.ai_system or "") in text for i in identities if i.clip_id in heard)
    finally:
        context.close()
        server.stop()


def test_trial_page_fits_a_phone(e2e_data_dir, monkeypatch, chromium, tmp_path):
    """390x844 (a common phone): no horizontal scrolling, the player and answers fit the width."""
    drive.prepare_study(e2e_data_dir, monkeypatch, STUDY.with_changes(screening="off", practice_trial=False))
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url)
        drive.consent(page)
        drive.answer_questionnaire(page)
        drive.read_instructions(page)
        wait_for_app(page, "Clip 1 of 4")
        page.screenshot(path=str(tmp_path / "trial-390x844.png"), full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page scrolls sideways by {overflow}px on a phone"
        box = page.locator("audio").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        submit = page.get_by_role("button", name="Save and continue").bounding_box()
        assert submit["x"] + submit["width"] <= 390
    finally:
        context.close()
        server.stop()
