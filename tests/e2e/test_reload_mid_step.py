"""A reload in the middle of a step resumes where the participant was, in Chromium.

Issue 24, item 9: a reload after sound 5 of 6 of the headphone screen restarted at the volume page,
so the screen's answers so far were lost and the participant set the volume again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.models import Participant
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    n_trials=2,
    attention_check=False,
    repeat_check=False,
    practice_trial=False,
    screening="optional",
    screening_trials=3,
    screening_pass=1,
    screening_criterion="custom",
    listening_requirement=1.0,
    max_same_source_run=3,
)


def answer_sound(page, number: int, interval: str = "1") -> None:
    wait_for_app(page, f"Sound {number} of 3")
    drive.play_through(page)
    button = page.get_by_role("button", name=interval, exact=True)
    page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=30_000)
    button.click()


def test_a_reload_during_the_headphone_screen_resumes_at_the_same_sound(e2e_data_dir, monkeypatch, chromium):
    drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=1)
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url)
        drive.consent(page)
        drive.answer_questionnaire(page)
        drive.calibrate(page)
        answer_sound(page, 1, "2")
        wait_for_app(page, "Sound 2 of 3")

        page.reload()
        wait_for_app(page, "Sound 2 of 3")  # the same sound, not the volume page
        assert page.get_by_role("button", name="My volume is set, continue").count() == 0
        answer_sound(page, 2, "3")
        answer_sound(page, 3, "1")
        wait_for_app(page, "Instructions")

        with db.session_scope() as session:
            participant = session.scalars(select(Participant)).one()
            assert participant.screening["answers"] == [2, 3, 1]  # each sound's answer, once
    finally:
        context.close()
        server.stop()
