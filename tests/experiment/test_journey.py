"""The participant journey through the real services on both database backends: from consent to
debrief, resuming, screening, and what a trial view and the audio reveal.

Each call opens its own session, as a Streamlit rerun would.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from sqlalchemy import func, select

from core import config, db
from core.models import Participant, Response, Trial
from core.vocabulary import Step
from experiment import repository, screening
from experiment.audio_check import (
    ScreeningProgress,
    answer_sound,
    calibration_wav,
    note_calibrated,
    save_screening,
    screening_progress,
    screening_trials,
)
from experiment.debrief import debrief
from experiment.entry import (
    arrive,
    begin,
    load_participant,
    parse_entry,
)
from experiment.progress import RESUME_PARAM, JourneyError
from experiment.questionnaire import save_after_trials, save_questionnaire
from experiment.trials import (
    acknowledge_instructions,
    audio_for,
    current_trial,
    submit_answer,
)
from tests.experiment.drive import (
    QUESTIONNAIRE,
    add_clips,
    answer_current,
    configure,
    consent,
    finish,
    good_answer,
    pass_screening,
    prolific,
    reach_trials,
    step,
)


def test_a_full_prolific_participant(data_env):
    add_clips(10, 10)
    version = configure(n_trials=8, prolific_enabled=True, completion_code="C0DE1234")
    entry = prolific("pid_A-1")
    with db.session_scope() as s:
        arrival = arrive(s, entry)
        assert arrival.status == "consent" and arrival.settings.prolific_enabled
    token = consent(entry)
    assert len(token) >= 32 and "pid_A-1" not in token
    assert step(token) == "questionnaire"

    with db.session_scope() as s, pytest.raises(JourneyError, match="How old are you"):
        save_questionnaire(s, load_participant(s, token), {**QUESTIONNAIRE, "age_band": "12"})
    assert step(token) == "questionnaire"
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
    assert step(token) == "audio_check"
    with db.session_scope() as s:
        views = screening_trials(s, load_participant(s, token))
        assert len(views) == 6 and all(v.wav[:4] == b"RIFF" for v in views)
        assert calibration_wav()[:4] == b"RIFF"
    outcome = pass_screening(token)
    assert outcome.passed and outcome.may_continue and outcome.n_correct == 6
    assert step(token) == "instructions"
    with db.session_scope() as s:
        acknowledge_instructions(s, load_participant(s, token))
    assert step(token) == "practice"

    with db.session_scope() as s:
        practice = current_trial(s, load_participant(s, token))
        assert (practice.kind, practice.position, practice.n_total) == ("practice", 0, 10)  # 8 + repeat + attention
    assert answer_current(token).status == "recorded"
    assert step(token) == "trials"

    seen_positions: list[int] = []
    kinds: Counter[str] = Counter()
    while step(token) == "trials":
        with db.session_scope() as s:
            participant = load_participant(s, token)
            view = current_trial(s, participant)
            seen_positions.append(view.position)
            kinds[view.kind] += 1
            assert participant.completion_code is None
            with pytest.raises(JourneyError):
                debrief(s, participant)
        result = answer_current(token, guess_right=True)
        assert result.status == "recorded"
        # The same submit again (double click, second tab) changes nothing.
        with db.session_scope() as s:
            participant = load_participant(s, token)
            again = submit_answer(s, participant, view.trial_index, good_answer(view, confidence=6))
            assert again.status == "duplicate" and "already recorded" in again.message
    assert seen_positions == list(range(1, 11))
    assert kinds == Counter({"main": 9, "attention": 1})  # the repeat is presented as "main"
    # The AI questions come after the clips (no priming); only then is the participant complete.
    assert step(token) == "after_trials"
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert participant.completed_at is None and "ai_music_heard" not in participant.questionnaire
        save_after_trials(s, participant, QUESTIONNAIRE)
    assert step(token) == "debrief"

    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert participant.questionnaire["ai_music_attitude"] == 3 and participant.condition == "blind"
        info = debrief(s, participant)
        assert participant.completed_at is not None and participant.study_version_id == version
        assert (info.n_main, info.n_correct, info.accuracy) == (8, 8, 1.0)
        assert info.dprime > 2
        assert info.completion_code == "C0DE1234"
        assert info.completion_url == "https://app.prolific.com/submissions/complete?cc=C0DE1234"
        assert {item.truth for item in info.items} == {"human", "ai"}
        assert all(item.creator == "Suno v4" for item in info.items if item.truth == "ai")
        assert info.percentile is None and info.n_compared == 0
        assert not participant.flags.get("attention_failed") and not participant.flags.get("too_fast")
        assert participant.flags["repeat_inconsistent"] is False
        stored = s.scalars(select(Response).where(Response.participant_id == participant.id)).all()
        assert len(stored) == 11 and {r.study_version_id for r in stored} == {version}
        assert all(r.time_to_answer_ms is not None and r.extra["client_time_to_answer_ms"] == 25_000 for r in stored)
        assert {r.guess for r in stored} == {"human", "ai"}

    # The same Prolific id from another Prolific session is refused; the record is unchanged.
    with db.session_scope() as s:
        assert arrive(s, prolific("pid_A-1", session_id="OTHER")).status == "already_completed"
        with pytest.raises(JourneyError, match="already completed"):
            begin(s, prolific("pid_A-1", session_id="OTHER"))
        assert s.scalar(select(func.count()).select_from(Participant)) == 1
    # The same submission coming back (code lost) resumes at the debrief: the code and redirect again.
    with db.session_scope() as s:
        arrival = arrive(s, entry)
        assert arrival.status == "resume" and arrival.participant.resume_token == token
        assert step(token) == "debrief"
        shown_again = debrief(s, arrival.participant)
        assert shown_again.completion_code == "C0DE1234"
        assert shown_again.completion_url == "https://app.prolific.com/submissions/complete?cc=C0DE1234"
        assert s.scalar(select(func.count()).select_from(Response)) == 11


def test_nothing_in_a_trial_view_identifies_the_clip(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        secrets_of_clips = set()
        for trial in repository.trials_of(s, participant):
            clip = trial.clip
            secrets_of_clips |= {str(clip.id), clip.served_sha256, clip.served_name, clip.title, clip.creator}
        view = current_trial(s, participant)
        text = repr(dataclasses.asdict(view))
        assert "human" not in text.lower() and "'ai'" not in text.lower() and "repeat" not in text
        assert not any(secret in text for secret in secrets_of_clips if len(secret) > 3)
        assert view.audio_nonce not in {t.clip.served_sha256 for t in repository.trials_of(s, participant)}


def test_audio_is_served_only_for_the_participants_own_nonces(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    first, second = reach_trials(), reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, first)
        view = current_trial(s, participant)
        trial = repository.trial_at(s, participant, view.trial_index)
        data = audio_for(s, participant, view.audio_nonce)
        stored = (config.paths().clips / trial.clip.served_name).read_bytes()
        assert len(data) == len(stored) and data != stored  # an individualised copy of the stored file
        assert view.audio_mime == "audio/mpeg"
        other = current_trial(s, load_participant(s, second))
        with pytest.raises(JourneyError):
            audio_for(s, participant, other.audio_nonce)
        with pytest.raises(JourneyError):
            audio_for(s, participant, "made-up")


def test_resume_after_a_server_restart_returns_to_the_first_unanswered_trial(data_env):
    add_clips(8, 8)
    configure(n_trials=6)
    token = reach_trials()
    for _ in range(3):
        answer_current(token)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        before = [(t.trial_index, t.clip_id, t.kind, t.audio_nonce) for t in repository.trials_of(s, participant)]
        expected_index = current_trial(s, participant).trial_index
    db.dispose_engines()  # the server restarts: every pooled connection is gone

    entry = parse_entry({RESUME_PARAM: token})
    with db.session_scope() as s:
        arrival = arrive(s, entry)
        assert arrival.status == "resume"
        participant = arrival.participant
        after = [(t.trial_index, t.clip_id, t.kind, t.audio_nonce) for t in repository.trials_of(s, participant)]
        assert after == before
        view = current_trial(s, participant)
        assert view.trial_index == expected_index == 4  # practice + three answered
    finish(token)
    assert step(token) == "debrief"


def test_required_screening_failure_ends_politely_and_uses_no_clips(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="required", prolific_enabled=True, completion_code="ABC")
    token = consent(prolific("P9"))
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
    outcome = pass_screening(token, correct=False)
    assert not outcome.passed and not outcome.may_continue and "Prolific" in outcome.message
    assert step(token) == Step.SCREENED_OUT
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert participant.screening_passed is False and participant.screening["n_correct"] == 0
        assert participant.flags["screening_failed"] is True
        assert repository.trials_of(s, participant) == []
        assert current_trial(s, participant) is None
        # Re-sending the answers (refresh) reports the same outcome and changes nothing.
        assert save_screening(s, participant, [1] * 6) == outcome


def test_optional_screening_failure_is_flagged_but_continues(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="optional")
    token = consent()
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
        with pytest.raises(JourneyError):
            save_screening(s, load_participant(s, token), [1, 2])
    outcome = pass_screening(token, correct=False)
    assert not outcome.passed and outcome.may_continue
    assert step(token) == "instructions"


def test_headphone_screen_progress_survives_a_new_session_and_counts_each_sound_once(data_env):
    """Issue 24: a reload mid-screen resumed at the volume page; progress now lives on the server."""
    add_clips(6, 6)
    configure(n_trials=4, screening="optional", screening_trials=3, screening_pass=2)
    token = consent()
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
    with db.session_scope() as s:  # each scope stands for one browser session's click
        participant = load_participant(s, token)
        targets = screening.screening_targets(participant.seed, 3)
        assert screening_progress(s, participant) == ScreeningProgress(False, ())
        note_calibrated(s, participant)
    with db.session_scope() as s:
        assert answer_sound(s, load_participant(s, token), 1, targets[0]) is None
    with db.session_scope() as s:  # a double click, or the first sound again from a stale tab
        assert answer_sound(s, load_participant(s, token), 1, targets[0] % 3 + 1) is None
        with pytest.raises(JourneyError):
            answer_sound(s, load_participant(s, token), 2, 4)
    with db.session_scope() as s:  # a reload: a new browser session reads the same progress
        assert screening_progress(s, load_participant(s, token)) == ScreeningProgress(True, (targets[0],))
        assert answer_sound(s, load_participant(s, token), 2, targets[1]) is None
    with db.session_scope() as s:
        outcome = answer_sound(s, load_participant(s, token), 3, targets[2])
    assert outcome is not None and outcome.n_correct == 3 and outcome.passed
    assert step(token) == "instructions"
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert participant.screening["answers"] == targets
        assert repository.draft(s, participant, "audio_check") == {}  # the draft ends with the step


def test_trial_rows_match_the_assignment(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        trials = s.scalars(select(Trial).where(Trial.participant_id == participant.id)).all()
        kinds = Counter(t.kind for t in trials)
        assert kinds == Counter({"main": 4, "practice": 1, "repeat": 1, "attention": 1})
        assert len({t.audio_nonce for t in trials}) == len(trials)
