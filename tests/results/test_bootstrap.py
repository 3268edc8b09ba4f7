"""The parametric-bootstrap likelihood-ratio test (:mod:`results.mixed.bootstrap`): seeded, simulates from the
null fit, and agrees with ``pbkrtest::PBmodcomp`` (Debian ``r-cran-pbkrtest``) within Monte-Carlo error."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from results.mixed.bootstrap import parametric_bootstrap_lr, simulate_responses
from results.mixed.inference import deviance_excess, fit_with_fallback
from results.planning.simulate import simulate_study
from results.statistics.detection import main_trials
from results.statistics.headline import headline_detection
from results.statistics.models import detection_design
from tests.conftest import require_or_skip
from tests.r_packages import r_package_available

R_SCRIPT = Path(__file__).resolve().parent / "r" / "pbmodcomp.R"


def _study(d_prime: float, seed: int = 11):
    """30 participants x 12 trials on 12 clips (clip SD 0.8): small enough for hundreds of refits in R too."""
    trials = main_trials(
        simulate_study(30, 12, d_prime=d_prime, n_clips=12, cue_weight=0.8, label_effects={}, seed=seed)
    )
    y, X, names, structures = detection_design(trials)
    return trials, y, X, names, fit_with_fallback(y, X, names, structures[1:])  # (1 | participant) + (1 | clip)


def test_bootstrap_is_seeded_and_its_statistic_is_the_likelihood_ratio():
    _, y, X, names, structure = _study(0.9)
    first = parametric_bootstrap_lr(y, X, names, structure, "is_ai", n_samples=4, seed=3)
    again = parametric_bootstrap_lr(y, X, names, structure, "is_ai", n_samples=4, seed=3)
    assert first == again
    assert first.statistic == pytest.approx(deviance_excess(y, X, names, structure, "is_ai", 0.0), abs=1e-3)
    assert first.n_samples + first.n_failed == 4
    # p = (1 + #{LR* >= LR}) / (1 + B): one of 1/5 .. 5/5, with its binomial Monte-Carlo error.
    assert first.p_value * 5 == pytest.approx(round(first.p_value * 5))
    assert first.mc_se == pytest.approx(np.sqrt(first.p_value * (1 - first.p_value) / first.n_samples))


def test_simulated_responses_follow_the_fitted_model():
    _, y, X, names, structure = _study(0.9)
    rng = np.random.default_rng(0)
    draws = np.array([simulate_responses(structure.fit, X, structure, rng) for _ in range(200)])
    # Answers to AI clips are "AI" more often by about Phi-scale d' (marginal over random effects).
    is_ai = X[:, names.index("is_ai")] > 0
    assert draws[:, is_ai].mean() - draws[:, ~is_ai].mean() == pytest.approx(
        y[is_ai].mean() - y[~is_ai].mean(), abs=0.05
    )
    assert draws.mean() == pytest.approx(y.mean(), abs=0.05)


@pytest.mark.slow
def test_bootstrap_p_value_agrees_with_pbkrtest_within_monte_carlo_error(tmp_path):
    require_or_skip(r_package_available("pbkrtest"), "Rscript with lme4 and pbkrtest (r-cran-lme4, r-cran-pbkrtest)")
    trials, y, X, names, structure = _study(1.2)
    n_samples = 200
    ours = parametric_bootstrap_lr(y, X, names, structure, "is_ai", n_samples=n_samples, seed=1)
    trials[["participant_id", "clip_id", "is_ai", "guessed_ai"]].to_csv(tmp_path / "trials.csv", index=False)
    subprocess.run(
        ["Rscript", str(R_SCRIPT), "trials.csv", str(n_samples), "pb.csv"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=900,
    )
    theirs = pd.read_csv(tmp_path / "pb.csv").iloc[0]
    assert ours.statistic == pytest.approx(theirs["lr"], abs=0.05)
    assert ours.chi2_p_value == pytest.approx(theirs["p_chisq"], abs=0.01)
    # Two independent Monte-Carlo estimates of the same p-value: within 3 SE of their difference.
    p_r = theirs["p_pb"]
    difference_se = np.sqrt(ours.mc_se**2 + p_r * (1 - p_r) / n_samples)
    assert abs(ours.p_value - p_r) <= 3 * difference_se, (ours, theirs.to_dict())
    assert 0.005 < p_r < 0.5  # an informative data set: not a p-value every method puts at 0 or 1


def test_headline_reports_one_p_value_for_d_prime_and_says_which():
    study = simulate_study(20, 8, d_prime=1.0, n_clips=10, cue_weight=0.5, label_effects={}, seed=2)
    fast = headline_detection(study)
    assert fast.d_prime_test is None
    assert fast.d_prime_p_value == (fast.model.d_prime.p_value, f"LR test on F(1, {fast.model.d_prime.df:.0f})")
    asked = headline_detection(study, bootstrap_samples=3, seed=5)
    p_value, label = asked.d_prime_p_value
    assert asked.d_prime_test is not None and p_value == asked.d_prime_test.p_value
    assert label.startswith("parametric-bootstrap LR test, 3 samples")
