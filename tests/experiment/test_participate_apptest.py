"""The participant page driven by Streamlit's AppTest on a temporary SQLite database and real MP3 clips.

AppTest runs the real page script but no browser, so the blind player's JavaScript never runs and
cannot fire its events. Where a test needs "the participant listened", it sets the session state
the component would have set: ``session_state[player_key(audio_nonce)] = {"report": {...}}`` (the
component's state under its widget key, exactly what ``setStateValue("report", ...)`` produces).
The real player is exercised in tests/e2e/test_participant_journey.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core import db
from core.models import ConsentDecline, Participant, Response, Trial, utcnow
from experiment import repository
from experiment.settings import StudySettings
from experiment.ui.player import player_key
from tests.experiment.playable_clips import add_playable_clips
from tests.staff_accounts import log_in_as_admin

PAGE = str(Path(__file__).resolve().parents[2] / "experiment" / "pages" / "participate.py")

SHORT_STUDY = StudySettings(
    n_trials=2,
    attention_check=False,
    repeat_check=False,
    practice_trial=True,
    screening="optional",
    screening_trials=1,
    screening_pass=1,
    ask_comment=True,
)


@pytest.fixture
def study(sqlite_data_env):
    """Three human and three AI clips of 3 s and a two-trial study with practice and screening."""
    identities = add_playable_clips(3, 3.0)
    with db.session_scope() as session:
        repository.save_settings(session, SHORT_STUDY)
    return identities


def open_page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    return at.run()


def texts(at: AppTest) -> str:
    """All visible text of the last run (markdown, titles, alerts, captions), for assertions."""
    parts = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "error", "warning", "success", "code"):
        parts += [str(element.value) for element in getattr(at, kind)]
    return "\n".join(parts)


def progress(at: AppTest) -> list[str]:
    """Texts of the progress bars shown ("Clip 3 of 12")."""
    return [element.proto.text for element in at.get("progress")]


def participants() -> list[Participant]:
    with db.session_scope() as session:
        return list(session.scalars(select(Participant)))


def current_nonce(token: str) -> str:
    """The audio nonce of the participant's first unanswered trial (what the page shows)."""
    with db.session_scope() as session:
        participant = repository.participant_by_token(session, token)
        answered = repository.answered_indices(session, participant)
        trial = next(t for t in repository.trials_of(session, participant) if t.trial_index not in answered)
        return trial.audio_nonce


def clip_time_passes(token: str, seconds: float = 3.0) -> None:
    """Move the current trial's first showing ``seconds`` back: the wall time a real listen takes
    (the server checks it; AppTest does not wait)."""
    with db.session_scope() as session:
        participant = repository.participant_by_token(session, token)
        answered = repository.answered_indices(session, participant)
        trial = next(t for t in repository.trials_of(session, participant) if t.trial_index not in answered)
        trial.first_shown_at = utcnow() - timedelta(seconds=seconds)


def listened(at: AppTest, key: str, seconds: float = 3.0, met: bool = True) -> None:
    """Set what the blind player reports after the participant heard ``seconds`` (see module doc)."""
    at.session_state[key] = {
        "report": {
            "plays": 1,
            "pauses": 0,
            "seeks": 0,
            "listened_s": seconds,
            "first_play_ms": 800,
            "ended": met,
            "requirement_met": met,
        }
    }


def rate(at: AppTest, confidence: int, familiar: str = "No", rating: int = 5) -> None:
    """Fill the trial form: every rating scale, the guess and the familiarity question."""
    for scale in at.segmented_control:
        scale.set_value(rating)
    for radio in at.radio:
        radio.set_value(confidence if radio.key.endswith("_confidence") else familiar)


def consent(at: AppTest) -> str:
    at.button(key="consent_agree").click().run()
    assert not at.exception
    return at.query_params["resume"][0] if isinstance(at.query_params["resume"], list) else at.query_params["resume"]


def answer_questionnaire(at: AppTest) -> None:
    for radio in at.radio:
        radio.set_value(radio.options[0] if not radio.options[0].isdigit() else int(radio.options[0]))
    next(b for b in at.button if b.label == "Continue").click().run()
    assert not at.exception


def calibrate(at: AppTest) -> None:
    assert at.button(key="calibration_done").disabled  # not before the calibration sound played
    listened(at, "calibration", 3.0)
    at.run()
    at.button(key="calibration_done").click().run()


def pass_audio_check(at: AppTest) -> None:
    calibrate(at)
    assert at.button(key="screening_1_1").disabled  # not before the sound was heard
    listened(at, "screening_1", 4.0)
    at.run()
    at.button(key="screening_1_1").click().run()
    assert not at.exception


def answer_trial(at: AppTest, token: str, confidence: int = 6, heard: bool = True) -> None:
    nonce = current_nonce(token)
    if heard:
        clip_time_passes(token)
        listened(at, player_key(nonce))
        at.run()
    rate(at, confidence)
    submit = next(b for b in at.button if b.label == "Save and continue")
    submit.click().run()
    assert not at.exception


def test_consent_to_debrief_stores_every_answer_once(study):
    at = open_page()
    assert "Information about this study" in texts(at)
    assert participants() == []  # nothing stored before consent

    token = consent(at)
    assert len(participants()) == 1
    answer_questionnaire(at)
    assert "Audio check" in texts(at)
    pass_audio_check(at)
    assert "Instructions" in texts(at)
    at.button(key="instructions_done").click().run()

    assert "Practice clip" in texts(at)
    answer_trial(at, token, confidence=1)
    assert progress(at) == ["Clip 1 of 2"]
    answer_trial(at, token, confidence=6)
    answer_trial(at, token, confidence=6)
    assert "A few last questions" in texts(at)  # AI exposure and attitude, after the clips
    answer_questionnaire(at)

    page = texts(at)
    assert "Thank you!" in page and "Which clips were made by AI?" in page
    metric = at.get("metric")[0].proto
    assert metric.body.endswith("of 2") and "correct guesses" in metric.label
    reveal = at.table[0].value
    assert list(reveal["Clip"]) == [1, 2] and set(reveal["Made by"].str.split(" ").str[0]) <= {"AI", "A"}
    with db.session_scope() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.completed_at is not None and participant.step == "debrief"
        assert participant.completion_code and participant.completion_code in page
        responses = session.scalars(select(Response).order_by(Response.trial_index)).all()
        assert [r.trial_index for r in responses] == [0, 1, 2]
        assert [r.confidence for r in responses] == [1, 6, 6]
        assert all(r.plays == 1 and r.listened_s == 3.0 and r.time_to_first_play_ms == 800 for r in responses)
        assert all(r.valence == 5 and r.familiar is False for r in responses)
        assert all(r.time_to_answer_ms is not None for r in responses)


def test_answers_stay_locked_until_the_clip_was_heard(study):
    at = open_page()
    token = consent(at)
    answer_questionnaire(at)
    pass_audio_check(at)
    at.button(key="instructions_done").click().run()

    submit = next(b for b in at.button if b.label == "Save and continue")
    assert submit.disabled
    # The questions themselves are locked too until the clip was heard (issue 12).
    assert at.segmented_control and all(scale.disabled for scale in at.segmented_control)
    assert at.radio and all(radio.disabled for radio in at.radio)

    # A forged report claiming the requirement with too little heard is refused by the server.
    nonce = current_nonce(token)
    at.session_state[player_key(nonce)] = {
        "report": {
            "plays": 1,
            "pauses": 1,
            "seeks": 3,
            "listened_s": 0.5,
            "first_play_ms": 10,
            "ended": True,
            "requirement_met": True,
        }
    }
    at.run()
    answer_trial(at, token, heard=False)
    assert any("Please listen to the clip" in e.value for e in at.error)
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_refresh_and_second_tab_resume_at_first_unanswered_trial_without_double_or_skip(study):
    tab_a = open_page()
    token = consent(tab_a)
    answer_questionnaire(tab_a)
    pass_audio_check(tab_a)
    tab_a.button(key="instructions_done").click().run()
    answer_trial(tab_a, token)  # practice

    # A second tab with the resume link shows the same trial as the first; there it is heard too.
    tab_b = open_page({"resume": token})
    assert progress(tab_b) == ["Clip 1 of 2"]
    clip_time_passes(token)
    listened(tab_b, player_key(current_nonce(token)))
    tab_b.run()

    answer_trial(tab_a, token, confidence=2)  # tab A answers clip 1
    # Tab B still shows clip 1 and sends its (now stale) form: clip 1 keeps tab A's answer, and
    # tab B moves to clip 2 - the first unanswered trial in the database, not "its index + 1".
    rate(tab_b, confidence=5, familiar="Yes")
    next(b for b in tab_b.button if b.label == "Save and continue").click().run()
    assert progress(tab_b) == ["Clip 2 of 2"]

    with db.session_scope() as session:
        rows = session.execute(select(Response.trial_index, Response.confidence).order_by(Response.trial_index)).all()
    assert [tuple(r) for r in rows] == [(0, 6), (1, 2)]  # tab A's answer kept, nothing recorded twice

    # A fresh session (refresh, or after a server restart) lands on clip 2 as well.
    refreshed = open_page({"resume": token})
    assert progress(refreshed) == ["Clip 2 of 2"]


def test_decline_stores_only_a_count(study):
    at = open_page()
    at.button(key="consent_decline").click().run()
    assert "nothing about you has been stored" in texts(at)
    assert participants() == []
    with db.session_scope() as session:
        assert session.scalar(select(func.sum(ConsentDecline.count))) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"PROLIFIC_PID": "not valid!"},
        {"STUDY_ID": "abc"},
        {"resume": "short"},
        {"resume": "x" * 30},
    ],
)
def test_bad_links_get_a_clear_message_and_store_nothing(study, params):
    at = open_page(params)
    assert at.error, "a bad link must be explained"
    assert not at.button  # no consent button: nothing can be started from a bad link
    assert participants() == []


def test_prolific_entry_is_stored_and_url_switches_to_resume_token(study):
    at = open_page({"PROLIFIC_PID": "pid123", "STUDY_ID": "study9", "SESSION_ID": "sess7"})
    token = consent(at)
    assert dict(at.query_params) == {"resume": [token]} or dict(at.query_params) == {"resume": token}
    (participant,) = participants()
    assert (participant.prolific_pid, participant.prolific_study_id, participant.prolific_session_id) == (
        "pid123",
        "study9",
        "sess7",
    )

    # Coming back through the same Prolific link resumes the same participant instead of a new one.
    again = open_page({"PROLIFIC_PID": "pid123", "STUDY_ID": "study9", "SESSION_ID": "sess7"})
    assert "About you" in texts(again)
    assert len(participants()) == 1
    # Someone who knows the Prolific ID but not the session is told to use the resume link, and gets no token.
    stranger = open_page({"PROLIFIC_PID": "pid123", "STUDY_ID": "study9", "SESSION_ID": "sess8"})
    assert "resume link" in texts(stranger) and "About you" not in texts(stranger)
    assert "resume" not in dict(stranger.query_params) and token not in str(dict(stranger.query_params))
    assert len(participants()) == 1


def test_closed_study_says_so_politely(study):
    with db.session_scope() as session:
        repository.set_study_open(session, repository.default_study_id(session), False)
    at = open_page()
    assert "closed" in texts(at)
    assert not at.button
    assert participants() == []


def test_required_screening_failure_ends_politely(study):
    with db.session_scope() as session:
        repository.save_settings(session, SHORT_STUDY.with_changes(screening="required"))
    at = open_page()
    token = consent(at)
    answer_questionnaire(at)
    calibrate(at)
    listened(at, "screening_1", 4.0)
    at.run()
    with db.session_scope() as session:
        participant = repository.participant_by_token(session, token)
        from experiment import screening

        target = screening.screening_targets(participant.seed, 1)[0]
    wrong = next(i for i in (1, 2, 3) if i != target)
    at.button(key=f"screening_1_{wrong}").click().run()
    assert "needs headphones" in texts(at)
    with db.session_scope() as session:
        participant = repository.participant_by_token(session, token)
        assert participant.step == "screened_out" and participant.screening_passed is False
        assert session.scalar(select(func.count()).select_from(Trial)) == 0  # no clips used up


def test_prolific_debrief_offers_the_completion_link_only_after_the_last_answer(study):
    with db.session_scope() as session:
        repository.save_settings(
            session,
            SHORT_STUDY.with_changes(
                prolific_enabled=True, completion_code="C0DE42", screening="off", practice_trial=False
            ),
        )
    at = open_page({"PROLIFIC_PID": "pid1", "STUDY_ID": "s1", "SESSION_ID": "x1"})
    token = consent(at)
    answer_questionnaire(at)
    at.button(key="instructions_done").click().run()
    answer_trial(at, token)
    assert not at.get("link_button") and "C0DE42" not in texts(at)  # not before the last answer
    answer_trial(at, token)
    assert not at.get("link_button") and "C0DE42" not in texts(at)  # nor before the questions after the clips
    answer_questionnaire(at)
    (link,) = at.get("link_button")
    assert link.proto.url == "https://app.prolific.com/submissions/complete?cc=C0DE42"
    assert "C0DE42" in texts(at)


PREVIEW_PAGE = str(Path(__file__).resolve().parents[2] / "experiment" / "pages" / "preview.py")


def test_staff_preview_walks_the_journey_as_a_preview_participant(study):
    with db.session_scope() as session:
        repository.save_settings(session, SHORT_STUDY.with_changes(screening="off"))
        repository.set_study_open(session, repository.default_study_id(session), False)
    anonymous = AppTest.from_file(PREVIEW_PAGE, default_timeout=60).run()
    assert "for study staff" in anonymous.error[0].value

    at = AppTest.from_file(PREVIEW_PAGE, default_timeout=60)
    log_in_as_admin(at)
    at.run()
    assert "Information about this study" in texts(at)  # works while the study is closed
    at.button(key="preview_consent_agree").click().run()
    (participant,) = participants()
    assert participant.is_preview
    assert at.query_params.get("resume") in (None, [])  # the preview token stays in the session
    answer_questionnaire(at)
    at.button(key="instructions_done").click().run()
    for _ in range(3):  # practice and two clips
        answer_trial(at, participant.resume_token)
    answer_questionnaire(at)
    assert "Which clips were made by AI?" in texts(at) and "PREVIEW" in texts(at)

    at.button(key="preview_restart").click().run()
    assert "Information about this study" in texts(at)


def test_a_refresh_mid_trial_keeps_the_ratings_given_and_the_listening_the_server_accepted(study):
    at = open_page()
    token = consent(at)
    answer_questionnaire(at)
    pass_audio_check(at)
    at.button(key="instructions_done").click().run()
    answer_trial(at, token)  # the practice clip
    clip_time_passes(token)
    listened(at, player_key(current_nonce(token)))
    at.run()
    at.segmented_control[0].set_value(2)
    at.segmented_control[2].set_value(7)
    at.run()  # each change is kept as it is given (its on_change)

    refreshed = open_page({"resume": token})  # a new browser session: no widget values, no player report
    assert progress(refreshed) == ["Clip 1 of 2"]
    scales = refreshed.segmented_control
    assert [s.value for s in scales] == [2, None, 7, None]
    # Heard before the refresh (the server accepted it): open at once, without hearing it again.
    assert not any(s.disabled for s in scales)
    submit = next(b for b in refreshed.button if b.label == "Save and continue")
    assert not submit.disabled
    scales[1].set_value(5)
    scales[3].set_value(6)
    refreshed.radio(key=f"{scales[0].key.rsplit('_', 1)[0]}_confidence").set_value(5)
    refreshed.text_area[0].input("rain on a window")  # typed answers travel with the submit (a form)
    next(b for b in refreshed.button if b.label == "Save and continue").click().run()
    assert not refreshed.exception and progress(refreshed) == ["Clip 2 of 2"]
    assert not any(s.value for s in refreshed.segmented_control)  # the next clip starts empty

    with db.session_scope() as session:
        answer = session.scalars(select(Response).where(Response.trial_index == 1)).one()
        assert (answer.valence, answer.arousal, answer.moved, answer.liking) == (2, 5, 7, 6)
        assert (answer.confidence, answer.comment) == (5, "rain on a window")
        assert answer.listened_s == 3.0 and answer.plays == 1  # the report the server accepted before
        participant = repository.participant_by_token(session, token)
        assert repository.draft(session, participant, "trial_answers") == {}
