"""The "What made you think so?" question (issue 26): who is asked, when, and that each reason is stored once.

Through the real services on both database backends, as the pages call them.
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from core import db
from core.i18n import using_language
from core.models import Participant, Response, Trial
from core.vocabulary import Step
from experiment import paired_trials, repository
from experiment.answers import Answer
from experiment.entry import load_participant
from experiment.journey import steps_for
from experiment.progress import JourneyError
from experiment.questionnaire import asks_reason_after_trials, save_after_trials
from experiment.reason_cues import DEFAULT_REASON_CUES, cue_pattern, cue_problems, parse_cues
from experiment.reasons import MAX_REASON_CHARS
from experiment.settings import StudySettings, settings_problems
from experiment.trials import current_trial, submit_answer
from tests.experiment.drive import (
    QUESTIONNAIRE,
    add_clips,
    configure,
    good_answer,
    reach_trials,
    shown_seconds_ago,
    step,
)

FAST = dict(screening="off", practice_trial=False, attention_check=False, repeat_check=False)


def _answer_with(token: str, reason: str | None):
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        shown_seconds_ago(s, participant, view.trial_index, view.duration_s)
        answer = dataclasses.replace(good_answer(view), reason=reason)
        if not view.ask_source:
            answer = dataclasses.replace(answer, confidence=None)
        return view, submit_answer(s, participant, view.trial_index, answer)


def _reasons(token: str) -> list[str | None]:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        return [r.reason for _i, r in sorted(repository.responses_of(s, participant).items())]


@pytest.mark.usefixtures("data_env")
def test_a_reason_after_each_guess_is_optional_limited_and_stored_once_with_its_answer():
    add_clips(4, 4)
    configure(n_trials=4, ask_reason="per_trial", **FAST)
    token = reach_trials()
    with db.session_scope() as s:
        assert current_trial(s, load_participant(s, token)).ask_reason
    view, too_long = _answer_with(token, "x" * (MAX_REASON_CHARS + 1))
    assert too_long.status == "rejected" and str(MAX_REASON_CHARS) in too_long.message
    with using_language("de"):
        _view, german = _answer_with(token, "x" * (MAX_REASON_CHARS + 1))
    assert "Zeichen" in german.message
    assert _reasons(token) == []  # nothing stored by a rejected answer
    _view, first = _answer_with(token, "  The vocals were too clean.\nAnd the drums looped.  ")
    assert first.status == "recorded"
    with db.session_scope() as s:  # the same form sent again (a double click, Ctrl+Enter): changes nothing
        participant = load_participant(s, token)
        again = submit_answer(s, participant, view.trial_index, dataclasses.replace(good_answer(view), reason="x"))
        assert again.status == "duplicate"
    _answer_with(token, "")  # optional: an empty reason is stored as missing
    _answer_with(token, None)
    _answer_with(token, "x" * MAX_REASON_CHARS)  # exactly at the limit is fine
    assert _reasons(token) == ["The vocals were too clean.\nAnd the drums looped.", None, None, "x" * MAX_REASON_CHARS]


@pytest.mark.usefixtures("data_env")
def test_no_reason_is_asked_or_stored_when_off_or_without_a_guess():
    add_clips(4, 4)
    configure(n_trials=4, **FAST)  # off by default
    token = reach_trials()
    view, result = _answer_with(token, "sent anyway")
    assert not view.ask_reason and result.status == "recorded" and _reasons(token) == [None]
    configure(n_trials=4, ask_reason="per_trial", conditions=("rate_only",), **FAST)
    rate_only = reach_trials()
    view, result = _answer_with(rate_only, "sent anyway")
    assert not view.ask_source and not view.ask_reason
    assert result.status == "recorded" and _reasons(rate_only) == [None]


def _answer_pair(token: str, reason: str | None) -> paired_trials.SubmitResult:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = paired_trials.current_pair(s, participant)
        assert view is not None and view.ask_reason
        for clip in view.clips:
            shown_seconds_ago(s, participant, clip.trial_index, 2 * clip.duration_s)
        answers = [
            Answer(confidence=None, valence=5, arousal=5, moved=5, liking=5, plays=1, listened_s=c.duration_s)
            for c in view.clips
        ]
        return paired_trials.submit_pair(s, participant, view.pair_trial, answers, 1, 2, reason)


@pytest.mark.usefixtures("data_env")
def test_a_pair_s_reason_is_stored_once_on_both_of_its_clips():
    add_clips(5, 5, paired=True)
    configure(trial_format="paired", n_trials=4, ask_reason="per_trial", screening="off")
    token = reach_trials()  # the practice pair answered without a reason
    assert _answer_pair(token, "y" * (MAX_REASON_CHARS + 1)).status == "rejected"
    assert _answer_pair(token, " Die Stimme klang künstlich. ").status == "recorded"
    with db.session_scope() as s:
        participant = load_participant(s, token)
        answers = [Answer(confidence=None, valence=5, arousal=5, moved=5, liking=5, plays=1, listened_s=99)] * 2
        assert paired_trials.submit_pair(s, participant, 1, answers, 2, 1, "again").status == "duplicate"
    assert _answer_pair(token, "").status == "recorded"
    with db.session_scope() as s:
        rows = s.execute(select(Trial.pair_trial, Response.reason).join(Response, Response.trial_id == Trial.id)).all()
    by_pair = sorted((pair, reason) for pair, reason in rows if pair)
    assert by_pair == [(1, "Die Stimme klang künstlich."), (1, "Die Stimme klang künstlich."), (2, None), (2, None)]


@pytest.mark.usefixtures("data_env")
def test_a_reason_once_after_the_last_clip_is_stored_on_the_participant_once():
    add_clips(4, 4)
    # The AI questions come before the clips: the step after them is there for the reason alone.
    configure(n_trials=2, ask_reason="at_end", ai_questions_before=True, **FAST)
    shown = [s.name for s in steps_for(StudySettings(ask_reason="at_end", ai_questions_before=True))]
    assert Step.AFTER_TRIALS in shown
    token = reach_trials()
    view, _result = _answer_with(token, "per-trial text is not asked")
    assert not view.ask_reason
    _answer_with(token, None)
    assert step(token) == Step.AFTER_TRIALS
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert asks_reason_after_trials(s, participant)
        with pytest.raises(JourneyError, match=str(MAX_REASON_CHARS)):
            save_after_trials(s, participant, QUESTIONNAIRE, "z" * (MAX_REASON_CHARS + 1))
    assert step(token) == Step.AFTER_TRIALS
    with db.session_scope() as s:
        save_after_trials(s, load_participant(s, token), QUESTIONNAIRE, "  Production, mostly.  ")
    with db.session_scope() as s:  # sent twice: the second changes nothing
        save_after_trials(s, load_participant(s, token), QUESTIONNAIRE, "something else")
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert participant.step == Step.DEBRIEF and participant.reason == "Production, mostly."
        assert _reasons(token) == [None, None]
        assert s.scalars(select(Participant.reason)).all() == ["Production, mostly."]


@pytest.mark.usefixtures("data_env")
def test_a_rate_only_participant_is_not_asked_the_reason_at_the_end():
    add_clips(4, 4)
    configure(n_trials=2, ask_reason="at_end", conditions=("rate_only",), **FAST)
    token = reach_trials()
    _answer_with(token, None)
    _answer_with(token, None)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert not asks_reason_after_trials(s, participant)
        save_after_trials(s, participant, QUESTIONNAIRE, "not asked")
    with db.session_scope() as s:
        assert load_participant(s, token).reason is None


def test_the_default_cues_parse_and_match_english_and_german_word_forms():
    assert cue_problems(DEFAULT_REASON_CUES) == []
    cues = parse_cues(DEFAULT_REASON_CUES)
    assert list(cues) == [
        "voice",
        "lyrics",
        "production",
        "mix",
        "repetition",
        "structure",
        "emotion",
        "instruments",
        "perfection",
    ]

    def coded(text: str) -> list[str]:
        return [code for code, terms in cues.items() if cue_pattern(terms).search(text)]

    assert coded("The VOCALS sounded off") == ["voice"]
    assert coded("Der Hintergrundgesang und die Stimmen") == ["voice"]
    assert coded("Das stimmt, die Gitarre war zu perfekt") == ["instruments", "perfection"]
    assert coded("imperfect timing, some mistakes") == ["perfection"]
    assert coded("sich wiederholende Schleifen") == ["repetition"]
    assert coded("the texture was odd") == []  # no cue term begins "texture"
    assert coded("Sound  quality") == ["production"]


def test_a_cue_list_with_a_bad_line_is_refused_with_a_message():
    assert cue_problems("voice vocal") and cue_problems("voice: vocal\nvoice: stimme")
    assert cue_problems("Voice!: vocal") and cue_problems("voice: , ,")
    problems = settings_problems(StudySettings(reason_cues="no colon here"))
    assert any("reason_cues line 1" in p for p in problems)
    assert settings_problems(StudySettings(ask_reason="sometimes"))
    assert not settings_problems(StudySettings(ask_reason="at_end", reason_cues="timbre: timbre, klangfarb"))
