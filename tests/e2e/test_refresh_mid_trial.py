"""A refresh in the middle of a trial keeps the ratings given and the listening done, in Chromium.

Issue 24, item 8: a refresh mid-trial lost the ratings given so far, and the 20 s clip had to be
heard again in full. Each answer is now kept on the server as it is given and shown again after a
reload; a clip the server had accepted as heard opens its questions at once, and the stored answer
carries the listening the server accepted (so the server's own check passes). A refresh before the
clip was heard keeps the questions locked: what unlocks is what the server accepts. The refreshed
page names no clip (what tests/e2e/test_blinding.py checks of every participant view).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.models import Participant, ParticipantDraft, Response
from experiment import trial_drafts
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app
from tests.e2e.test_blinding import Capture
from tests.experiment.playable_clips import ClipIdentity
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

CLIP_S = 3.0
SINGLE = StudySettings(
    n_trials=2,
    attention_check=False,
    repeat_check=False,
    practice_trial=False,
    screening="off",
    listening_requirement=1.0,
    min_answer_seconds=0.0,
    max_same_source_run=3,
    ask_comment=True,
)
PAIRED = StudySettings(
    trial_format="paired",
    n_trials=4,
    practice_trial=True,
    screening="off",
    listening_requirement=1.0,
    min_answer_seconds=0.0,
)
_PLAYERS_AUDIO = """() => [...document.querySelectorAll('*')]
    .filter(e => e.shadowRoot && e.shadowRoot.querySelector('audio'))
    .map(e => e.shadowRoot.querySelector('audio'))"""


def chosen(page) -> list[str | None]:
    """The chosen point of every rating scale on the page, in order (None where none is chosen)."""
    scales = page.locator('[data-testid="stButtonGroup"]')
    values = []
    for i in range(scales.count()):
        selected = scales.nth(i).locator("button[aria-checked='true']")
        values.append(selected.inner_text().strip() if selected.count() else None)
    return values


def rate(page, scale: int, point: str) -> None:
    page.locator('[data-testid="stButtonGroup"]').nth(scale).get_by_role("radio", name=point, exact=True).click()


def kept_answers() -> dict:
    """The answers the server keeps for the screen shown ({} when none)."""
    with db.session_scope() as session:
        participant_id = session.scalars(select(Participant.id)).one()
        draft = session.get(ParticipantDraft, (participant_id, trial_drafts.ANSWERS_DRAFT))
        return dict(draft.value["fields"]) if draft is not None else {}


def wait_until_kept(expected: dict) -> None:
    wait_until(lambda: kept_answers() == expected, f"the server keeps {expected}")


def open_trials(page, server_url: str, settings: StudySettings) -> None:
    page.goto(server_url)
    drive.consent(page)
    drive.answer_questionnaire(page, settings=settings)
    drive.read_instructions(page)


def players_played(page) -> list[float]:
    """Seconds each player's <audio> has played in this page (0 for one never started)."""
    return page.evaluate(f"() => ({_PLAYERS_AUDIO})().map(a => a.played.length ? a.played.end(0) : 0)")


def new_page(chromium):
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def assert_blind(capture: Capture, identities: list[ClipIdentity]) -> None:
    """Nothing the refreshed page received or showed names a clip (see tests/e2e/test_blinding.py)."""
    assert capture.frames and capture.doms, "nothing was captured"
    for where, data in capture.haystacks():
        for identity in identities:
            for secret in identity.secrets():
                assert secret.encode() not in data, f"{secret!r} of clip {identity.clip_id} reached {where}"


def test_a_refresh_keeps_the_ratings_given_and_the_clip_heard(e2e_data_dir, monkeypatch, chromium):
    identities = drive.prepare_study(e2e_data_dir, monkeypatch, SINGLE, n_per_source=1, clip_seconds=CLIP_S)
    server = drive.start_server(e2e_data_dir)
    context, page = new_page(chromium)
    try:
        open_trials(page, server.url, SINGLE)
        wait_for_app(page, "Clip 1 of 2")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= 4")
        submit = page.get_by_role("button", name="Save and continue")
        assert submit.is_disabled()
        drive.play_through(page)
        page.wait_for_function("b => !b.disabled", arg=submit.element_handle(), timeout=30_000)
        rate(page, 0, "3")
        rate(page, 2, "7")
        page.locator('[data-testid="stRadio"]').filter(has_text="Sure human").get_by_text("Maybe AI").click()
        wait_until_kept({"valence": 3, "moved": 7, "confidence": 4})

        capture = Capture()  # the refreshed page, as test_blinding captures every participant view
        capture.attach(page)
        page.reload()
        wait_for_app(page, "Clip 1 of 2")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= 4")
        assert chosen(page) == ["3", None, "7", None]
        guess = page.locator('[data-testid="stRadio"]').filter(has_text="Sure human")
        assert guess.get_by_role("radio", name="Maybe AI").is_checked()
        # Heard before the refresh: open now, nothing played again.
        page.get_by_text("Thank you, you can answer now.").wait_for()
        submit = page.get_by_role("button", name="Save and continue")
        assert submit.is_enabled()
        assert players_played(page) == [0]
        capture.snapshot(page)
        capture.active = False
        assert_blind(capture, identities)
        rate(page, 1, "5")
        rate(page, 3, "6")
        submit.click()
        wait_for_app(page, "Clip 2 of 2")
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        assert chosen(page) == [None] * 4  # the next clip starts empty
        with db.session_scope() as session:
            stored = session.scalars(select(Response)).all()
        assert [(r.trial_index, r.valence, r.arousal, r.moved, r.liking, r.confidence) for r in stored] == [
            (0, 3, 5, 7, 6, 4)
        ]
        # The listening the server accepted before the refresh, not the new page's silence.
        assert stored[0].listened_s >= CLIP_S - 0.5 and stored[0].plays == 1
        assert kept_answers() == {}

        # A refresh before the clip was heard: still locked, until it is heard.
        submit = page.get_by_role("button", name="Save and continue")
        page.locator("audio").evaluate("a => a.play()")
        page.wait_for_function(f"() => ({_PLAYERS_AUDIO})()[0].currentTime > 0.5")
        page.reload()
        wait_for_app(page, "Clip 2 of 2")
        page.get_by_text("Please listen to the whole clip before answering.").wait_for()
        submit = page.get_by_role("button", name="Save and continue")
        assert submit.is_disabled()

        def type_comment() -> None:  # the box keeps the focus: one click on Save must still send all
            page.get_by_label("Anything you would like to add? (optional)").press_sequentially("a long\nfade")

        drive.answer_current_trial(page, "Sure human", "Clip 2 of 2", before_submit=type_comment)
        wait_for_app(page, "A few last questions")
        with db.session_scope() as session:
            stored = session.scalars(select(Response).order_by(Response.trial_index)).all()
        assert [(r.trial_index, r.comment) for r in stored] == [(0, None), (1, "a long\nfade")]  # each once
    finally:
        context.close()
        server.stop()


def test_a_refresh_keeps_a_pairs_ratings_and_choice(e2e_data_dir, monkeypatch, chromium):
    drive.prepare_study(e2e_data_dir, monkeypatch, PAIRED, n_per_source=3, clip_seconds=CLIP_S)
    server = drive.start_server(e2e_data_dir)
    context, page = new_page(chromium)
    try:
        open_trials(page, server.url, PAIRED)
        wait_for_app(page, "Practice pair")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= 8")
        submit = page.get_by_role("button", name="Save and continue")
        drive.play_every_clip(page, 2)
        page.wait_for_function("b => !b.disabled", arg=submit.element_handle(), timeout=30_000)
        rate(page, 0, "2")  # the first clip's first scale
        rate(page, 5, "8")  # the second clip's second scale
        drive.wait_for_radios(page, 2)
        page.locator('[data-testid="stRadio"]').filter(has_text="The first clip").get_by_text("The second clip").click()
        wait_until_kept({"1_valence": 2, "2_arousal": 8, "choice": 2})

        page.reload()
        wait_for_app(page, "Practice pair")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= 8")
        assert chosen(page) == ["2", None, None, None, None, "8", None, None]
        choice = page.locator('[data-testid="stRadio"]').filter(has_text="The first clip")
        assert choice.get_by_role("radio", name="The second clip").is_checked()
        submit = page.get_by_role("button", name="Save and continue")
        assert submit.is_enabled() and players_played(page) == [0, 0]
        for scale, value in enumerate(chosen(page)):
            if value is None:
                rate(page, scale, "5")
        page.locator('[data-testid="stRadio"]').filter(has_text="Fairly sure").get_by_text("Sure", exact=True).click()
        submit.click()
        wait_for_app(page, "Pair 1 of 2")
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        with db.session_scope() as session:
            stored = session.scalars(select(Response).order_by(Response.trial_index)).all()
        assert [(r.valence, r.arousal, r.moved, r.liking, r.pair_choice, r.pair_confidence) for r in stored] == [
            (2, 5, 5, 5, 2, 3),
            (5, 8, 5, 5, 2, 3),
        ]
        assert all(r.listened_s >= CLIP_S - 0.5 and r.plays == 1 for r in stored)
        assert kept_answers() == {}
    finally:
        context.close()
        server.stop()
