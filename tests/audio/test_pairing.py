"""Similarity pairing (audio.pairing): standardised, group-weighted features, the optimal matching, overrides."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from audio import pairing
from core.vocabulary import PAIRING_FEATURE_GROUPS


def planted_library(n: int, seed: int) -> tuple[list[int], list[int], pd.DataFrame, dict[int, int]]:
    """n human clips with random features and n AI clips each near one human clip (the planted partner)."""
    rng = np.random.default_rng(seed)
    names = [name for group in pairing.FEATURE_GROUPS.values() for name in group]
    human = pd.DataFrame(rng.normal(size=(n, len(names))), columns=names, index=range(n))
    human["tempo_estimate_bpm"] = rng.uniform(60, 180, n)
    human["key_estimate"], human["key_mode_estimate"] = rng.integers(0, 12, n), rng.integers(0, 2, n)
    partner = rng.permutation(n)  # AI clip 100 + k is near human clip partner[k]
    ai = human.iloc[partner].copy()
    ai[names[:13]] += rng.normal(0, 0.05, size=(n, 13))
    ai.index = [100 + k for k in range(n)]
    return list(range(n)), list(ai.index), pd.concat([human, ai]), {int(partner[k]): 100 + k for k in range(n)}


def test_the_matching_finds_the_planted_partners_and_no_matching_is_closer():
    humans, ais, values, planted = planted_library(8, seed=1)
    rows = pairing.feature_matrix(values)
    matrix = dict(zip(values.index, rows, strict=True))
    pairs = pairing.similar_pairs(humans, ais, matrix)
    assert {p.human_clip_id: p.ai_clip_id for p in pairs} == planted
    best = sum(p.distance for p in pairs)
    for seed in range(50):  # the optimum: no random one-to-one matching has a smaller total distance
        shuffled = pairing.random_pairs(humans, ais, matrix, seed)
        assert sorted(p.ai_clip_id for p in shuffled) == sorted(ais)  # one-to-one
        assert sum(p.distance for p in shuffled) >= best - 1e-9


def test_an_override_is_kept_and_the_others_are_matched_around_it():
    humans, ais, values, planted = planted_library(6, seed=2)
    matrix = dict(zip(values.index, pairing.feature_matrix(values), strict=True))
    h0, h1 = 0, 1
    forced = {h0: planted[h1]}  # the organiser pairs human 0 with human 1's planted partner
    pairs = pairing.similar_pairs(humans, ais, matrix, forced)
    chosen = {p.human_clip_id: p.ai_clip_id for p in pairs}
    assert chosen[h0] == planted[h1] and next(p for p in pairs if p.human_clip_id == h0).overridden
    assert chosen[h1] == planted[h0]  # the only AI clip left for human 1 that keeps the rest planted
    assert all(chosen[h] == planted[h] for h in humans if h not in (h0, h1))
    assert len(set(chosen.values())) == len(chosen) == len(humans)


def test_every_group_weighs_the_same_however_many_features_it_has():
    rng = np.random.default_rng(3)
    values = pd.DataFrame(rng.normal(size=(30, 40)), columns=[f"mfcc_{i}_mean" for i in range(1, 41)])
    values["rms_db_dynamic_range_db"] = rng.normal(size=30)
    rows = pairing.feature_matrix(values, ["timbre", "loudness range"])
    timbre, loudness = rows[:, :13], rows[:, 13:]
    assert np.sum(timbre**2) == pytest.approx(np.sum(loudness**2))  # 13 MFCCs count as much as one feature


def test_keys_are_near_on_the_circle_of_fifths_and_tempo_in_octaves():
    values = pd.DataFrame({"key_estimate": [0, 7, 6], "key_mode_estimate": [1, 1, 1]})  # C, G, F sharp
    rows = pairing.feature_matrix(values, ["key"])
    assert np.linalg.norm(rows[0] - rows[1]) < np.linalg.norm(rows[0] - rows[2])
    tempo = pairing.feature_matrix(pd.DataFrame({"tempo_estimate_bpm": [60.0, 120.0, 240.0]}), ["tempo"])
    assert tempo[1, 0] - tempo[0, 0] == pytest.approx(tempo[2, 0] - tempo[1, 0])  # a doubling is one step


def test_missing_features_count_as_the_mean_and_unknown_groups_are_refused():
    values = pd.DataFrame({"rms_db_dynamic_range_db": [1.0, np.nan, 3.0]})
    assert pairing.feature_matrix(values, ["loudness range"])[1, 0] == 0.0
    with pytest.raises(ValueError, match="feature groups"):
        pairing.feature_matrix(values, ["mood"])
    assert tuple(pairing.FEATURE_GROUPS) == PAIRING_FEATURE_GROUPS == pairing.DEFAULT_GROUPS


def test_unequal_sources_leave_the_surplus_unpaired():
    humans, ais, values, _planted = planted_library(5, seed=4)
    matrix = dict(zip(values.index, pairing.feature_matrix(values), strict=True))
    pairs = pairing.similar_pairs(humans, ais[:3], matrix)
    assert len(pairs) == 3 and len({p.human_clip_id for p in pairs}) == 3
    assert all(a != b for a, b in itertools.combinations([p.ai_clip_id for p in pairs], 2))


def test_a_pair_is_described_in_words_by_its_rank_among_all_pairs_and_its_features():
    humans, ais, values, planted = planted_library(6, seed=5)
    matrix = dict(zip(values.index, pairing.feature_matrix(values), strict=True))
    pairs = pairing.similar_pairs(humans, ais, matrix)
    words = pairing.describe_pairs(pairs, humans, ais, matrix)
    # The planted partners differ only by a little timbre noise: nearest of all 36 pairs, and by timbre.
    assert all(w.startswith("very close (nearer than") and "of the 36 possible pairs" in w for w in words)
    assert all(w.endswith("most different in timbre") for w in words)
    parts = pairing.group_distances(matrix, pairs[0].human_clip_id, pairs[0].ai_clip_id)
    assert list(parts) == list(pairing.DEFAULT_GROUPS)
    assert np.sqrt(sum(v**2 for v in parts.values())) == pytest.approx(pairs[0].distance)
    strangers = [pairing.ClipPair(h, a, float(np.linalg.norm(matrix[h] - matrix[a]))) for h, a in [(0, planted[1])]]
    far = pairing.describe_pairs(strangers, humans, ais, matrix)[0]
    assert not far.startswith("very close") and "most alike in" in far
    (single,) = pairing.describe_pairs(
        strangers,
        humans,
        ais,
        dict(zip(values.index, pairing.feature_matrix(values, ["tempo"]), strict=True)),
        ["tempo"],
    )
    assert "most alike" not in single  # one group: nothing to compare it with
