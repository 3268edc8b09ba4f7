"""Entering the study on both database backends: URL parameters, consent and declines, Prolific
ids, resume tokens, closed or unready studies, versioned settings and the share links.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from core import db
from core.models import Clip, ConsentDecline, Participant, StudyVersion
from experiment import repository
from experiment.entry import (
    Entry,
    arrive,
    begin,
    decline,
    load_participant,
    parse_entry,
    participant_link,
    prolific_study_url,
    start_preview,
)
from experiment.progress import RESUME_PARAM, JourneyError
from experiment.settings import StudySettings
from tests.experiment.drive import (
    add_clips,
    configure,
    consent,
    finish,
    prolific,
    reach_trials,
    step,
)


def test_an_unfinished_prolific_participant_resumes_instead_of_starting_again(data_env):
    add_clips(6, 6)
    configure(n_trials=4)
    entry = prolific("P2", session_id="SESSION-OF-P2")
    first = consent(entry)
    with db.session_scope() as s:
        arrival = arrive(s, entry)  # the same Prolific submission, e.g. a new tab
        assert arrival.status == "resume" and arrival.participant.resume_token == first
        assert begin(s, entry).resume_token == first
        assert s.scalar(select(func.count()).select_from(Participant)) == 1
    # The same person in another Prolific study is a different participant.
    assert consent(prolific("P2", study="STUDY2")) != first


def test_a_prolific_id_with_another_session_id_does_not_take_over_the_session(data_env):
    """Anyone may know a participant's Prolific ID; only their SESSION_ID (or resume link) continues it."""
    add_clips(6, 6)
    configure(n_trials=4)
    first = consent(prolific("P3", session_id="REAL-SESSION"))
    stranger = prolific("P3", session_id="GUESSED")
    with db.session_scope() as s:
        arrival = arrive(s, stranger)
        assert arrival.status == "other_session" and arrival.participant is None
        assert "resume link" in arrival.message and first not in arrival.message
        with pytest.raises(JourneyError, match="another Prolific session"):
            begin(s, stranger)
        assert arrive(s, prolific("P3", session_id=None)).status == "other_session"
        assert s.scalar(select(func.count()).select_from(Participant)) == 1
    with db.session_scope() as s:  # the resume link still works for the participant
        assert arrive(s, parse_entry({RESUME_PARAM: first})).participant.resume_token == first


@pytest.mark.parametrize(
    "params",
    [
        {"PROLIFIC_PID": "{{%PROLIFIC_PID%}}", "STUDY_ID": "S", "SESSION_ID": "X"},
        {"PROLIFIC_PID": "has space"},
        {"PROLIFIC_PID": "x" * 65},
        {"PROLIFIC_PID": ""},
        {"PROLIFIC_PID": "ok", "STUDY_ID": "semi;colon"},
        {"STUDY_ID": "S1"},
        {RESUME_PARAM: "short"},
        {RESUME_PARAM: "'; DROP TABLE participants; --"},
    ],
)
def test_malformed_url_parameters_get_a_message_and_store_nothing(data_env, params):
    add_clips(4, 4)
    with pytest.raises(JourneyError) as caught:
        parse_entry(params)
    assert len(str(caught.value)) > 20
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Participant)) == 0


def test_parse_entry_accepts_lists_and_valid_ids():
    entry = parse_entry({"PROLIFIC_PID": ["5f1a_B-c"], "STUDY_ID": "s" * 64, "SESSION_ID": "x"})
    assert entry == Entry("5f1a_B-c", "s" * 64, "x", None)
    assert parse_entry({}) == Entry()


def test_unknown_or_malformed_tokens_are_refused(data_env):
    add_clips(4, 4)
    with db.session_scope() as s:
        for token in ("A" * 32, "bad token", ""):
            with pytest.raises(JourneyError, match="link"):
                load_participant(s, token)
        with pytest.raises(JourneyError):
            arrive(s, Entry(resume_token="B" * 32))


def test_declining_consent_stores_only_a_count(data_env):
    add_clips(4, 4)
    version = configure(n_trials=4)
    with db.session_scope() as s:
        decline(s)
    with db.session_scope() as s:
        decline(s)
    with db.session_scope() as s:
        assert repository.decline_count(s, version) == 2
        assert s.scalar(select(func.count()).select_from(Participant)) == 0
        assert s.get(ConsentDecline, version).count == 2


def test_closed_study_refuses_newcomers_but_lets_participants_finish(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = reach_trials()
    with db.session_scope() as s:
        repository.set_study_open(s, repository.default_study_id(s), False)
    with db.session_scope() as s:
        arrival = arrive(s, Entry())
        assert arrival.status == "closed" and "closed" in arrival.message
        with pytest.raises(JourneyError, match="closed"):
            begin(s, Entry())
        assert start_preview(s).is_preview  # staff can still preview
    finish(token)
    assert step(token) == "debrief"


def test_prolific_only_study_asks_for_prolific_parameters(data_env):
    add_clips(6, 6)
    configure(n_trials=4, prolific_enabled=True, completion_code="XYZ")
    with db.session_scope() as s:
        assert arrive(s, Entry()).status == "needs_prolific"
        with pytest.raises(JourneyError, match="Prolific"):
            begin(s, Entry())


def test_settings_are_versioned_and_checked_against_the_library(data_env):
    add_clips(5, 7)
    with db.session_scope() as s:
        first_id, first = repository.current_settings(s)
        assert first == StudySettings()
        assert repository.current_settings(s)[0] == first_id  # defaults stored once
        with pytest.raises(ValueError, match="needs 6 human clips per participant, but the library has only 5"):
            repository.save_settings(s, StudySettings(n_trials=12))
        with pytest.raises(ValueError, match="n_trials must be even"):
            repository.save_settings(s, StudySettings(n_trials=7))
        assert s.scalar(select(func.count()).select_from(StudyVersion)) == 1
        new_id = repository.save_settings(s, StudySettings(n_trials=10, title="Second"), note="shorter")
        assert new_id > first_id
        assert repository.current_settings(s) == (new_id, StudySettings(n_trials=10, title="Second"))
    with db.session_scope() as s:
        assert arrive(s, Entry()).status == "consent"


def test_a_too_small_library_keeps_newcomers_out_politely(data_env):
    add_clips(2, 3)  # 2 + 2 main clips and one for the practice
    with db.session_scope() as s:
        repository.save_settings(s, StudySettings(n_trials=4), check_library=True)
        s.execute(update(Clip).where(Clip.id == 1).values(retired_at=func.now()))
    with db.session_scope() as s:
        arrival = arrive(s, Entry())
        assert arrival.status == "closed" and "not ready" in arrival.message
        with pytest.raises(JourneyError, match="cannot run"):
            start_preview(s)


def test_consenting_in_two_tabs_makes_one_prolific_participant(data_env):
    add_clips(6, 6)
    configure(n_trials=4)
    entry = prolific("TWIN")
    # Each tab is its own page run (thread and session scope); both press "I agree" at once.
    barrier = threading.Barrier(2)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def agree() -> None:
        try:
            with db.session_scope() as s:
                assert arrive(s, entry).status == "consent"
                barrier.wait()
                tokens.append(begin(s, entry).resume_token)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    tabs = [threading.Thread(target=agree) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    assert errors == []
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Participant)) == 1


def test_share_links():
    assert participant_link("https://lab.example.org/") == "https://lab.example.org/"
    assert prolific_study_url("https://lab.example.org/") == (
        "https://lab.example.org/?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
    )
    assert prolific_study_url("https://lab.example.org/?lang=en").startswith(
        "https://lab.example.org/?lang=en&PROLIFIC_PID="
    )
    with pytest.raises(ValueError, match="http"):
        participant_link("lab.example.org")
