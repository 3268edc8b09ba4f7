"""The ordinal emotion model (:mod:`results.mixed.ordinal`, :mod:`results.statistics.emotion_ordinal`) agrees with
``ordinal::clmm`` (Debian ``r-cran-ordinal``) on a fixed simulated data set, and says why when it cannot be fitted.

Both fit ``moved ~ is_ai + (1 | participant) + (1 | clip)`` with clmm's defaults (logit link, flexible
thresholds, Laplace approximation). Skipped locally without R and ordinal, a failure under ``CI=true``.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest

from results.analysis import Analysis, Failure
from results.mixed.ordinal import fit_cumulative_logit
from results.mixed.terms import ModelFitError, RandomFactor
from results.planning.simulate import simulate_study
from results.statistics.emotion import rated_trials
from results.statistics.emotion_ordinal import (
    SENSITIVITY_LABEL,
    OrdinalEmotionModel,
    emotion_analysis_table,
    emotion_ordinal_model,
    expected_rating_difference,
    probability_higher,
)
from tests.conftest import require_or_skip
from tests.r_packages import r_package_available

CLMM = """
suppressPackageStartupMessages(library(ordinal))
d <- read.csv("ratings.csv")
d$moved <- factor(d$moved, ordered = TRUE)
d$participant_id <- factor(d$participant_id); d$clip_id <- factor(d$clip_id)
m <- clmm(moved ~ is_ai + (1 | participant_id) + (1 | clip_id), data = d)
co <- coef(summary(m))
sds <- sapply(VarCorr(m), function(v) sqrt(v[1, 1]))
out <- data.frame(term = c(rownames(co), paste("sd", names(sds))), estimate = c(co[, 1], sds),
                  se = c(co[, 2], rep(NA, length(sds))))
write.csv(rbind(out, data.frame(term = "deviance", estimate = -2 * as.numeric(logLik(m)), se = NA)),
          "clmm.csv", row.names = FALSE)
"""


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    """AI clips move listeners 0.6 points more on a 9-point scale; 40 participants x 12 trials, 24 clips."""
    return simulate_study(40, 12, d_prime=1.0, n_clips=24, label_effects={}, source_effects={"moved": 0.6}, seed=11)


@pytest.fixture(scope="module")
def clmm(study, tmp_path_factory) -> pd.DataFrame:
    require_or_skip(r_package_available("ordinal"), "Rscript with ordinal (r-cran-ordinal)")
    trials, _ = rated_trials(study, ("moved",))
    rated = trials[trials["moved"].notna()].assign(is_ai=lambda t: t["is_ai"].to_numpy() - 0.5)
    folder = tmp_path_factory.mktemp("clmm")
    rated[["participant_id", "clip_id", "is_ai", "moved"]].to_csv(folder / "ratings.csv", index=False)
    subprocess.run(["Rscript", "-e", CLMM], cwd=folder, check=True, capture_output=True, timeout=600)
    return pd.read_csv(folder / "clmm.csv").set_index("term")


def test_thresholds_effect_and_standard_errors_agree_with_clmm_within_2_percent(study, clmm):
    model = emotion_ordinal_model(study, "moved")
    thresholds = pd.DataFrame(model.thresholds).set_index("term")
    assert list(thresholds.index) == [t for t in clmm.index if "|" in t]
    assert thresholds["estimate"].to_numpy() == pytest.approx(
        clmm.loc[thresholds.index, "estimate"].to_numpy(), rel=0.02
    )
    assert thresholds["se"].to_numpy() == pytest.approx(clmm.loc[thresholds.index, "se"].to_numpy(), rel=0.02)
    assert model.effect["estimate"] == pytest.approx(clmm.loc["is_ai", "estimate"], rel=0.02)
    assert model.effect["se"] == pytest.approx(clmm.loc["is_ai", "se"], rel=0.02)
    sds = {c["group"]: c["sd"] for c in model.variance_components}
    assert sds["participant"] == pytest.approx(clmm.loc["sd participant_id", "estimate"], rel=0.05)
    assert sds["clip"] == pytest.approx(clmm.loc["sd clip_id", "estimate"], rel=0.05)
    assert model.deviance == pytest.approx(clmm.loc["deviance", "estimate"], abs=0.01)


def test_the_simulated_source_effect_is_found_in_every_form(study):
    model = emotion_ordinal_model(study, "moved")
    assert model.effect["p_value"] < 0.05 and model.effect["ci_low"] > 0
    assert model.df == model.n_clips - 2 == 22
    points, higher = model.rating_points, model.probability_higher
    assert 0 < points.ci_low < points.estimate < points.ci_high
    assert 0.5 < higher.ci_low < higher.estimate < higher.ci_high < 1
    # Valence does not depend on the source here: its interval holds 0.
    valence = emotion_ordinal_model(study, "valence").effect
    assert valence["ci_low"] < 0 < valence["ci_high"]


def test_readable_forms_are_neutral_at_zero_and_increase_with_the_effect(study):
    trials, _ = rated_trials(study, ("moved",))
    rated = trials[trials["moved"].notna()]
    ones = np.ones((len(rated), 1))
    factors = [
        RandomFactor("participant", pd.factorize(rated["participant_id"])[0], ones, ("(Intercept)",)),
        RandomFactor("clip", pd.factorize(rated["clip_id"])[0], ones, ("(Intercept)",)),
    ]
    fit = fit_cumulative_logit(rated["moved"].to_numpy(), rated[["is_ai"]].to_numpy(float) - 0.5, ["is_ai"], factors)
    assert expected_rating_difference(fit, 0.0) == pytest.approx(0.0, abs=1e-12)
    assert probability_higher(fit, 0.0) == pytest.approx(0.5, abs=1e-12)
    effects = np.linspace(-2, 2, 9)
    assert np.all(np.diff([expected_rating_difference(fit, b) for b in effects]) > 0)
    assert np.all(np.diff([probability_higher(fit, b) for b in effects]) > 0)


def test_a_model_that_cannot_be_fitted_is_a_failure_with_its_reason(study):
    human_only = study[~study["is_ai"].astype(bool)]
    with pytest.raises(ModelFitError, match="only one value"):
        emotion_ordinal_model(human_only, "moved")
    same_rating = study.assign(moved=5.0)
    with pytest.raises(ModelFitError, match="at least two categories"):
        emotion_ordinal_model(same_rating, "moved")
    failure = Analysis.of_trials(human_only).emotion_ordinal_model("moved")
    assert isinstance(failure, Failure) and "only one value" in failure.reason


def test_the_analysis_table_reports_the_ordinal_effect_with_the_linear_model_as_its_sensitivity_check(study):
    analysis = Analysis.of_trials(study)
    table = analysis.emotion_analysis.set_index("scale")
    assert list(table.index) == analysis.scales
    moved = table.loc["moved"]
    ordinal = analysis.emotion_ordinal_model("moved")
    assert isinstance(ordinal, OrdinalEmotionModel)
    assert moved["p_value"] == ordinal.effect["p_value"]
    assert moved["p_value"] <= moved["p_holm"] <= 1
    assert moved["linear_ci_low"] > 0  # the linear model, in scale points, agrees here
    assert moved["failure"] == ""
    assert "linear" in SENSITIVITY_LABEL and "sensitivity" in SENSITIVITY_LABEL
    failed = emotion_analysis_table({"moved": Failure("no ratings")}, {"moved": Failure("no ratings either")})
    assert failed.loc[0, "failure"] == "ordinal model: no ratings; linear model: no ratings either"
    assert np.isnan(failed.loc[0, "p_value"])
