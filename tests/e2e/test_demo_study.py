"""The shipped demo study, end to end in Chromium, with the organiser's default settings.

The offline demo library is built exactly as `make run` builds it (Bach chorales vs the Markov
model, through the ingest pipeline); the participant then goes from consent to debrief with a
new tab midway. To keep the test short the organiser's listening requirement is a quarter of each
20 s clip (default: the whole clip); everything else is the default study.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import db
from core.models import Clip, Participant, Response, Trial
from experiment import repository
from experiment.settings import StudySettings
from human_touch import startup
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

LISTENING_REQUIREMENT = 0.25  # of each 20 s clip, set by the organiser to keep the test short


def _answer_trial(page, confidence: str, expected: str) -> None:
    """Play until the answers unlock, pause, rate the middle of each scale, guess, submit."""
    wait_for_app(page, expected)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= 4")
    drive.wait_for_radios(page, 1)
    submit = page.get_by_role("button", name="Save and continue")
    assert submit.is_disabled(), "answers must stay locked until enough of the clip was heard"
    audio = page.locator("audio")
    audio.wait_for(state="attached")
    audio.evaluate("a => a.play()")
    page.wait_for_function("b => !b.disabled", arg=submit.element_handle(), timeout=60_000)
    audio.evaluate("a => a.pause()")
    wait_for_app(page)
    scales = page.locator('[data-testid="stButtonGroup"]')
    for i in range(scales.count()):
        buttons = scales.nth(i).locator("button")
        buttons.nth(buttons.count() // 2).click()
    page.locator('[data-testid="stRadio"]').filter(has_text="Sure human").get_by_text(confidence, exact=True).click()
    familiarity = page.locator('[data-testid="stRadio"]').filter(has_text="Did you know this piece")
    if familiarity.count():
        familiarity.get_by_text("No", exact=True).click()
    submit.click()


def _do_audio_check(page, n_sounds: int) -> None:
    """Set the volume, then hear every headphone-screening sound and pick an interval."""
    drive.calibrate(page)
    for number in range(1, n_sounds + 1):
        wait_for_app(page, f"Sound {number} of {n_sounds}")
        drive.play_through(page)
        button = page.get_by_role("button", name="1", exact=True)
        page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=30_000)
        button.click()


def test_demo_study_runs_from_consent_to_debrief(e2e_data_dir, monkeypatch, chromium):
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(e2e_data_dir))
    monkeypatch.setenv("HUMAN_TOUCH_DATABASE_URL", f"sqlite:///{e2e_data_dir / 'human_touch.db'}")
    startup.prepare(build_demo=True, echo=lambda _: None)
    with db.session_scope() as session:
        repository.save_settings(
            session, StudySettings(listening_requirement=LISTENING_REQUIREMENT, ai_questions_before=True)
        )
    with db.session_scope() as session:
        sources = dict(session.execute(select(Clip.source, func.count()).group_by(Clip.source)).all())
    assert sources == {"human": 7, "ai": 7}  # 12 main clips, the practice clip and a spare

    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(server.url)
        wait_for_app(page, timeout_ms=120_000)  # first page of a fresh server
        token = drive.consent(page)
        drive.answer_questionnaire(page)
        _do_audio_check(page, StudySettings().screening_trials)
        drive.read_instructions(page)
        with db.session_scope() as session:
            kinds = session.scalars(select(Trial.kind).order_by(Trial.trial_index)).all()
        n_rated = sum(kind != "practice" for kind in kinds)
        assert kinds.count("main") == 12

        if kinds[0] == "practice":
            _answer_trial(page, "Maybe human", "Practice clip")
        for position in range(1, n_rated + 1):
            if position == n_rated // 2:
                page.goto(f"{server.url}/?resume={token}")  # a new tab with the resume link
            _answer_trial(page, "Probably AI" if position % 2 else "Probably human", f"Clip {position} of {n_rated}")
        wait_for_app(page, "Which clips were made by AI?")
    finally:
        context.close()
        server.stop()

    with db.session_scope() as session:
        participant = session.scalars(select(Participant)).one()
        responses = session.scalars(select(Response).order_by(Response.trial_index)).all()
        main_sources = session.scalars(
            select(Clip.source).join(Trial, Trial.clip_id == Clip.id).where(Trial.kind == "main")
        ).all()
    assert participant.completed_at is not None and participant.completion_code
    assert [r.trial_index for r in responses] == list(range(len(kinds)))  # every trial, once
    assert sorted(main_sources) == ["ai"] * 6 + ["human"] * 6
    assert all(r.listened_s >= LISTENING_REQUIREMENT * 20 - 0.5 for r in responses)
