"""Design conditions through the real services: balanced randomisation, labels, what each condition stores."""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from core import db
from core.models import Participant, Response, Trial
from core.vocabulary import CONDITIONS, Condition, LabelMode, Source, TrialKind
from experiment import conditions
from experiment.debrief import debrief
from experiment.entry import load_participant, start_preview
from experiment.questionnaire import MUSICAL_TRAINING, musical_training_score
from experiment.settings import StudySettings, settings_problems
from tests.experiment.drive import QUESTIONNAIRE, add_clips, configure, finish, reach_trials, step

NEUTRAL: dict[str, Any] = {
    "title": "A listening study",
    "information_text": "You will listen to short music clips and say how each one made you feel.",
    "conditions": tuple(CONDITIONS),
}


def test_choosing_the_least_used_condition_fills_every_block_of_arrivals_once():
    rng = random.Random(1)
    counts: Counter[str] = Counter()
    sequence = []
    for _ in range(30):
        chosen = conditions.choose_condition(counts, CONDITIONS, rng)
        counts[chosen] += 1
        sequence.append(chosen)
    blocks = [sequence[i : i + 3] for i in range(0, 30, 3)]
    assert all(sorted(block) == sorted(CONDITIONS) for block in blocks)
    assert len({tuple(block) for block in blocks}) > 1  # the order within a block is random


def test_label_modes_follow_the_shares_and_labels_are_independent_of_the_source():
    settings = StudySettings(label_true_percent=50, label_reversed_percent=25, label_random_percent=25)
    assert Counter(conditions.label_modes(8, settings, random.Random(0))) == {"true": 4, "reversed": 2, "random": 2}
    assert sorted(Counter(conditions.label_modes(3, StudySettings(), random.Random(0))).values()) == [1, 2]
    kinds = [TrialKind.MAIN] * 12 + [TrialKind.REPEAT]
    ids = list(range(12)) + [4]
    sources = {i: Source.HUMAN if i < 6 else Source.AI for i in range(12)}
    labels = conditions.plan_labels(kinds, ids, sources, StudySettings(), seed=7)
    for source in (Source.HUMAN, Source.AI):
        shown = [labels[i][0] for i in range(12) if sources[i] == source]
        assert Counter(shown) == {Source.HUMAN: 3, Source.AI: 3}  # 50 % true, 50 % reversed per source
    for i in range(12):
        label, mode = labels[i]
        assert (label == sources[i]) == (mode == LabelMode.TRUE)
    assert labels[12] == labels[4]  # the repeat hears the same announcement


def test_rate_only_refuses_own_texts_that_mention_ai_but_runs_on_the_built_in_ones():
    own = StudySettings(conditions=("blind", "rate_only"), title="Human or AI?", information_text="AI music.")
    problems = settings_problems(own)
    assert any("title must not mention AI" in p for p in problems)
    assert any("information_text must not mention AI" in p for p in problems)
    assert not settings_problems(StudySettings(**NEUTRAL))
    # The study's own German texts are read before the clips as well: "KI" there gives the design away.
    german = StudySettings(
        **NEUTRAL, localised_texts={"de": {"title": "Mensch oder KI?", "information_text": "Eine Hörstudie."}}
    )
    assert [p for p in settings_problems(german) if "mention AI" in p] == [
        "with the rate-only condition on, title (de) must not mention AI (asked only at the end)"
    ]
    plain_german = StudySettings(**NEUTRAL, localised_texts={"de": {"title": "Eine Hörstudie über Musik"}})
    assert not settings_problems(plain_german)
    # The built-in texts switch to their rate-only versions: switching the design on them just works.
    built_in = StudySettings(conditions=("blind", "rate_only"))
    assert not settings_problems(built_in)
    for language, title in (("en", "A listening study"), ("de", "Eine Hörstudie")):
        shown = built_in.localised(language)
        assert shown.title == title
        assert not re.search(r"\bA\.?I\b|\bKI\b|artificial|künstlich", shown.title + shown.information_text)
        assert "{retention_days}" in shown.information_text  # still says how long ids are kept
    blind_only = StudySettings().localised("de")
    assert blind_only.title == "Mensch oder KI? Eine Hörstudie" and "KI-System" in blind_only.information_text
    assert settings_problems(StudySettings(conditions=()))
    assert settings_problems(StudySettings(label_true_percent=60))


def test_labelled_design_refuses_label_shares_that_make_label_and_source_identical():
    for shares in ((100, 0, 0), (0, 100, 0)):
        true, reversed_, random_ = shares
        settings = StudySettings(
            conditions=("blind", "labelled"),
            label_true_percent=true,
            label_reversed_percent=reversed_,
            label_random_percent=random_,
        )
        assert any("cannot be told apart from the source" in p for p in settings_problems(settings)), shares
    # Any other kind of label breaks the tie; without the labelled condition the shares are not used.
    assert not settings_problems(
        StudySettings(
            conditions=("blind", "labelled"), label_true_percent=95, label_reversed_percent=0, label_random_percent=5
        )
    )
    assert not settings_problems(StudySettings(label_true_percent=100, label_reversed_percent=0))


def test_only_the_blind_debrief_text_speaks_of_guesses_compared():
    settings = StudySettings(conditions=tuple(CONDITIONS))
    for language, compare in (("en", "how your guesses compare"), ("de", "im Vergleich")):
        assert compare in settings.localised(language, Condition.BLIND).debrief_text
        for condition in (Condition.RATE_ONLY, Condition.LABELLED):
            text = settings.localised(language, condition).debrief_text
            assert compare not in text and ("AI" in text or "KI" in text)  # the reveal itself is still explained
    own = settings.with_changes(debrief_text="Thanks!")
    assert own.localised("en", Condition.RATE_ONLY).debrief_text == "Thanks!"  # the organiser's own text stays


def test_gold_msi_training_score_sums_the_seven_items_with_two_reversed():
    lowest = {q.key: q.options[0] if q.kind == "choice" else (q.high if q.reverse else q.low) for q in MUSICAL_TRAINING}
    highest = {
        q.key: q.options[-1] if q.kind == "choice" else (q.low if q.reverse else q.high) for q in MUSICAL_TRAINING
    }
    assert musical_training_score(lowest) == 7 and musical_training_score(highest) == 49
    # drive.QUESTIONNAIRE by option position: 5 + 3 + (8 - 5) + 2 + 4 + 2 + (8 - 4)
    assert musical_training_score(QUESTIONNAIRE) == 23
    assert musical_training_score({**QUESTIONNAIRE, "instruments_played": None}) is None
    assert len(MUSICAL_TRAINING) == 7 and sum(q.reverse for q in MUSICAL_TRAINING) == 2


@pytest.mark.usefixtures("data_env")
def test_participants_are_balanced_over_conditions_and_each_condition_stores_what_it_asks():
    add_clips(8, 8)
    configure(n_trials=6, screening="off", **NEUTRAL)
    tokens = [reach_trials() for _ in range(6)]
    with db.session_scope() as s:
        got = [load_participant(s, t).condition for t in tokens]
    assert Counter(got) == {c: 2 for c in CONDITIONS}
    for token in tokens:
        finish(token)
        assert step(token) == "debrief"
    with db.session_scope() as s:
        for token in tokens:
            participant = load_participant(s, token)
            rows = s.execute(
                select(Trial, Response)
                .join(Response, Response.trial_id == Trial.id)
                .where(Trial.participant_id == participant.id)
            ).all()
            assert (
                len(rows) == len({trial.trial_index for trial, _ in rows}) == 6 + 2 + 1
            )  # + repeat, attention, practice
            labelled = participant.condition == Condition.LABELLED
            assert all((trial.label_shown is not None) == labelled for trial, _ in rows)
            assert all(
                (response.confidence is not None) == (participant.condition == Condition.BLIND) for _, response in rows
            )
            asked_end = "believed_ai_present" in participant.questionnaire
            assert asked_end == (participant.condition == Condition.RATE_ONLY)
            assert participant.questionnaire["ai_music_attitude"] == 3
            info = debrief(s, participant)
            assert info.scored == (participant.condition == Condition.BLIND)
            if labelled:
                assert all(item.label_shown in (Source.HUMAN, Source.AI) for item in info.items)


@pytest.mark.usefixtures("data_env")
def test_previews_run_the_chosen_condition_and_are_never_counted():
    add_clips(8, 8)
    configure(n_trials=6, screening="off", **NEUTRAL)
    with db.session_scope() as s:
        preview = start_preview(s, Condition.LABELLED)
        assert preview.condition == "labelled"
        with pytest.raises(ValueError):
            start_preview(s, "shouted")
    token = reach_trials()
    with db.session_scope() as s:
        assert conditions.repository.condition_counts(s) == {load_participant(s, token).condition: 1}
        assert s.scalar(select(Participant.condition).where(Participant.is_preview.is_(True))) == "labelled"


def test_conditions_stay_balanced_when_participants_arrive_at_the_same_moment(data_env):
    """Eight page runs at once assign 24 participants: the counter is read and written under the lock."""
    from tests.experiment.drive import consent, save_questionnaires_at_once

    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, attention_check=False, repeat_check=False, **NEUTRAL)
    tokens = [consent() for _ in range(24)]
    save_questionnaires_at_once(tokens)
    with db.session_scope() as s:
        assert conditions.repository.condition_counts(s) == {c: 8 for c in CONDITIONS}
