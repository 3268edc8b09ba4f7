"""The server's own listening check, "too fast" timed from the listening, and one count of clips everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import db
from core.models import utcnow
from experiment import repository
from experiment.clip_count import clips_to_hear
from experiment.debrief import debrief
from experiment.entry import load_participant
from experiment.progress import settings_for
from experiment.trials import Listening, current_trial, mark_listened, mark_shown, submit_answer
from tests.experiment.drive import (
    DURATION_S,
    add_clips,
    answer_after_trials,
    answer_current,
    configure,
    good_answer,
    reach_trials,
    shown_seconds_ago,
    step,
)


def test_an_answer_sooner_than_the_clip_could_be_heard_is_rejected_and_nothing_stored(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False)
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        mark_shown(s, participant, view.trial_index)
    with db.session_scope() as s:  # the browser claims the whole 20 s clip was heard, 0.1 s later
        participant = load_participant(s, token)
        assert not mark_listened(s, participant, view.trial_index, Listening(DURATION_S))
        result = submit_answer(s, participant, view.trial_index, good_answer(view))
        assert result.status == "rejected" and "sooner than the clip could have been heard" in result.message
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert repository.responses_of(s, participant) == {}
        assert repository.trial_at(s, participant, view.trial_index).listen_met_at is None


def test_a_planted_fast_answer_after_the_listening_fires_too_fast(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, min_answer_seconds=3.0)
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        shown_seconds_ago(s, participant, view.trial_index, DURATION_S)  # the clip was heard in full
        assert mark_listened(s, participant, view.trial_index, Listening(DURATION_S))  # the requirement is met now
    with db.session_scope() as s:  # ... and the answer follows at once
        participant = load_participant(s, token)
        assert submit_answer(s, participant, view.trial_index, good_answer(view)).status == "recorded"
    with db.session_scope() as s:
        participant = load_participant(s, token)
        response = repository.responses_of(s, participant)[view.trial_index]
        assert response.extra["ms_after_listening"] < 3000 and response.extra["too_fast"] is True
        assert response.time_to_answer_ms >= (DURATION_S - 1) * 1000  # shown long before: never the reason
        assert participant.flags["too_fast"] is True and participant.flags["too_fast_trials"] == 1

        # The next clip is answered 10 s after the listening: not too fast.
        view = current_trial(s, participant)
        shown_seconds_ago(s, participant, view.trial_index, DURATION_S + 10)
        assert mark_listened(s, participant, view.trial_index, Listening(DURATION_S))
        trial = repository.trial_at(s, participant, view.trial_index)
        trial.listen_met_at = utcnow() - timedelta(seconds=10)
        assert submit_answer(s, participant, view.trial_index, good_answer(view)).status == "recorded"
    with db.session_scope() as s:
        participant = load_participant(s, token)
        response = repository.responses_of(s, participant)[view.trial_index]
        assert response.extra["ms_after_listening"] >= 10_000 and "too_fast" not in response.extra
        assert participant.flags["too_fast_trials"] == 1


def test_without_a_listening_requirement_it_is_met_when_the_clip_is_shown(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, listening_requirement=0.0)
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        mark_shown(s, participant, view.trial_index)
        trial = repository.trial_at(s, participant, view.trial_index)
        assert trial.listen_met_at == trial.first_shown_at
        assert submit_answer(s, participant, view.trial_index, good_answer(view)).status == "recorded"


@pytest.mark.parametrize("practice", [True, False])
def test_instructions_progress_and_debrief_count_the_same_clips(data_env, practice):
    add_clips(6, 6)
    configure(n_trials=6, screening="off", practice_trial=practice)  # plus a repeat and an attention trial
    token = reach_trials()
    with db.session_scope() as s:
        announced = clips_to_hear(settings_for(s, load_participant(s, token)))
    assert announced == 8
    seen = []
    while step(token) == "trials":
        with db.session_scope() as s:
            view = current_trial(s, load_participant(s, token))
            seen.append((view.position, view.n_total))
        assert answer_current(token).status == "recorded"
    assert seen == [(k, announced) for k in range(1, announced + 1)]
    answer_after_trials(token)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        info = debrief(s, participant)
        assert [item.position for item in info.items] == list(range(1, announced + 1))
        assert info.n_main == 6 and [item.kind for item in info.items if not item.scored] in (
            ["repeat", "attention"],
            ["attention", "repeat"],
        )
        repeat = next(item for item in info.items if item.kind == "repeat")
        original = next(item for item in info.items if item.position == repeat.repeat_of)
        assert original.kind == "main" and repeat.position - original.position > 1  # never right after
        trials = repository.trials_of(s, participant)
        if practice:
            main_clips = {t.clip_id for t in trials if t.kind == "main"}
            assert trials[0].kind == "practice" and trials[0].clip_id not in main_clips
