"""Satterthwaite df of the emotion LMM (:mod:`results.mixed.satterthwaite`) agree with ``lmerTest`` (Debian
``r-cran-lmertest``) on a fixed simulated data set: estimates, SEs and df of both fixed effects."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest

from results.mixed.gaussian import fit_gaussian
from results.mixed.satterthwaite import satterthwaite_df
from results.mixed.terms import RandomFactor
from results.planning.simulate import simulate_study
from results.statistics.emotion import rated_trials
from tests.conftest import require_or_skip
from tests.r_packages import r_package_available

LMER_TEST = """
suppressPackageStartupMessages(library(lmerTest))
d <- read.csv("ratings.csv"); d$participant_id <- factor(d$participant_id); d$clip_id <- factor(d$clip_id)
m <- lmer(moved ~ is_ai + (1 + is_ai || participant_id) + (1 | clip_id), data = d)
write.csv(coef(summary(m)), "lmertest.csv")
"""


def test_satterthwaite_df_agree_with_lmertest(tmp_path):
    require_or_skip(r_package_available("lmerTest"), "Rscript with lmerTest (r-cran-lmertest)")
    study = simulate_study(30, 12, d_prime=1.0, n_clips=16, label_effects={}, source_effects={"moved": 0.5}, seed=5)
    trials, _ = rated_trials(study, ("moved",))
    rated = trials[trials["moved"].notna()].assign(is_ai=lambda t: t["is_ai"].to_numpy() - 0.5)
    participants, clips = pd.factorize(rated["participant_id"])[0], pd.factorize(rated["clip_id"])[0]
    ones, is_ai = np.ones(len(rated)), rated["is_ai"].to_numpy()
    X, y = np.column_stack([ones, is_ai]), rated["moved"].to_numpy()
    factors = [
        RandomFactor("participant", participants, np.column_stack([ones, is_ai]), ("(Intercept)", "is_ai")),
        RandomFactor("clip", clips, ones[:, None], ("(Intercept)",)),
    ]
    fit = fit_gaussian(y, X, ["(Intercept)", "is_ai"], factors)
    rated[["participant_id", "clip_id", "is_ai", "moved"]].to_csv(tmp_path / "ratings.csv", index=False)
    subprocess.run(["Rscript", "-e", LMER_TEST], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    reference = pd.read_csv(tmp_path / "lmertest.csv", index_col=0)
    assert fit.fixed == pytest.approx(reference["Estimate"].to_numpy(), abs=1e-4)
    assert fit.fixed_se == pytest.approx(reference["Std. Error"].to_numpy(), rel=1e-3)
    ours = [satterthwaite_df(y, X, factors, fit, term) for term in ("(Intercept)", "is_ai")]
    assert ours == pytest.approx(reference["df"].to_numpy(), rel=0.01)
    assert ours[1] < len(np.unique(clips)) + 30  # between the clip- and participant-level counts, not n - 2
