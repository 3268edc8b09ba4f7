"""The organiser's study-settings page (AppTest, temporary SQLite): versions, open/close, links."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import audit, db
from experiment import repository
from experiment.ui.study_settings import app_root_url
from tests.experiment.playable_clips import add_playable_clips
from tests.staff_accounts import log_in_as_admin

PAGE = str(Path(__file__).resolve().parents[2] / "experiment" / "pages" / "study_settings.py")


@pytest.fixture
def library(sqlite_data_env):
    return add_playable_clips(3, 3.0)


def open_settings(staff: bool = True) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if staff:
        log_in_as_admin(at)
    return at.run()


def versions() -> list:
    with db.session_scope() as session:
        return repository.settings_history(session)


def test_page_is_for_staff_only(library):
    at = open_settings(staff=False)
    assert at.error and "for study staff" in at.error[0].value
    assert not at.text_input and not at.toggle


def test_library_shortfall_is_shown(library):
    at = open_settings()
    assert [(m.label, m.value) for m in at.metric] == [
        ("Human clips", "3"),
        ("AI clips", "3"),
        ("Declined consent", "0"),
    ]
    assert any("needs 6 human clips" in w.value for w in at.warning)


def test_only_the_save_button_saves_and_closing_is_no_version(library):
    at = open_settings()
    before = len(versions())
    # A value applied (what Enter in the field does) saves nothing; the page says what is not saved yet.
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4).run()
    next(t for t in at.text_input if t.key.endswith("_title")).set_value("Strings pilot").run()
    assert not at.exception and len(versions()) == before
    pending = "Not saved yet: Title shown to participants, Main trials per participant."
    assert any(c.value == pending for c in at.caption)

    save = next(b for b in at.button if b.label == "Save as new version")
    save.click().run()
    assert not at.exception
    assert any("Saved as a new version" in s.value for s in at.success)
    assert len(versions()) == before + 1
    newest = versions()[0]
    assert newest[3].n_trials == 4 and newest[3].title == "Strings pilot"
    # A second click (double click) finds nothing to save.
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert len(versions()) == before + 1
    assert any("Nothing has changed" in i.value for i in at.info)

    at.toggle[0].set_value(False).run()
    assert not at.exception and len(versions()) == before + 1  # closing is a state, not a version
    with db.session_scope() as session:
        assert not repository.study_is_open(session)
        assert audit.events(session)[0].action == "study.close"
    at.toggle[0].set_value(True).run()
    with db.session_scope() as session:
        assert repository.study_is_open(session) and len(versions()) == before + 1


def test_the_history_says_what_changed_between_versions(library):
    at = open_settings()
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4).run()
    next(c for c in at.checkbox if c.key.endswith("comment")).set_value(True).run()
    next(b for b in at.button if b.label == "Save as new version").click().run()
    history = at.dataframe[-1].value
    assert list(history["What changed"])[:2] == [
        "Main trials per participant, Offer a comment box",
        "first version",
    ]


def test_invalid_settings_are_explained_and_not_saved(library):
    at = open_settings()
    before = len(versions())
    next(b for b in at.selectbox if b.key.endswith("screening_criterion")).set_value("custom")
    next(n for n in at.number_input if n.key.endswith("screening_pass")).set_value(9)  # > 6 sounds
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(8)  # library has 3 per source
    next(b for b in at.button if b.label == "Save as new version").click().run()
    message = at.error[0].value
    assert "Not saved" in message and "“Correct answers needed to pass” must be between 1 and" in message
    assert "“Main trials per participant” = 8 needs 4 human clips" in message and "only 3 active human clips" in message
    assert "screening_pass" not in message and "n_trials" not in message
    assert len(versions()) == before


def test_links_carry_the_prolific_placeholders(library):
    at = open_settings()
    at.text_input(key="public_base_url").set_value("https://lab.example.org/ht/").run()
    assert [c.value for c in at.code] == [  # each names its study: links outlive which study is the default
        "https://lab.example.org/ht/?study=study",
        "https://lab.example.org/ht/?study=study&PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}"
        "&SESSION_ID={{%SESSION_ID%}}",
    ]


@pytest.mark.parametrize(
    "page_url, root",
    [
        ("http://localhost:8501/study_settings", "http://localhost:8501/"),
        ("https://lab.example.org/ht/study_settings", "https://lab.example.org/ht/"),
        (None, ""),
    ],
)
def test_app_root_url_keeps_a_base_path(page_url, root):
    assert app_root_url(page_url) == root


def test_each_design_is_explained_and_the_conditions_are_saved(library):
    at = open_settings()
    captions = "\n".join(c.value for c in at.caption)
    for name in ("Blind:", "Rate only:", "Labelled:"):
        assert name in captions
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4)  # the library has 3 per source
    next(m for m in at.multiselect if m.key.endswith("conditions")).set_value(["blind", "labelled"])
    next(n for n in at.number_input if n.key.endswith("label_true_percent")).set_value(40)
    next(n for n in at.number_input if n.key.endswith("label_reversed_percent")).set_value(40)
    next(n for n in at.number_input if n.key.endswith("label_random_percent")).set_value(20)
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception and not at.error
    newest = versions()[0][3]
    assert newest.conditions == ("blind", "labelled") and newest.label_random_percent == 20

    # Rate-only with the organiser's own texts about AI would tell its participants about AI: refused.
    at = open_settings()
    next(m for m in at.multiselect if m.key.endswith("conditions")).set_value(["blind", "rate_only"])
    next(t for t in at.text_input if t.key.endswith("_title")).set_value("Human or AI? Our study")
    next(t for t in at.text_area if t.key.endswith("_information")).set_value("Some clips are AI music.")
    next(b for b in at.button if b.label == "Save as new version").click().run()
    # Said with the page's own labels, not the code's field names.
    assert "“Title shown to participants” must not mention AI" in at.error[0].value
    assert "“Information sheet” must not mention AI" in at.error[0].value
    assert "information_text" not in at.error[0].value


def test_labelled_settings_refuse_100_percent_true_labels_in_the_pages_words(library):
    at = open_settings()
    before = versions()
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4)
    next(m for m in at.multiselect if m.key.endswith("conditions")).set_value(["blind", "labelled"])
    next(n for n in at.number_input if n.key.endswith("label_true_percent")).set_value(100)
    next(n for n in at.number_input if n.key.endswith("label_reversed_percent")).set_value(0)
    next(n for n in at.number_input if n.key.endswith("label_random_percent")).set_value(0)
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception
    message = at.error[0].value
    assert "“Labelled: true labels” = 100" in message and "cannot be told apart from the source" in message
    assert "label_true_percent" not in message
    assert versions() == before  # nothing saved


def test_the_trial_format_is_explained_and_paired_trials_are_saved(library):
    at = open_settings()
    captions = "\n".join(c.value for c in at.caption)
    assert "Single clips:" in captions and "Paired (2AFC):" in captions
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4)
    next(r for r in at.radio if r.key.endswith("trial_format")).set_value("paired")
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception and not at.error
    assert versions()[0][3].trial_format == "paired"

    # Pairs ask which clip was AI: with a labelled condition as well, the settings are refused.
    at = open_settings()
    next(r for r in at.radio if r.key.endswith("trial_format")).set_value("paired")
    next(m for m in at.multiselect if m.key.endswith("conditions")).set_value(["blind", "labelled"])
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert "blind condition only" in at.error[0].value


def test_own_hypotheses_are_saved_and_a_missing_planned_n_is_warned_about(library):
    at = open_settings()
    assert any("No planned sample size is set" in w.value for w in at.warning)
    own = "Arousal is higher for human clips."
    next(a for a in at.text_area if a.key.endswith("hypotheses")).set_value(own)
    next(n for n in at.number_input if n.key.endswith("planned_n")).set_value(60)
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4)  # what 3 + 3 clips allow
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception and not at.error
    newest = versions()[0][3]
    assert newest.hypotheses == own and newest.planned_n == 60
    assert not any("No planned sample size is set" in w.value for w in open_settings().warning)


def test_switching_to_rate_only_works_on_the_built_in_texts_and_problems_use_the_labels(library):
    at = open_settings()
    before = len(versions())
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(2)
    next(c for c in at.checkbox if c.key.endswith("practice")).set_value(False)
    next(m for m in at.multiselect if m.key.endswith("conditions")).set_value(["blind", "rate_only"])
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.error, at.error[0].value
    assert len(versions()) == before + 1 and versions()[0][3].conditions == ("blind", "rate_only")

    next(t for t in at.text_input if t.key.endswith("_title")).set_value("Human or AI? Tell us")
    next(b for b in at.button if b.label == "Save as new version").click().run()
    message = at.error[0].value
    assert "“Title shown to participants” must not mention AI" in message
    assert "title" not in message.replace("Title", "")  # no field name in code
    assert len(versions()) == before + 1


def test_pairing_is_asked_only_for_paired_trials_and_saved_with_the_version(library):
    at = open_settings()
    assert not [r for r in at.radio if r.key.endswith("pairing_design")]  # single clips have no pairs
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4)
    next(r for r in at.radio if r.key.endswith("trial_format")).set_value("paired").run()
    design = next(r for r in at.radio if r.key.endswith("pairing_design"))
    assert design.value == "off" and not [m for m in at.multiselect if m.key.endswith("pairing_features")]
    design.set_value("between").run()
    features = next(m for m in at.multiselect if m.key.endswith("pairing_features"))
    assert features.value == ["timbre", "tempo", "key", "loudness range", "spectral shape"]  # the default
    before = len(versions())
    features.set_value(["key", "timbre"]).run()
    assert len(versions()) == before  # applied, not saved
    assert any("How pairs are made" in c.value and c.value.startswith("Not saved yet") for c in at.caption)
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.exception and not at.error
    newest = versions()[0][3]
    assert (newest.pairing_design, newest.pairing_features) == ("between", ("timbre", "key"))

    # No feature left: refused in the page's words, nothing saved.
    next(m for m in at.multiselect if m.key.endswith("pairing_features")).set_value([])
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert "“Features similar pairs are matched on” must be a non-empty selection" in at.error[0].value
    assert len(versions()) == before + 1

    # Back to single clips: the pairing widgets go and the design is saved as off.
    at = open_settings()
    next(r for r in at.radio if r.key.endswith("trial_format")).set_value("single").run()
    assert not [r for r in at.radio if r.key.endswith("pairing_design")]
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.error and versions()[0][3].pairing_design == "off"


def test_the_reason_question_and_its_cue_words_are_saved_as_a_version_and_audited(library):
    at = open_settings()
    next(n for n in at.number_input if n.key.endswith("n_trials")).set_value(4)  # the library has 3 a source
    mode = next(r for r in at.radio if r.key.endswith("ask_reason"))
    assert mode.value == "off"  # off by default
    cues = next(t for t in at.text_area if t.key.endswith("reason_cues"))
    assert cues.value.startswith("voice: voice, vocal")  # the default list, English and German
    mode.set_value("at_end").run()
    next(t for t in at.text_area if t.key.endswith("reason_cues")).set_value("voice: vocal, stimme\nbad line").run()
    before = len(versions())
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert "reason_cues" not in at.error[0].value and "line 2 must read 'code: term, term'" in at.error[0].value
    assert len(versions()) == before  # a bad cue list changes nothing
    next(t for t in at.text_area if t.key.endswith("reason_cues")).set_value("voice: vocal, stimme").run()
    next(b for b in at.button if b.label == "Save as new version").click().run()
    assert not at.error, at.error[0].value if at.error else ""
    newest = versions()[0][3]
    assert (newest.ask_reason, newest.reason_cues) == ("at_end", "voice: vocal, stimme")
    with db.session_scope() as session:
        changes = audit.events(session)[0].detail["changes"]
    assert changes["ask_reason"] == ["off", "at_end"] and changes["reason_cues"][1] == "voice: vocal, stimme"
