"""Drive the participant journey in a real browser, the way a participant does (clicks, real playback).

Shared by the real-browser journey and blinding tests. The study is prepared in the test process
(real MP3 clips, settings version) before the Streamlit server starts on the same data folder.
The functions taking ``lang`` find the page's texts in that language (the English text is
translated through the catalog, as the app does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from audio import repository as audio_repository
from core import db
from core.i18n import translate
from experiment import repository
from experiment.questionnaire import questions_before
from experiment.reasons import PER_TRIAL_PROMPT as REASON_PROMPT
from experiment.settings import StudySettings
from tests.e2e.conftest import StreamlitServer, wait_for_app
from tests.experiment.playable_clips import ClipIdentity, add_playable_clips


def prepare_study(
    data_dir: Path, monkeypatch, settings: StudySettings, n_per_source: int = 3, clip_seconds: float = 3.0
) -> list[ClipIdentity]:
    """Point this process at ``data_dir`` (SQLite), add playable clips and store ``settings``."""
    url = f"sqlite:///{data_dir / 'human_touch.db'}"
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(data_dir))
    monkeypatch.setenv("HUMAN_TOUCH_DATABASE_URL", url)
    db.migrate(url)
    identities = add_playable_clips(n_per_source, clip_seconds)
    with db.session_scope() as session:
        repository.save_settings(session, settings)
    return identities


def plant_similar_pairs(identities: list[ClipIdentity]) -> dict[int, int]:
    """Features (timbre) that put the k-th AI clip next to the k-th human clip and far from the others.

    For a pairing design (issue 26): similarity pairing then matches exactly these; returns {human: AI}
    clip ids. Stored before the server starts, as the organiser's ingest would have.
    """
    humans = [i.clip_id for i in identities if i.source == "human"]
    ais = [i.clip_id for i in identities if i.source == "ai"]
    with db.session_scope() as session:
        for k, (human, ai) in enumerate(zip(humans, ais, strict=True)):
            for clip_id, nudge in ((human, 0.0), (ai, 0.1)):
                values = {f"mfcc_{i}_mean": 10.0 * k + nudge for i in range(1, 14)}
                audio_repository.put_features(session, clip_id, values, "test")
    return dict(zip(humans, ais, strict=True))


def start_server(data_dir: Path) -> StreamlitServer:
    server = StreamlitServer(data_dir)
    server.start()
    return server


def click_button(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def consent(page, lang: str = "en") -> str:
    """Agree on the consent page; returns the resume token the page put into the URL."""
    wait_for_app(page, translate("Information about this study", lang))
    click_button(page, translate("I agree, start the study", lang))
    page.wait_for_url(re.compile(r"[?&]resume=[A-Za-z0-9_-]{20,}"))
    return re.search(r"resume=([A-Za-z0-9_-]+)", page.url).group(1)


def wait_for_radios(page, count: int) -> None:
    """Wait until ``count`` radio groups are drawn (widget code loads lazily, after the page text)."""
    page.wait_for_function("n => document.querySelectorAll('[data-testid=\"stRadio\"]').length >= n", arg=count)


def choose_first_options(page) -> None:
    """Pick the first option of every radio group on the page (questionnaire)."""
    groups = page.locator('[data-testid="stRadio"]')
    for i in range(groups.count()):
        groups.nth(i).locator('label[data-testid="stRadioOption"]').first.click()


def answer_questionnaire(page, lang: str = "en", settings: StudySettings | None = None) -> None:
    """The "About you" questions asked before the clips under ``settings`` (default settings)."""
    wait_for_app(page, translate("About you", lang))
    wait_for_radios(page, len(questions_before(settings or StudySettings())))
    choose_first_options(page)
    click_button(page, translate("Continue", lang))


def answer_after_trials(page, lang: str = "en") -> None:
    """The questions after the last clip (AI exposure and attitude; rate-only's source question)."""
    wait_for_app(page, translate("A few last questions", lang))
    wait_for_radios(page, 1)
    choose_first_options(page)
    click_button(page, translate("Continue", lang))


def play_through(page, timeout_ms: int = 30_000) -> None:
    """Start the (only) audio element and wait until the browser says it ended.

    Playwright's CSS locators pierce the player's open shadow root, so this is the player's own
    <audio> element playing the blob URL - the real thing, in real time.
    """
    # Polled rather than played once: the step before (the volume calibration) may leave its looping
    # player in the page for a moment, or the component may swap its <audio> element when the new sound
    # arrives; a play() sent to either never ends. Only a non-looping element counts, and one found
    # paused before its end is (re)started.
    page.locator("audio").wait_for(state="attached")
    page.wait_for_function(
        """() => { const h = [...document.querySelectorAll('*')]
                         .find(e => e.shadowRoot && e.shadowRoot.querySelector('audio'));
                   const a = h && h.shadowRoot.querySelector('audio');
                   if (!a || a.loop) return false;
                   if (a.ended) return true;
                   if (a.paused) a.play().catch(() => {});
                   return false; }""",
        timeout=timeout_ms,
        polling=250,
    )


def calibrate(page, lang: str = "en") -> None:
    """Play the (looping) calibration sound until "My volume is set" unlocks, then click it."""
    wait_for_app(page, translate("Audio check", lang))
    button = page.get_by_role("button", name=translate("My volume is set, continue", lang), exact=True)
    assert button.is_disabled(), "the volume is set only once the calibration sound has played"
    audio = page.locator("audio")
    audio.wait_for(state="attached")
    assert audio.evaluate("a => a.loop"), "the calibration sound loops until the participant goes on"
    audio.evaluate("a => a.play()")
    page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=30_000)
    button.click()


def pass_audio_check(page, lang: str = "en", before_answer: Callable[[], None] | None = None) -> None:
    """Calibrate, then answer the (single) screening sound with "1"; ``before_answer`` runs before that click."""
    calibrate(page, lang)
    wait_for_app(page, translate("Sound {number} of {total}", lang).split("{")[0])
    play_through(page)
    button = page.get_by_role("button", name="1", exact=True)
    page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=30_000)
    if before_answer is not None:
        before_answer()
    button.click()


def read_instructions(page, lang: str = "en") -> None:
    wait_for_app(page, translate("Instructions", lang))
    click_button(page, translate("Start", lang))


def listen_until_unlocked(page, submit) -> None:
    """Play until ``submit`` unlocks (the organiser's listening requirement), then pause."""
    audio = page.locator("audio")
    audio.wait_for(state="attached")
    audio.evaluate("a => a.play()")
    page.wait_for_function("b => !b.disabled", arg=submit.element_handle(), timeout=60_000)
    audio.evaluate("a => a.pause()")


def answer_current_trial(
    page,
    confidence: str | None,
    expected: str,
    n_scales: int = 4,
    before_submit: Callable[[], None] | None = None,
    whole_clip: bool = True,
    lang: str = "en",
    reason: str | None = None,
) -> None:
    """Listen to the whole clip, rate it, guess with ``confidence`` (e.g. "Sure AI"; None where not asked) and submit.

    ``expected`` is a text the trial page must show first ("Practice clip" or "Clip 2 of 4");
    ``n_scales`` the number of rating scales on it; ``before_submit`` runs right before the click.
    ``reason``: typed into "What made you think so?" (:func:`type_reason`).
    ``whole_clip=False`` listens only until the answers unlock (long clips, short requirement).
    ``confidence`` and ``expected`` may be catalog messages in English ("Sure AI", "Practice clip"):
    they are translated into ``lang``; any other text is taken as it is.
    """
    if confidence is not None:
        confidence = translate(confidence, lang)
    expected = translate(expected, lang)
    wait_for_app(page, expected)
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= n", arg=n_scales
    )
    if confidence is not None:
        wait_for_radios(page, 1)
    submit = page.get_by_role("button", name=translate("Save and continue", lang))
    assert submit.is_disabled(), "answers must stay locked until the clip was heard"
    if whole_clip:
        play_through(page)
        page.wait_for_function("b => !b.disabled", arg=submit.element_handle(), timeout=30_000)
    else:
        listen_until_unlocked(page, submit)
    wait_for_app(page)
    scales = page.locator('[data-testid="stButtonGroup"]')
    for i in range(scales.count()):
        buttons = scales.nth(i).locator("button")
        buttons.nth(buttons.count() // 2).click()  # the middle of each rating scale
    if confidence is not None:
        guesses = page.locator('[data-testid="stRadio"]').filter(has_text=translate("Sure human", lang))
        guesses.get_by_text(confidence, exact=True).click()
    familiar = translate("Did you know this piece before? (optional)", lang)
    familiarity = page.locator('[data-testid="stRadio"]').filter(has_text=familiar)
    if familiarity.count():
        familiarity.get_by_text(translate("No", lang), exact=True).click()
    if reason is not None:
        type_reason(page, reason, lang)
    if before_submit is not None:
        before_submit()
    submit.click()


def current_audio_src(page) -> str:
    return page.locator("audio").get_attribute("src")


def play_every_clip(page, count: int, timeout_ms: int = 30_000) -> None:
    """Start all ``count`` players' audio elements and wait until the browser says each one ended."""
    page.wait_for_function(
        """n => [...document.querySelectorAll('*')].filter(e => e.shadowRoot && e.shadowRoot.querySelector('audio'))
                   .length >= n""",
        arg=count,
    )
    audio = page.locator("audio")
    for i in range(count):
        audio.nth(i).evaluate("a => a.play()")
    page.wait_for_function(
        """() => [...document.querySelectorAll('*')]
                   .filter(e => e.shadowRoot && e.shadowRoot.querySelector('audio'))
                   .every(h => h.shadowRoot.querySelector('audio').ended)""",
        timeout=timeout_ms,
    )


def answer_current_pair(
    page,
    choice: str,
    confidence: str,
    expected: str,
    n_scales: int = 4,
    lang: str = "en",
    reason: str | None = None,
    before_submit: Callable[[], None] | None = None,
    double_click: bool = False,
) -> None:
    """A paired trial: play both clips in full, rate both, say which was AI and how sure.

    ``choice`` is e.g. "The first clip", ``confidence`` e.g. "Fairly sure".
    ``expected`` is a text the page must show first (e.g. "Pair 1 of 3"); every text is an English
    catalog message translated into ``lang``. ``reason``: typed into "What made you think so?" key by
    key, each line ended with the Enter key (which must start a new line, never send the answer).
    ``before_submit`` runs right before the click; ``double_click`` sends it with a double click.
    """
    wait_for_app(page, translate(expected, lang))
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stButtonGroup\"]').length >= n", arg=2 * n_scales
    )
    submit = page.get_by_role("button", name=translate("Save and continue", lang))
    assert submit.is_disabled(), "answers must stay locked until both clips were heard"
    play_every_clip(page, 2)
    page.wait_for_function("b => !b.disabled", arg=submit.element_handle(), timeout=30_000)
    wait_for_app(page)
    scales = page.locator('[data-testid="stButtonGroup"]')
    for i in range(scales.count()):
        buttons = scales.nth(i).locator("button")
        buttons.nth(buttons.count() // 2).click()  # the middle of each rating scale
    wait_for_radios(page, 2)
    radios = page.locator('[data-testid="stRadio"]')
    radios.filter(has_text=translate("The first clip", lang)).get_by_text(translate(choice, lang), exact=True).click()
    radios.filter(has_text=translate("Fairly sure", lang)).get_by_text(translate(confidence, lang), exact=True).click()
    if reason is not None:
        type_reason(page, reason, lang)
    if before_submit is not None:
        before_submit()
    if double_click:
        submit.dblclick()
    else:
        submit.click()


def type_reason(page, reason: str, lang: str = "en") -> None:
    """Type ``reason`` into "What made you think so?" as a person does, Enter between lines.

    Checks that Enter kept the page where it was: the answer was not sent (the box still holds the text).
    """
    box = page.get_by_label(translate(REASON_PROMPT, lang), exact=True)
    box.click()
    for number, line in enumerate(reason.split("\n")):
        if number:
            box.press("Enter")
        box.press_sequentially(line)
    assert box.input_value() == reason, "Enter in the reason box must add a line, not send the answer"
    # The box keeps the focus: the next click on "Save and continue" must count (the reason and the submit
    # share a form, so the text travels with the click; outside one the click was lost).
