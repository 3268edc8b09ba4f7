"""Answers given so far and the accepted listening, kept across a refresh (issue 24, item 8), through the services.

Each ``with db.session_scope()`` stands for one page run; a "refresh" is a new run whose browser
sends nothing of what the old tab had (no widget values, no player report).
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from core import db
from core.models import Response
from experiment import paired_trials, repository, trial_drafts
from experiment.answers import Answer
from experiment.entry import load_participant
from experiment.trial_drafts import ANSWERS_DRAFT, HEARD_DRAFT, Listening
from experiment.trials import current_trial, mark_listened, mark_shown, submit_answer
from tests.experiment.drive import add_clips, configure, good_answer, reach_trials, shown_seconds_ago

pytestmark = pytest.mark.usefixtures("data_env")

HEARD = Listening(listened_s=20.0, plays=2, pauses=1, seeks=1, first_play_ms=700)


def current_index(token: str) -> int:
    with db.session_scope() as s:
        return current_trial(s, load_participant(s, token)).trial_index


def keep(token: str, screen: int, **answers: object) -> bool:
    """What the trial page sends at every answer given: all the screen's answers the tab holds."""
    with db.session_scope() as s:
        return trial_drafts.keep_answers(s, token, screen, answers)


def kept(token: str, screen: int) -> dict:
    with db.session_scope() as s:
        return trial_drafts.answers_so_far(s, load_participant(s, token), screen)


def drafts(token: str) -> tuple[dict, dict]:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        return repository.draft(s, participant, ANSWERS_DRAFT), repository.draft(s, participant, HEARD_DRAFT)


def n_responses() -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(Response))


def hear_in_full(token: str, trial_index: int, heard: Listening = HEARD) -> bool:
    """The clip was sent 20 s ago and the player reports it heard (``mark_listened``)."""
    with db.session_scope() as s:
        participant = load_participant(s, token)
        shown_seconds_ago(s, participant, trial_index, 20.0)
    with db.session_scope() as s:
        return mark_listened(s, load_participant(s, token), trial_index, heard)


def test_answers_given_so_far_are_kept_per_screen_and_never_become_an_answer():
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, ask_comment=True)
    token = reach_trials()
    screen = current_index(token)
    assert kept(token, screen) == {}
    assert keep(token, screen, valence=3, liking=None) and kept(token, screen) == {"valence": 3}
    assert keep(token, screen, valence=3, liking=8)
    assert keep(token, screen, valence=4, liking=8)  # a changed mind replaces the earlier rating
    assert keep(token, screen, valence=4, liking=8, familiar="No")
    assert kept(token, screen) == {"valence": 4, "liking": 8, "familiar": "No"}
    assert kept(token, screen + 1) == {}  # another screen's answers are not this one's
    assert keep(token, screen + 1, valence=1) and kept(token, screen) == {}  # the next screen replaces it
    assert keep(token, screen, valence=4, liking=8, familiar="No")

    # Kept answers are no answer: nothing stored, the same trial is still the one to answer.
    assert n_responses() == 0 and current_index(token) == screen

    # Malformed fields and values, or an unknown token, are refused and change nothing.
    assert not keep(token, screen, valence=1, **{"valence; drop table": 1})
    assert not keep(token, screen, valence=1, comment="x" * 5000)
    assert not keep(token, screen, arousal=[1, 2])
    assert not keep("x" * len(token), screen, valence=1)
    assert kept(token, screen) == {"valence": 4, "liking": 8, "familiar": "No"}


def test_the_stored_answer_drops_the_drafts_and_a_late_change_keeps_nothing():
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False)
    token = reach_trials()
    screen = current_index(token)
    assert keep(token, screen, valence=2)
    assert hear_in_full(token, screen)
    assert all(drafts(token))
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert submit_answer(s, participant, screen, good_answer(current_trial(s, participant))).status == "recorded"
    assert drafts(token) == ({}, {})
    # A change that raced the submit (or came from a second tab) finds the screen answered.
    assert not keep(token, screen, valence=2, arousal=5)
    assert drafts(token) == ({}, {})
    assert n_responses() == 1


def test_after_a_refresh_the_answer_carries_the_listening_the_server_accepted():
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False)
    token = reach_trials()
    screen = current_index(token)
    assert hear_in_full(token, screen)
    with db.session_scope() as s:
        assert current_trial(s, load_participant(s, token)).heard  # the page opens the questions

    # The refreshed page's new player reports nothing: the answer arrives without telemetry.
    with db.session_scope() as s:
        participant = load_participant(s, token)
        fresh = dataclasses.replace(
            good_answer(current_trial(s, participant)), plays=0, listened_s=0.0, time_to_first_play_ms=None
        )
        assert submit_answer(s, participant, screen, fresh).status == "recorded"
    with db.session_scope() as s:
        response = s.scalars(select(Response)).one()
        assert (response.listened_s, response.plays, response.pauses, response.seeks) == (20.0, 2, 1, 1)
        assert response.time_to_first_play_ms == 700
        assert response.valence == 5


def test_without_the_servers_acceptance_an_unheard_answer_is_still_refused():
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False)
    token = reach_trials()
    screen = current_index(token)
    # The browser claims too little: refused, nothing kept, the questions stay locked after a refresh.
    assert not hear_in_full(token, screen, Listening(listened_s=2.0))
    assert drafts(token)[1] == {}
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        assert not view.heard
        unheard = dataclasses.replace(good_answer(view), listened_s=0.0)
        result = submit_answer(s, participant, screen, unheard)
    assert result.status == "rejected" and "Please listen" in result.message
    assert n_responses() == 0


def test_a_fuller_report_of_the_browser_is_kept_over_the_draft():
    answer = Answer(confidence=2, valence=5, plays=3, listened_s=20.4, time_to_first_play_ms=100)
    assert trial_drafts.with_heard(answer, HEARD) == answer
    assert trial_drafts.with_heard(answer, None) == answer
    assert trial_drafts.with_heard(dataclasses.replace(answer, listened_s=0.0), HEARD).plays == 2
    assert Listening.from_dict(HEARD.as_dict()) == HEARD
    assert Listening.from_dict({"plays": 1}) is None and Listening.from_dict("20") is None


def test_a_refreshed_pair_keeps_both_clips_answers_and_listening():
    add_clips(6, 6, paired=True)
    configure(trial_format="paired", n_trials=6, screening="off")
    token = reach_trials()
    with db.session_scope() as s:
        view = paired_trials.current_pair(s, load_participant(s, token))
    screen = view.clips[0].trial_index
    assert keep(token, screen, **{"1_valence": 7, "choice": None}) and keep(
        token, screen, **{"1_valence": 7, "choice": 2}
    )
    assert kept(token, screen) == {"1_valence": 7, "choice": 2}
    for clip in view.clips:
        assert hear_in_full(token, clip.trial_index)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert all(clip.heard for clip in paired_trials.current_pair(s, participant).clips)
        unreported = [Answer(confidence=None, valence=7, arousal=5, moved=5, liking=5) for _ in view.clips]
        result = paired_trials.submit_pair(s, participant, view.pair_trial, unreported, 2, 3)
    assert result.status == "recorded"
    assert drafts(token) == ({}, {})
    with db.session_scope() as s:
        rows = [r for r in s.scalars(select(Response)) if r.trial_index in {c.trial_index for c in view.clips}]
        assert len(rows) == 2 and all(r.listened_s == 20.0 and r.plays == 2 and r.pair_choice == 2 for r in rows)


def test_a_short_requirement_the_clock_passes_at_once_opens_nothing_until_the_player_reports():
    """1 % of a clip is within the server's clock tolerance: the clock check passes when the clip
    is sent, yet a refresh before the player reported must not open the questions."""
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, listening_requirement=0.01)
    token = reach_trials()
    screen = current_index(token)
    with db.session_scope() as s:
        mark_shown(s, load_participant(s, token), screen)
    with db.session_scope() as s:  # the refresh: a new page run, no report from any player
        view = current_trial(s, load_participant(s, token))
        assert view.trial_index == screen and view.required_listen_s <= 1.0
        assert not view.heard
    with db.session_scope() as s:
        assert mark_listened(s, load_participant(s, token), screen, Listening(listened_s=1.0, plays=1))
    with db.session_scope() as s:
        assert current_trial(s, load_participant(s, token)).heard
