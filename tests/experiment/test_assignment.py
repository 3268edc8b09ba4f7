"""Trial assignment as properties over many simulated participants."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiment.assignment import (
    REPEAT_MIN_GAP,
    REPEAT_MIN_GAP_ALWAYS,
    AssignmentError,
    AssignmentRules,
    ClipInfo,
    assign_trials,
    longest_source_run,
)


def library(n_human: int, n_ai: int, paired: int = 0) -> list[ClipInfo]:
    """Clips with ids 1..; the first ``paired`` of each source share pair ids p0, p1, ..."""
    clips = [ClipInfo(i + 1, "human", f"p{i}" if i < paired else None) for i in range(n_human)]
    clips += [ClipInfo(1000 + i, "ai", f"p{i}" if i < paired else None) for i in range(n_ai)]
    return clips


def check_list(planned, clips, rules, strict_gaps=True):
    """The invariants every trial list must satisfy; returns the main trials."""
    source = {c.clip_id: c.source for c in clips}
    kinds = [t.kind for t in planned]
    if rules.practice:
        assert kinds[0] == "practice" and kinds.count("practice") == 1
    else:
        assert "practice" not in kinds
    after_practice = [t for t in planned if t.kind != "practice"]
    main = [t for t in planned if t.kind == "main"]
    assert len(main) == rules.n_trials
    counts = Counter(source[t.clip_id] for t in main)
    assert counts["human"] == counts["ai"] == rules.n_trials // 2
    assert len({t.clip_id for t in main}) == len(main), "a main clip appears twice"
    assert longest_source_run([source[t.clip_id] for t in after_practice]) <= rules.max_same_source_run
    assert kinds.count("repeat") == int(rules.repeat_check)
    assert kinds.count("attention") == int(rules.attention_check)
    assert len(after_practice) == rules.n_rated  # what the instructions and the progress count
    main_ids = {t.clip_id for t in main}
    if rules.practice:  # never a main clip, never the attention clip
        assert planned[0].clip_id not in main_ids | {t.clip_id for t in planned if t.kind == "attention"}
    for kind in ("repeat", "attention"):
        extra = [i for i, t in enumerate(planned) if t.kind == kind]
        if not extra or planned[extra[0]].clip_id not in main_ids:
            continue
        r = extra[0]
        originals = [i for i, t in enumerate(planned) if t.kind == "main" and t.clip_id == planned[r].clip_id]
        assert len(originals) == 1
        assert r - originals[0] - 1 >= (REPEAT_MIN_GAP if strict_gaps else REPEAT_MIN_GAP_ALWAYS), planned
    if rules.repeat_check:
        assert planned[kinds.index("repeat")].clip_id in main_ids
    if rules.attention_check:
        assert after_practice[0].kind != "attention"
    return main


def test_five_hundred_sequential_participants_balance_runs_and_exposure():
    clips = library(20, 20)
    rules = AssignmentRules(n_trials=12, max_same_source_run=3)
    exposure: Counter[int] = Counter()
    for seed in range(500):
        planned = assign_trials(clips, exposure, rules, seed)
        main = check_list(planned, clips, rules)
        ids = [t.clip_id for t in planned]
        # Library larger than one list: no clip twice except the deliberate repeat.
        repeated = [clip_id for clip_id, n in Counter(ids).items() if n > 1]
        assert repeated == [next(t.clip_id for t in planned if t.kind == "repeat")]
        exposure.update(t.clip_id for t in main)
        counts = [exposure[c.clip_id] for c in clips]
        assert max(counts) - min(counts) <= 1, f"exposure spread after participant {seed}: {counts}"
    # 500 x 12 main trials over 40 clips: exactly 150 each.
    assert all(exposure[c.clip_id] == 150 for c in clips)


def test_exposure_spreads_within_each_source_when_sources_differ_in_size():
    clips = library(9, 15)
    rules = AssignmentRules(n_trials=8)
    exposure: Counter[int] = Counter()
    for seed in range(200):
        main = check_list(assign_trials(clips, exposure, rules, seed), clips, rules)
        exposure.update(t.clip_id for t in main)
        for src in ("human", "ai"):
            counts = [exposure[c.clip_id] for c in clips if c.source == src]
            assert max(counts) - min(counts) <= 1


def test_stored_exposure_is_respected_least_exposed_first():
    clips = library(6, 6)
    exposure = {c.clip_id: 5 for c in clips}
    fresh = {2, 4, 1001, 1003}
    for clip_id in fresh:
        exposure[clip_id] = 0
    rules = AssignmentRules(n_trials=4, practice=False, attention_check=False, repeat_check=False)
    planned = assign_trials(clips, exposure, rules, seed=3)
    assert {t.clip_id for t in planned} == fresh


def test_same_seed_same_list_and_other_seeds_differ():
    clips = library(12, 12)
    rules = AssignmentRules()
    first = assign_trials(clips, {}, rules, seed=42)
    assert assign_trials(clips, {}, rules, seed=42) == first
    others = {tuple(assign_trials(clips, {}, rules, seed=s)) for s in range(20)}
    assert len(others) > 15


def test_pairs_are_drawn_whole_and_kept_apart():
    clips = library(10, 10, paired=10)
    pair_of = {c.clip_id: c.pair_id for c in clips}
    rules = AssignmentRules(n_trials=12, use_pairs=True, pair_gap=2)
    exposure: Counter[int] = Counter()
    for seed in range(300):
        planned = assign_trials(clips, exposure, rules, seed)
        main = check_list(planned, clips, rules)
        positions: dict[str, list[int]] = {}
        for index, trial in enumerate(planned):
            if trial.kind == "main":
                positions.setdefault(pair_of[trial.clip_id], []).append(index)
        assert len(positions) == 6 and all(len(p) == 2 for p in positions.values())
        assert all(abs(a - b) - 1 >= 2 for a, b in positions.values())
        exposure.update(t.clip_id for t in main)
        counts = [exposure[c.clip_id] for c in clips]
        assert max(counts) - min(counts) <= 1


def test_too_few_complete_pairs_falls_back_to_independent_clips():
    clips = library(10, 10, paired=3)  # only 3 complete pairs, 6 needed
    rules = AssignmentRules(n_trials=12)
    main = check_list(assign_trials(clips, {}, rules, seed=1), clips, rules)
    pair_ids = Counter(c.pair_id for c in clips if c.clip_id in {t.clip_id for t in main} and c.pair_id)
    assert len(main) == 12 and sum(pair_ids.values()) <= 6


@settings(max_examples=150, deadline=None)
@given(
    half=st.integers(1, 12),
    extra_human=st.integers(0, 6),
    extra_ai=st.integers(0, 6),
    max_run=st.integers(1, 5),
    paired=st.booleans(),
    practice=st.booleans(),
    attention=st.booleans(),
    repeat=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_any_feasible_library_gives_a_valid_list(
    half, extra_human, extra_ai, max_run, paired, practice, attention, repeat, seed
):
    n_human, n_ai = half + extra_human, half + extra_ai
    clips = library(n_human, n_ai, paired=min(n_human, n_ai) if paired else 0)
    rules = AssignmentRules(
        n_trials=2 * half,
        max_same_source_run=max_run,
        use_pairs=paired,
        pair_gap=2,
        practice=practice,
        attention_check=attention,
        repeat_check=repeat,
    )
    if practice and not extra_human + extra_ai:  # no spare clip: a practice would reuse a main clip
        with pytest.raises(AssignmentError, match="practice trial needs a clip outside"):
            assign_trials(clips, {}, rules, seed)
        return
    planned = assign_trials(clips, {}, rules, seed)
    check_list(planned, clips, rules, strict_gaps=half >= 4 and max_run >= 2)
    assert assign_trials(clips, {}, rules, seed) == planned


def test_too_small_library_is_refused_with_a_clear_message():
    with pytest.raises(AssignmentError, match="needs 6 ai clips, but only 4 are active"):
        assign_trials(library(10, 4), {}, AssignmentRules(n_trials=12), seed=1)


def test_odd_trial_count_is_refused():
    with pytest.raises(AssignmentError, match="even"):
        assign_trials(library(10, 10), {}, AssignmentRules(n_trials=7), seed=1)


def test_longest_source_run():
    assert longest_source_run([]) == 0
    assert longest_source_run(["ai", "ai", "human", "ai", "ai", "ai"]) == 3


def test_the_practice_clip_is_never_a_main_clip_and_a_reused_attention_clip_is_spaced():
    clips = library(6, 7)  # one spare clip: the practice takes it, the attention must reuse a main clip
    rules = AssignmentRules(n_trials=12, max_same_source_run=3)
    for seed in range(200):
        planned = assign_trials(clips, {}, rules, seed)
        main = check_list(planned, clips, rules)
        spare = {c.clip_id for c in clips} - {t.clip_id for t in main}
        assert {planned[0].clip_id} == spare
        attention = next(t for t in planned if t.kind == "attention")
        assert attention.clip_id in {t.clip_id for t in main}  # reused, and check_list checked its spacing


def test_a_library_without_a_spare_clip_is_refused_for_a_practice_trial():
    with pytest.raises(AssignmentError, match="practice trial needs a clip outside the 12 main clips"):
        assign_trials(library(6, 6), {}, AssignmentRules(n_trials=12), seed=1)
    assert len(assign_trials(library(6, 6), {}, AssignmentRules(n_trials=12, practice=False), seed=1)) == 14
