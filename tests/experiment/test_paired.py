"""Paired (2AFC) trials: pairing and counterbalancing, scoring, and storage through the real services."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from scipy.stats import norm
from sqlalchemy import select

from core import db
from core.models import Response, Trial
from core.vocabulary import Source, TrialKind
from experiment import paired, paired_trials
from experiment.answers import Answer
from experiment.assignment import AssignmentError, AssignmentRules, ClipInfo, assign_trials
from experiment.debrief import debrief
from experiment.entry import load_participant
from experiment.settings import StudySettings, library_problems, settings_problems
from experiment.trials import submit_answer
from results.data.codebook import TRIAL_COLUMNS
from results.data.table import load_trial_table
from tests.experiment.drive import add_clips, answer_after_trials, configure, reach_trials, shown_seconds_ago, step

PAIRED = dict(trial_format="paired", n_trials=6, screening="off")


def test_dprime_2afc_is_sqrt2_times_z_of_proportion_correct():
    assert paired.dprime_2afc(0.76) == pytest.approx(math.sqrt(2) * norm.ppf(0.76))
    assert paired.dprime_2afc(0.76) == pytest.approx(1.00, abs=0.01)
    assert paired.dprime_2afc(0.5) == 0.0
    assert paired.dprime_2afc_from_counts(10, 10) == pytest.approx(math.sqrt(2) * norm.ppf(10.5 / 11))
    assert math.isfinite(paired.dprime_2afc_from_counts(0, 4))
    assert paired.proportion_correct(19, 25) == 0.76


def _clips(n: int, with_pairs: bool) -> list[ClipInfo]:
    humans = [ClipInfo(i, Source.HUMAN, f"p{i}" if with_pairs else None) for i in range(n)]
    ais = [ClipInfo(100 + i, Source.AI, f"p{i}" if with_pairs else None) for i in range(n)]
    return humans + ais


@pytest.mark.parametrize("with_pairs", [True, False])
def test_pairs_hold_one_human_and_one_ai_clip_with_the_order_counterbalanced(with_pairs):
    clips = _clips(12, with_pairs)
    info = {c.clip_id: c for c in clips}
    rules = paired.paired_rules(AssignmentRules(n_trials=8, use_pairs=with_pairs))
    for seed in range(20):
        plan = paired.arrange_pairs(assign_trials(clips, {}, rules, seed), clips, seed)
        practice, plan = plan[:2], plan[2:]  # the practice is a pair too: the task practised is the task scored
        assert [(p.trial.kind, p.pair_trial, p.pair_position) for p in practice] == [
            (TrialKind.PRACTICE, paired.PRACTICE_PAIR, 1),
            (TrialKind.PRACTICE, paired.PRACTICE_PAIR, 2),
        ]
        assert {info[p.trial.clip_id].source for p in practice} == {Source.HUMAN, Source.AI}
        assert not {p.trial.clip_id for p in practice} & {p.trial.clip_id for p in plan}  # never a main clip
        pairs = [plan[i : i + 2] for i in range(0, len(plan), 2)]
        assert [(a.pair_trial, a.pair_position, b.pair_trial, b.pair_position) for a, b in pairs] == [
            (k, 1, k, 2) for k in range(1, 5)
        ]
        sources = [tuple(info[p.trial.clip_id].source for p in pair) for pair in pairs]
        assert Counter(sources) == {(Source.AI, Source.HUMAN): 2, (Source.HUMAN, Source.AI): 2}
        if with_pairs:  # matched pairs: both clips share a pair id
            assert all(len({info[p.trial.clip_id].pair_id for p in pair}) == 1 for pair in pairs)
        assert all(p.trial.kind == TrialKind.MAIN for p in plan)


def test_a_practice_pair_without_a_spare_clip_of_each_source_is_refused_with_a_reason():
    clips = _clips(4, False)[:-1]  # 4 human, 3 AI: after 3 + 3 main clips only a human clip is spare
    rules = paired.paired_rules(AssignmentRules(n_trials=6, use_pairs=False))
    with pytest.raises(AssignmentError, match="practice pair needs a human and an AI clip"):
        paired.arrange_pairs(assign_trials(clips, {}, rules, 1), clips, 1)
    problems = library_problems(StudySettings(trial_format="paired", n_trials=6), {"human": 4, "ai": 3})
    assert problems and "practice pair" in problems[0]
    assert not library_problems(StudySettings(trial_format="paired", n_trials=6), {"human": 4, "ai": 4})


def test_paired_trials_run_in_the_blind_condition_only():
    assert not settings_problems(StudySettings(trial_format="paired"))
    assert settings_problems(StudySettings(trial_format="paired", conditions=("blind", "labelled")))
    assert settings_problems(StudySettings(trial_format="triples"))


def _answer(listened_s: float, rating: int = 5) -> Answer:
    return Answer(
        confidence=None, valence=rating, arousal=rating, moved=rating, liking=rating, plays=1, listened_s=listened_s
    )


def answer_pair(token: str, *, right: bool, listened: bool = True) -> paired_trials.SubmitResult:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = paired_trials.current_pair(s, participant)
        assert view is not None
        for clip in view.clips:
            shown_seconds_ago(s, participant, clip.trial_index, 2 * clip.duration_s)
        ai = next(c.position for c in view.clips if repository_source(s, participant, c.trial_index) == Source.AI)
        choice = ai if right else 3 - ai
        answers = [_answer(c.duration_s if listened else 1.0) for c in view.clips]
        return paired_trials.submit_pair(s, participant, view.pair_trial, answers, choice, 3)


def repository_source(s, participant, trial_index: int) -> str:
    from experiment import repository

    return repository.trial_at(s, participant, trial_index).clip.source


@pytest.mark.usefixtures("data_env")
def test_a_pair_is_stored_once_as_two_rows_with_the_choice_on_both():
    add_clips(6, 6, paired=True)
    configure(**PAIRED)
    token = reach_trials()
    with db.session_scope() as s:  # one clip of a pair cannot be answered alone
        participant = load_participant(s, token)
        view = paired_trials.current_pair(s, participant)
        alone = submit_answer(s, participant, view.clips[0].trial_index, _answer(99))
        assert alone.status == "rejected" and "pair" in alone.message
    assert answer_pair(token, right=True, listened=False).status == "rejected"  # both must be heard
    assert answer_pair(token, right=True).status == "recorded"
    with db.session_scope() as s:
        first = s.execute(select(Trial).where(Trial.pair_trial == 1)).scalars().all()
        participant = load_participant(s, token)
        again = paired_trials.submit_pair(s, participant, 1, [_answer(99), _answer(99)], 1, 1)
        assert again.status == "duplicate"
    answer_pair(token, right=False)
    answer_pair(token, right=True)
    answer_after_trials(token)
    assert step(token) == "debrief"
    with db.session_scope() as s:
        rows = s.execute(select(Trial, Response).join(Response, Response.trial_id == Trial.id)).all()
        assert len(rows) == len({t.trial_index for t, _r in rows}) == 8  # a practice pair + 3 pairs of 2
        practice = [(t, r) for t, r in rows if t.kind == TrialKind.PRACTICE]
        assert [(t.pair_trial, r.pair_choice) for t, r in practice] == [(paired.PRACTICE_PAIR, 1)] * 2
        paired_rows = [(t, r) for t, r in rows if t.pair_trial not in (None, paired.PRACTICE_PAIR)]
        assert len(paired_rows) == 6 and all(r.guess is None and r.confidence is None for _t, r in paired_rows)
        for number in (1, 2, 3):
            pair = sorted((p for p in paired_rows if p[0].pair_trial == number), key=lambda p: p[0].pair_position)
            assert [t.pair_position for t, _r in pair] == [1, 2]
            assert {t.clip.source for t, _r in pair} == {Source.HUMAN, Source.AI}
            assert len({(r.pair_choice, r.pair_confidence) for _t, r in pair}) == 1
            assert pair[0][0].clip.pair_id == pair[1][0].clip.pair_id
        info = debrief(s, load_participant(s, token))
        assert info.scored and (info.n_correct, info.n_main) == (2, 3)  # pairs 1 and 3 right: scored in pairs
        assert [(p.number, p.correct) for p in info.pairs] == [(1, True), (2, False), (3, True)]
        assert all(sorted(p.truths) == [Source.AI, Source.HUMAN] for p in info.pairs)
        assert info.dprime == pytest.approx(paired.dprime_2afc_from_counts(2, 3))
        assert all(item.confidence is None and item.guess in (Source.HUMAN, Source.AI) for item in info.items)
    assert len(first) == 2
    table = load_trial_table()  # the export's trial table: both clips of every pair, the choice once per pair
    paired_rows = table[table["pair_trial"].notna()]  # the practice pair is not in the trial table
    assert len(paired_rows) == 6 and set(paired_rows["pair_position"]) == {1, 2}
    assert list(paired_rows.groupby("pair_trial")["pair_correct"].first()) == [True, False, True]
    assert paired_rows["guessed_ai"].isna().all()  # not single-clip guesses
    names = {c.name for c in TRIAL_COLUMNS}
    assert {"pair_trial", "pair_position", "pair_choice", "pair_confidence", "pair_correct"} <= names
