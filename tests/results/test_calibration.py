"""The headline tests hold their 5 % error rate when clips differ: a small, fast version of
``benchmarks/inference_calibration.py`` (the case the old tests never covered: clip variance).

Simulated studies with no real ability to tell (d' = 0), 20 clips whose "AI-soundingness"
varies with SD 1 probit unit. The pooled binomial test, which treats clips as fixed, rejects
in about half of such studies; the headline tests must stay near 5 %. Bounds are loose enough for
the few studies a test can afford (binomial 99.9 % limits), tight enough to catch the old failure.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from results.mixed.inference import deviance_excess, fit_with_fallback, lr_p_value
from results.planning.simulate import simulate_study
from results.statistics.cluster_variance import two_way_clustered
from results.statistics.detection import detection_summary, main_trials
from results.statistics.models import clip_df, detection_design


def _null_study(seed: int, n_participants: int = 40):
    return simulate_study(n_participants, 12, d_prime=0.0, n_clips=20, cue_weight=1.0, label_effects={}, seed=seed)


def test_two_way_clustered_accuracy_and_auc_keep_false_positives_near_5_percent_with_clip_variance():
    rejections = {"accuracy": 0, "auc": 0, "pooled": 0}
    n_studies = 150
    for seed in range(n_studies):
        study = _null_study(seed)
        clustered = two_way_clustered(main_trials(study, optional=("confidence",)))
        rejections["accuracy"] += clustered["accuracy"].p_value < 0.05
        rejections["auc"] += clustered["auc"].p_value < 0.05
        rejections["pooled"] += detection_summary(study).accuracy.p_value < 0.05
    assert rejections["pooled"] >= 0.25 * n_studies  # the failure the headline must not repeat
    limit = stats.binom.ppf(0.999, n_studies, 0.05)  # 17 of 150
    assert rejections["accuracy"] <= limit and rejections["auc"] <= limit, rejections


def test_glmm_likelihood_ratio_test_of_d_prime_keeps_false_positives_near_5_percent_and_never_aborts():
    n_studies, rejections = 24, 0
    for seed in range(n_studies):
        trials = main_trials(_null_study(100 + seed, n_participants=30))
        y, X, names, structures = detection_design(trials)
        full = fit_with_fallback(y, X, names, structures)  # raises on an abort
        lr = deviance_excess(y, X, names, full, "is_ai", 0.0)
        assert np.isfinite(lr)  # the held fit must not fail either
        # The app's test (results.statistics.models.detection_mixed_model), without its profile intervals.
        rejections += lr_p_value(lr, clip_df(trials)) < 0.05
    assert rejections <= stats.binom.ppf(0.999, n_studies, 0.05)  # 5 of 24; the Wald z-test used to give ~9 %


def test_simulated_clips_are_a_random_sample_so_their_mean_cue_varies_between_studies():
    """Standardised cues (mean 0, SD 1 in every study) made criterion c impossible to calibrate."""
    cues = [
        simulate_study(4, 12, n_clips=20, seed=seed).groupby("clip_id")["feat_listener_cue"].first()
        for seed in range(30)
    ]
    means = np.array([c.mean() for c in cues])
    assert stats.ttest_1samp(means, 0.0).pvalue > 0.001  # centred on 0 ...
    assert 0.1 < means.std() < 0.4  # ... but varying as the mean of 20 N(0, 1) draws (SD 0.22)
    assert np.std([c.std() for c in cues]) > 0.05  # and their spread varies too
