"""Two languages: the participant's language is chosen, kept, and every text they read is in it.

The German journey runs through the real page (AppTest, temporary SQLite, real MP3 clips); on
every step each text a participant can read - headings, markdown, alerts, widget labels and
options, progress, metrics, the reveal table - must be free of English words, so a string that
escapes the catalog (or is missing from it) fails the test. "English words" are the words of the
catalog's English message ids and a list of common English words, minus every word the German
catalog uses itself (names such as "Prolific", loan words such as "optional").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import db, i18n
from core.i18n import translate
from core.models import Participant, Response
from experiment import repository
from experiment.settings import DEFAULT_CONSENT_TEXT, StudySettings
from experiment.ui.player import player_key
from tests.experiment.playable_clips import add_playable_clips
from tests.experiment.test_participate_apptest import (
    PAGE,
    PREVIEW_PAGE,
    SHORT_STUDY,
    clip_time_passes,
    consent,
    current_nonce,
    listened,
    open_page,
    participants,
    progress,
    texts,
)
from tests.staff_accounts import log_in_as_admin

GERMAN_STUDY = SHORT_STUDY.with_changes(attention_check=True)
COMMON_ENGLISH = {
    "the", "and", "you", "your", "of", "to", "is", "this", "please", "with", "for", "what", "how", "did",
    "do", "it", "are", "not", "or", "on", "that", "which", "who", "my", "we", "be", "have", "has", "can",
    "by", "from", "yes", "no", "more", "than", "each", "every", "one", "thank", "thanks", "clip", "clips",
    "sound", "save", "continue", "start", "finish", "agree", "next", "back", "submit", "play", "listen",
    "answer", "question", "questions", "music", "feel", "felt", "human", "people", "correct", "wrong",
    "score", "code", "link", "page", "reload", "study", "before", "after", "now", "here", "about", "only",
    "all", "some", "any", "when", "where", "why", "but", "if", "then", "were", "been", "would", "could",
}  # fmt: skip
WORD = re.compile(r"[^\W\d_]{2,}")


def de(message: str) -> str:
    return translate(message, "de")


def _words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def english_words() -> set[str]:
    with (i18n.LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="de")
    english, german = set(COMMON_ENGLISH), set[str]()
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            english.update(word for text in ids for word in _words(str(text)))
            german.update(word for text in strings for word in _words(str(text)))
    return english - german


ENGLISH = english_words()


def readable_texts(at: AppTest) -> list[str]:
    """Every text a participant can read in the last run (alerts, headings, widgets, tables ...)."""
    found = [text for text in texts(at).split("\n")]
    found += [button.label for button in at.button]
    for group in (*at.radio, *at.segmented_control):
        found += [group.label, *map(str, group.options)]
    found += [area.label for area in at.text_area]
    found += [f"{metric.label} {metric.value}" for metric in at.metric]
    found += progress(at)
    found += [link.proto.label for link in at.get("link_button")]
    for table in at.table:
        reveal = table.value
        found += list(reveal.columns)
        found += [str(value) for value in reveal.iloc[:, 1]]  # the participant's answers (column 3 names creators)
    return [text for text in found if text]


def assert_german(at: AppTest, expected: str) -> None:
    """The page shows ``expected`` (German) and no English word anywhere."""
    assert not at.exception
    shown = readable_texts(at)
    assert any(expected in text for text in shown), (expected, shown)
    english = {text: sorted(_words(text) & ENGLISH) for text in shown if _words(text) & ENGLISH}
    assert english == {}, f"English on the German page: {english}"


def click(at: AppTest, label: str) -> None:
    next(button for button in at.button if button.label == label).click().run()


def answer_trial_de(at: AppTest, token: str) -> None:
    clip_time_passes(token)  # the server checks the wall time a real listen takes
    listened(at, player_key(current_nonce(token)))
    at.run()
    for scale in at.segmented_control:
        scale.set_value(5)
    for radio in at.radio:  # by the German text the participant clicks (AppTest formats in English)
        radio.set_value(de("Sure AI") if radio.key.endswith("_confidence") else de("No"))
    at.text_area[0].set_value("schön")
    click(at, de("Save and continue"))


@pytest.fixture
def study(sqlite_data_env):
    """Three human and three AI clips of 3 s and a two-trial study with practice and screening."""
    identities = add_playable_clips(3, 3.0)
    with db.session_scope() as session:
        repository.save_settings(session, SHORT_STUDY)
    return identities


@pytest.fixture
def german_study(study):
    with db.session_scope() as session:
        repository.save_settings(session, GERMAN_STUDY)
    return study


def open_in_browser(locale: str, params: dict[str, str] | None = None) -> AppTest:
    """The page as a browser whose language (``navigator.language``) is ``locale`` opens it."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.context["locale"] = locale
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


def test_the_german_journey_shows_no_english_and_stores_answers_in_english(german_study):
    at = open_page({"lang": "de"})
    assert_german(at, "Mensch oder KI? Eine Hörstudie")
    token = consent(at)
    assert dict(at.query_params) in ({"resume": token}, {"resume": [token]})  # no lang: it is stored

    assert_german(at, de("About you"))
    click(at, de("Continue"))  # nothing answered: the refusal comes from a callback, in German too
    # Every missing answer is named (issue 24, item 11), in German.
    assert_german(at, "Bitte beantworten Sie diese")
    assert any("Wie alt sind Sie?" in text for text in readable_texts(at)), readable_texts(at)
    for radio in at.radio:
        radio.set_value(radio.options[0] if not radio.options[0].isdigit() else int(radio.options[0]))
    click(at, de("Continue"))

    assert_german(at, de("Audio check"))
    listened(at, "calibration", 3.0)  # "My volume is set" unlocks once the looping sound has played
    at.run()
    assert_german(at, de("Audio check"))
    at.button(key="calibration_done").click().run()
    assert_german(at, de("Sound {number} of {total}").format(number=1, total=1))
    listened(at, "screening_1", 4.0)
    at.run()
    at.button(key="screening_1_1").click().run()

    assert_german(at, de("Instructions"))
    # Two main clips and the attention trial: the same 3 as "Ausschnitt k von 3" below (issue 12).
    assert any("Sie hören **3 kurze Musikausschnitte**" in m.value for m in at.markdown)
    at.button(key="instructions_done").click().run()
    assert_german(at, de("Practice clip"))
    answer_trial_de(at, token)
    for position in (1, 2, 3):
        assert_german(at, de("Clip {position} of {total}").format(position=position, total=3))
        answer_trial_de(at, token)
    assert_german(at, de("A few last questions"))  # AI exposure and attitude, after the clips
    for radio in at.radio:
        radio.set_value(radio.options[0] if not radio.options[0].isdigit() else int(radio.options[0]))
    click(at, de("Continue"))

    assert_german(at, "Welche Ausschnitte stammen von KI?")
    assert set(at.table[0].value.columns) == {"Ausschnitt", "Ihre Antwort", "Stammt von", "Richtig?"}
    with db.session_scope() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.language == "de" and participant.step == "debrief"
        assert participant.questionnaire["age_band"] == "18-24"
        assert participant.questionnaire["ai_music_heard"] == "None"  # shown as "Keine", stored in English
        responses = session.scalars(select(Response)).all()
        assert len(responses) == 4 and all(r.familiar is False and r.confidence == 6 for r in responses)


def test_the_stored_language_holds_on_resume_whatever_the_browser_or_link_says(study):
    at = open_page({"lang": "de"})
    token = consent(at)
    for params, locale in (({"resume": token}, "en-US"), ({"resume": token, "lang": "en"}, "en-GB")):
        assert_german(open_in_browser(locale, params), de("About you"))


def test_the_browser_language_is_the_default_and_the_consent_page_can_switch_it(study):
    assert_german(open_in_browser("de-DE"), de("Information about this study"))

    at = open_page()
    assert "Information about this study" in texts(at)
    at.segmented_control(key="language").set_value("de").run()
    assert_german(at, de("Information about this study"))
    assert at.query_params["lang"] in ("de", ["de"])
    consent(at)
    assert participants()[0].language == "de"

    assert all(group.key != "language" for group in at.segmented_control)  # after consent the language is kept
    english = open_page()
    consent(english)
    assert sorted(p.language for p in participants()) == ["de", "en"]


def test_organisers_texts_per_language_with_the_built_in_translation_as_fallback(study):
    custom = SHORT_STUDY.with_changes(
        information_text="Our own information.",
        localised_texts={"de": {"title": "Unser Hörexperiment", "debrief_text": "Danke!"}},
    )
    with db.session_scope() as session:
        repository.save_settings(session, custom)
    german = custom.localised("de")
    assert (german.title, german.debrief_text) == ("Unser Hörexperiment", "Danke!")
    assert german.information_text == "Our own information."  # no German text of its own: the English one
    assert german.consent_text == de(DEFAULT_CONSENT_TEXT) != DEFAULT_CONSENT_TEXT  # still the default: built-in
    assert custom.localised("en") == custom

    at = open_page({"lang": "de"})
    assert "Unser Hörexperiment" in texts(at) and de(DEFAULT_CONSENT_TEXT) in texts(at)
    english = open_page({"lang": "en"})
    assert "Human or AI? A listening study" in texts(english) and "Unser" not in texts(english)


def test_localised_texts_are_validated():
    assert StudySettings(localised_texts={"de": {"title": "Titel"}}).validate()
    bad_texts: list[Any] = [{"fr": {"title": "Titre"}}, {"en": {"title": "x"}}, {"de": {"colour": "x"}}, {"de": "x"}]
    for bad in bad_texts:
        with pytest.raises(ValueError, match="localised_texts"):
            StudySettings(localised_texts=bad).validate()
    stored = StudySettings(localised_texts={"de": {"title": "Titel"}}).to_dict()
    assert StudySettings.from_dict(stored).localised("de").title == "Titel"


SETTINGS_PAGE = str(Path(__file__).resolve().parents[2] / "experiment" / "pages" / "study_settings.py")


def test_the_settings_page_edits_the_texts_of_each_language(study):
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=60)
    log_in_as_admin(at)
    at.run()
    german_title = next(area for area in at.text_area if area.key.endswith("de_title"))
    assert german_title.placeholder == "Mensch oder KI? Eine Hörstudie"  # what German participants see now
    german_title.set_value("Mensch oder Maschine?")
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception and not at.error
    with db.session_scope() as session:
        _version, settings = repository.current_settings(session)
    assert settings.localised_texts == {"de": {"title": "Mensch oder Maschine?"}}


def test_the_staff_preview_runs_in_the_chosen_language(study):
    at = AppTest.from_file(PREVIEW_PAGE, default_timeout=60)
    log_in_as_admin(at)
    at.run()
    at.selectbox(key="preview_language").set_value("de").run()
    assert de("Information about this study") in texts(at)
    at.button(key="preview_consent_agree").click().run()
    (participant,) = participants()
    assert participant.is_preview and participant.language == "de"
    assert de("About you") in texts(at)  # (the preview's own notes for staff stay English)
