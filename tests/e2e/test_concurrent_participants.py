"""Five participants at once in Chromium, consent to debrief: every click moves the page on.

Issue 12: with three participants at once a headphone-check answer made the moment it became
clickable was lost, and a saved answer left the page on the same clip. Here five participants, each
in its own thread with its own Playwright driver and Chromium, go through the whole study (consent,
questionnaire, calibration, two headphone-check sounds, instructions, practice, four clips) and
click every button the moment it becomes clickable, racing the blind player's last report. The
test fails if any click does not bring the next page (it waits up to :data:`ADVANCE_TIMEOUT_S`, a
limit for a hang, not a latency bound), or if an answer is lost or stored twice. How fast the pages
move on is measured by ``benchmarks/browser_load.py``, which prints p50/p95 at this and other sizes;
a wall-clock bound here made landing a lottery on a busy machine.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import db
from core.models import Participant, Response
from experiment.questionnaire import QUESTIONNAIRE
from experiment.settings import StudySettings
from tests.conftest import require_or_skip
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, wait_for_app

pytestmark = pytest.mark.e2e

N_PARTICIPANTS = 5
N_TRIALS = 4
ADVANCE_TIMEOUT_S = 120.0
"""How long a click may take to bring the next page before it counts as lost (a hang, not a latency)."""

STUDY = StudySettings(
    ai_questions_before=True,  # the journey ends at the debrief right after the last clip
    n_trials=N_TRIALS,
    attention_check=False,
    repeat_check=False,
    practice_trial=True,
    screening="optional",
    screening_trials=2,
    screening_pass=1,
    screening_criterion="custom",
    listening_requirement=1.0,
    max_same_source_run=3,
    prolific_enabled=False,
)


@dataclass
class Click:
    """One click and what followed: the text awaited and whether it showed."""

    what: str
    expected: str
    moved_on: bool
    answers_stored: int | None = None
    """For a click that did not move the page on: the participant's answers stored by then."""


@dataclass
class Journey:
    number: int
    token: str | None = None
    clicks: list[Click] = field(default_factory=list)
    error: str | None = None


def click_and_follow(page, journey: Journey, button, what: str, expected: str) -> None:
    """Click ``button`` and record whether ``expected`` shows; a lost click is recorded and the journey stops."""
    button.click()
    try:
        page.get_by_text(expected).first.wait_for(timeout=ADVANCE_TIMEOUT_S * 1000)
    except Exception:  # noqa: BLE001 - a click that never moved the page on is the finding, asserted later
        journey.clicks.append(Click(what, expected, False, stored_answers(journey.token)))
        raise
    journey.clicks.append(Click(what, expected, True))


def enabled_now(page, button) -> None:
    """Wait until ``button`` can be clicked, so the click races the player's last report."""
    page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=60_000)


def start_playing(page) -> None:
    """Start the blind player's <audio> (Playwright's CSS locators pierce its open shadow root)."""
    audio = page.locator("audio")
    audio.wait_for(state="attached")
    audio.evaluate("a => a.play()")


def play_and_answer(page, journey: Journey, expected: str, next_text: str, what: str) -> None:
    """Play the clip, rate the middle, guess, and "Save and continue" the moment it unlocks."""
    wait_for_app(page, expected)
    page.wait_for_function("n => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= n", arg=4)
    drive.wait_for_radios(page, 1)
    scales = page.locator('[data-testid="stButtonGroup"]')
    submit = page.get_by_role("button", name="Save and continue")
    start_playing(page)
    # The questions unlock with the listening requirement (Playwright's click waits for that).
    for i in range(scales.count()):
        buttons = scales.nth(i).locator("button")
        buttons.nth(buttons.count() // 2).click()
    page.locator('[data-testid="stRadio"]').filter(has_text="Sure human").get_by_text("Maybe AI", exact=True).click()
    familiarity = page.locator('[data-testid="stRadio"]').filter(has_text="Did you know this piece")
    if familiarity.count():
        familiarity.get_by_text("No", exact=True).click()
    enabled_now(page, submit)  # unlocked while the clip still plays: the click races its last reports
    click_and_follow(page, journey, submit, what, next_text)


def whole_journey(page, url: str, journey: Journey) -> None:
    def button(name: str):
        return page.get_by_role("button", name=name, exact=True)

    page.goto(url)
    wait_for_app(page, "Information about this study")
    click_and_follow(page, journey, button("I agree, start the study"), "consent", "About you")
    journey.token = page.url.split("resume=", 1)[1] if "resume=" in page.url else None
    drive.wait_for_radios(page, len(QUESTIONNAIRE))
    drive.choose_first_options(page)
    click_and_follow(page, journey, button("Continue"), "questionnaire", "My volume is set")
    wait_for_app(page, "My volume is set")
    start_playing(page)  # the calibration sound loops; the button unlocks once it has played
    calibrated = button("My volume is set, continue")
    enabled_now(page, calibrated)
    click_and_follow(page, journey, calibrated, "calibration", "Sound 1 of 2")
    for number in (1, 2):
        wait_for_app(page, f"Sound {number} of 2")
        start_playing(page)
        answer = button("1")
        enabled_now(page, answer)
        following = "Sound 2 of 2" if number == 1 else "Instructions"
        click_and_follow(page, journey, answer, f"headphone check {number}", following)
    wait_for_app(page, "Instructions")
    click_and_follow(page, journey, button("Start"), "instructions", "Practice clip")
    play_and_answer(page, journey, "Practice clip", f"Clip 1 of {N_TRIALS}", "practice")
    for k in range(1, N_TRIALS + 1):
        following = f"Clip {k + 1} of {N_TRIALS}" if k < N_TRIALS else "Which clips were made by AI?"
        play_and_answer(page, journey, f"Clip {k} of {N_TRIALS}", following, f"clip {k}")


def run_participant(url: str, journey: Journey) -> None:
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
                page.set_default_timeout(60_000)
                whole_journey(page, url, journey)
            finally:
                browser.close()
    except Exception as error:  # noqa: BLE001 - reported by the test
        where = [f"{frame.name}:{frame.lineno}" for frame in traceback.extract_tb(error.__traceback__)]
        journey.error = (
            f"{type(error).__name__} in {' > '.join(where[1:4])}: {str(error).strip().splitlines()[0][:200]}"
        )


def stored_answers(token: str | None) -> int:
    with db.session_scope() as session:
        return session.scalar(
            select(func.count(Response.id)).join(Participant).where(Participant.resume_token == token)
        )


def test_five_participants_at_once_every_click_moves_on(e2e_data_dir, monkeypatch):
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=4, clip_seconds=1.5)
    server = drive.start_server(e2e_data_dir)
    journeys = [Journey(i) for i in range(N_PARTICIPANTS)]
    try:
        threads = [threading.Thread(target=run_participant, args=(server.url, j)) for j in journeys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()  # each page wait has its own time limit
    finally:
        server.stop()

    stalled = [(j.number, c.what, c.expected, c.answers_stored) for j in journeys for c in j.clicks if not c.moved_on]
    assert not stalled, (
        f"clicks that never moved the page on (participant, click, awaited text, answers stored by then): {stalled}"
    )
    errors = [(j.number, j.clicks[-1].what if j.clicks else None, j.error) for j in journeys if j.error]
    assert not errors, f"participants who could not go on (number, last click, error): {errors}"
    for journey in journeys:
        assert stored_answers(journey.token) == N_TRIALS + 1  # practice + main, each once
