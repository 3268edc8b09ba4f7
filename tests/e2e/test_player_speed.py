"""The player and the server agree on speed: 4x playback never unlocks an answer the server refuses.

Issue 24, item 7: Chromium's own audio menu offers playback speed; at 4x the page said "Thank you,
you can answer now" and the server then refused the answer ("... sooner than the clip could have
been heard ... Nothing was saved"). The player pins the speed to 1x and counts a stretch as heard
for no more than the wall-clock time it took, so what unlocks the answer is what the server accepts.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.models import Response
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

CLIP_S = 6.0
STUDY = StudySettings(
    n_trials=2,
    attention_check=False,
    repeat_check=False,
    practice_trial=False,
    screening="off",
    listening_requirement=1.0,
    max_same_source_run=3,
)
# The player's <audio> lives in an open shadow root; Playwright's CSS locators pierce it, a plain
# document query does not.
_PLAYER_AUDIO = """() => [...document.querySelectorAll('*')]
    .filter(e => e.shadowRoot && e.shadowRoot.querySelector('audio'))
    .map(e => e.shadowRoot.querySelector('audio'))[0]"""


def test_four_times_speed_never_unlocks_before_the_server_accepts(e2e_data_dir, monkeypatch, chromium):
    drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=1, clip_seconds=CLIP_S)
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url)
        drive.consent(page)
        drive.answer_questionnaire(page)
        drive.read_instructions(page)
        wait_for_app(page, "Clip 1 of 2")
        page.wait_for_function("n => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= n", arg=4)
        submit = page.get_by_role("button", name="Save and continue")
        assert submit.is_disabled()

        audio = page.locator("audio")
        audio.wait_for(state="attached")
        # What the browser's speed menu does: play, then set the rate to 4x.
        audio.evaluate("a => a.play().then(() => { a.playbackRate = 4; })")
        page.wait_for_function(f"() => ({_PLAYER_AUDIO})().currentTime > 0")
        page.wait_for_function(f"() => ({_PLAYER_AUDIO})().playbackRate === 1")  # pinned back at once

        # The moment the page says "answer now", answer at once: the server must accept it.
        page.get_by_text("Thank you, you can answer now.").wait_for(timeout=60_000)
        page.wait_for_function("b => !b.disabled", arg=submit.element_handle(), timeout=30_000)
        scales = page.locator('[data-testid="stButtonGroup"]')
        for i in range(scales.count()):
            buttons = scales.nth(i).locator("button")
            buttons.nth(buttons.count() // 2).click()
        guesses = page.locator('[data-testid="stRadio"]').filter(has_text="Sure human")
        guesses.get_by_text("Maybe AI", exact=True).click()
        familiarity = page.locator('[data-testid="stRadio"]').filter(has_text="Did you know this piece")
        if familiarity.count():
            familiarity.get_by_text("No", exact=True).click()
        submit.click()

        wait_for_app(page, "Clip 2 of 2")
        refusals = page.locator('[data-testid="stAlertContentError"]')
        assert refusals.count() == 0, refusals.all_inner_texts()
        with db.session_scope() as session:
            stored = session.scalars(select(Response)).all()
        assert [r.trial_index for r in stored] == [0]  # stored, and once
        # Heard at 1x: the reported listening covers the clip (0.5 s tolerance), at one play.
        assert stored[0].listened_s >= CLIP_S - 0.5 and stored[0].plays == 1
    finally:
        context.close()
        server.stop()
