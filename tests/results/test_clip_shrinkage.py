"""Per-clip shrunken "judged AI" estimates: a clip rated once or twice does not top the rankings."""

from __future__ import annotations

import numpy as np
from scipy import stats

from results.planning.simulate import simulate_study
from results.statistics import lens
from results.statistics.clip_shrinkage import shrunken_proportions


def test_estimates_lie_between_the_raw_proportion_and_the_source_mean_and_few_ratings_shrink_most():
    successes = np.array([0, 1, 10, 30, 12, 2])
    n = np.array([2, 2, 40, 40, 40, 40])
    estimate, low, high = shrunken_proportions(successes, n, np.zeros(6))
    raw = successes / n
    grand = successes.sum() / n.sum()
    assert np.all((np.minimum(raw, grand) - 1e-9 <= estimate) & (estimate <= np.maximum(raw, grand) + 1e-9))
    assert np.all((low < estimate) & (estimate < high))
    # The clip judged AI 0 of 2 times moves further toward the mean than the one judged AI 2 of 40 times.
    assert abs(estimate[0] - raw[0]) > abs(estimate[5] - raw[5])
    assert estimate[0] > estimate[5]


def test_intervals_cover_the_clip_truths_nearly_95_percent_of_the_time():
    """Plug-in empirical-Bayes intervals ignore the uncertainty of the fitted beta (Morris 1983): about
    91 % here with 30 clips of 2-30 ratings, stated in the module docstring."""
    rng = np.random.default_rng(0)
    covered = []
    for _ in range(40):
        truth = stats.beta.rvs(4, 6, size=30, random_state=rng)
        n = rng.integers(2, 30, size=30)
        _, low, high = shrunken_proportions(rng.binomial(n, truth), n, np.zeros(30))
        covered += list((low <= truth) & (truth <= high))
    assert 0.88 <= np.mean(covered) <= 0.97


def test_most_human_sounding_ai_ranks_shrunken_estimates_not_one_rating():
    study = simulate_study(60, 12, d_prime=1.0, n_clips=40, label_effects={}, seed=9)
    # One AI clip heard by a single listener who judged it human: a raw proportion of 0 %.
    main = study["kind"] == "main"
    lonely = study.loc[main & study["is_ai"], "clip_id"].iloc[0]
    rows = study.index[main & (study["clip_id"] == lonely)]
    study = study.drop(rows[1:])
    study.loc[rows[0], "guessed_ai"] = False
    top = lens.most_human_sounding_ai(study, 3)
    summary = lens.clip_summary(study).set_index("clip_id")
    assert summary.loc[lonely, "prop_judged_ai"] == 0
    assert lonely not in list(top["clip_id"])
    assert list(top["shrunk_judged_ai"]) == sorted(top["shrunk_judged_ai"])
