"""The detection GLMM agrees with lme4 itself, fitted by ``results/analysis.R`` on the exported CSV; the
emotion LMM reaches the conclusions of the ordinal model (``ordinal::clmm``) fitted by the same script.

Needs ``Rscript`` with lme4 and ordinal (Debian ``r-base-core r-cran-lme4 r-cran-ordinal``): skipped
locally without them, a failure under ``CI=true`` (``.ci/run`` installs them).

Tolerances. With ``information="expected"`` (Fisher weights in the Laplace determinant, as
lme4) the algorithm is lme4's: fixed effects agree within 0.01 probit units, random SDs within
0.02 and standard errors within 10 % (lme4 takes its Hessian by a coarse finite difference and
its optimisers stop on a flat likelihood: its three optimisers differ among themselves in the
4th decimal). The app's default uses the observed information (the Laplace approximation proper);
for the probit link its estimates then differ from lme4's by up to 0.03 in the fixed effects and
0.05 in the random SDs, and its SEs by up to 10 %.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from results.mixed.binomial import fit_binomial
from results.planning.simulate import simulate_study
from results.rendering.export import table_to_csv
from results.statistics import models
from results.statistics.detection import main_trials
from results.statistics.models import detection_design, detection_mixed_model
from tests.conftest import require_or_skip
from tests.r_packages import r_package_available

SCRIPT = Path(__file__).resolve().parents[2] / "results" / "analysis.R"


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    require_or_skip(r_package_available("lme4"), "Rscript with lme4 (r-base-core, r-cran-lme4)")
    rng = np.random.default_rng(3)
    study = simulate_study(
        80, 16, d_prime=rng.normal(1.0, 0.5, 80), criterion=rng.normal(0.2, 0.4, 80), n_clips=30, cue_weight=0.7, seed=3
    )
    folder = tmp_path_factory.mktemp("lme4")
    (folder / "trials.csv").write_bytes(table_to_csv(study))
    subprocess.run(
        ["Rscript", str(SCRIPT), "trials.csv", "estimates.csv"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=900,
        env={**os.environ, "HUMAN_TOUCH_DETECTION_ONLY": "1"},
    )
    lme4 = pd.read_csv(folder / "estimates.csv").set_index("term")
    y, X, names, structures = detection_design(main_trials(study))
    expected = fit_binomial(y, X, names, structures[0][1], information="expected")
    return lme4, expected, detection_mixed_model(study)


def _sds(components) -> list[float]:
    return [c["sd"] for c in components]


LME4_SD_ROWS = ["sd participant_id (Intercept)", "sd participant_id.1 is_ai", "sd clip_id (Intercept)"]


def test_lme4_algorithm_reproduces_glmer(fits):
    lme4, expected, _ = fits
    assert expected.fixed == pytest.approx(lme4.loc[["(Intercept)", "is_ai"], "estimate"].to_numpy(), abs=0.01)
    assert expected.fixed_se == pytest.approx(lme4.loc[["(Intercept)", "is_ai"], "se"].to_numpy(), rel=0.10)
    assert _sds(expected.random_sd) == pytest.approx(lme4.loc[LME4_SD_ROWS, "estimate"].to_numpy(), abs=0.02)


def test_app_default_agrees_with_glmer_within_the_stated_tolerance(fits):
    lme4, _, model = fits
    assert model.d_prime.estimate == pytest.approx(lme4.loc["is_ai", "estimate"], abs=0.03)
    assert -model.criterion.estimate == pytest.approx(lme4.loc["(Intercept)", "estimate"], abs=0.03)
    assert model.d_prime.se == pytest.approx(lme4.loc["is_ai", "se"], rel=0.10)
    assert model.criterion.se == pytest.approx(lme4.loc["(Intercept)", "se"], rel=0.10)
    assert _sds(model.variance_components) == pytest.approx(lme4.loc[LME4_SD_ROWS, "estimate"].to_numpy(), abs=0.05)
    # The likelihood-ratio statistic for d' = 0 (lme4: anova of the nested fits, chi-square).
    assert model.d_prime.lr_statistic == pytest.approx(lme4.loc["is_ai", "lr_statistic"], rel=0.10)


# --- Emotion: the app's linear mixed model against the ordinal (cumulative link) mixed model ------------------


EMOTION_SCALES = ("moved", "valence")


@pytest.fixture(scope="module")
def emotion_fits(tmp_path_factory):
    """AI clips move listeners 0.8 points more; valence does not depend on the source (no guess effects)."""
    require_or_skip(
        r_package_available("lme4", "ordinal"), "Rscript with lme4 and ordinal (r-cran-lme4, r-cran-ordinal)"
    )
    study = simulate_study(60, 16, d_prime=1.0, n_clips=30, label_effects={}, source_effects={"moved": 0.8}, seed=5)
    folder = tmp_path_factory.mktemp("clmm")
    (folder / "trials.csv").write_bytes(table_to_csv(study))
    subprocess.run(
        ["Rscript", str(SCRIPT), "trials.csv", "estimates.csv"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=900,
        env={**os.environ, "HUMAN_TOUCH_EMOTION_ONLY": "1", "HUMAN_TOUCH_SCALES": ",".join(EMOTION_SCALES)},
    )
    clmm = pd.read_csv(folder / "estimates.csv").set_index("model")
    return clmm, {scale: models.emotion_mixed_model(study, scale) for scale in EMOTION_SCALES}


@pytest.mark.parametrize("scale", EMOTION_SCALES)
def test_linear_mixed_model_of_ratings_reaches_the_ordinal_models_conclusion(emotion_fits, scale):
    """Ratings are ordinal: the LMM's true-source effect has the CLMM's sign and the same 5 % decision.

    The CLMM's coefficient is on the latent (logit) scale and the LMM's in scale points, so only the
    direction and the significance are comparable.
    """
    clmm, lmm = emotion_fits
    ordinal = clmm.loc[f"emotion_clmm {scale}"]
    linear = next(row for row in lmm[scale].fixed_effects if row["term"] == "is_ai")
    assert (linear["p_value"] < 0.05) == (ordinal["p_value_chisq"] < 0.05), (linear, ordinal.to_dict())
    if ordinal["p_value_chisq"] < 0.05:
        assert np.sign(linear["estimate"]) == np.sign(ordinal["estimate"])
    if scale == "moved":  # the simulated effect is there, and both find it
        assert linear["p_value"] < 0.05 and linear["estimate"] > 0
