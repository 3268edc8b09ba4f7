"""The headline model never aborts on a study whose answers separate the sources (near-)perfectly."""

from __future__ import annotations

import numpy as np

from results.planning.simulate import simulate_study
from results.statistics.headline import headline_detection


def test_near_perfect_detection_still_gives_a_headline():
    # With d' = 8 nearly every guess is right; profiling the d' term far out used to hit a
    # singular system and raise LinAlgError, which crashed the Overview and the HTML report.
    for seed in (0, 1):
        df = simulate_study(20, 12, d_prime=8.0, n_clips=20, seed=seed)
        headline = headline_detection(df)
        assert headline.model is not None, headline.model_error
        assert np.isfinite(headline.model.d_prime.estimate) and headline.model.d_prime.estimate > 2
