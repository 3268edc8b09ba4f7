"""The paired (2AFC) GLMM agrees with lme4's ``glmer`` fitting the same model on the same data.

``correct ~ ai_first + (1 | participant) + (1 | ai_clip) + (1 | human_clip)``, probit link, ``ai_first``
centred (+-0.5), on a fixed simulated study with random pairing (pairs share clips). Needs ``Rscript``
with lme4 (Debian ``r-base-core r-cran-lme4``): skipped locally without it, a failure under ``CI=true``.

Tolerances as in ``test_lme4_crosscheck.py`` for the app's default fit (observed information in the
Laplace approximation, where lme4 uses the expected one): fixed effects within 0.03 probit units,
random SDs within 0.05, standard errors and the likelihood-ratio statistic within 10 %.
"""

from __future__ import annotations

import math
import subprocess

import pandas as pd
import pytest

from results.mixed.inference import deviance_excess, fit_with_fallback
from results.planning.paired_simulate import simulate_paired_study
from results.statistics.paired_detection import pair_choices, paired_design, paired_detection
from tests.conftest import require_or_skip
from tests.r_packages import r_package_available

GLMER = """
library(lme4)
d <- read.csv("pairs.csv")
d$participant <- factor(d$participant); d$ai_clip <- factor(d$ai_clip); d$human_clip <- factor(d$human_clip)
f <- correct ~ ai_first + (1 | participant) + (1 | ai_clip) + (1 | human_clip)
m <- glmer(f, data = d, family = binomial("probit"), control = glmerControl(optimizer = "bobyqa"))
m0 <- glmer(update(f, . ~ . - 1), data = d, family = binomial("probit"), control = glmerControl(optimizer = "bobyqa"))
sds <- as.data.frame(VarCorr(m))
out <- data.frame(
  term = c(names(fixef(m)), paste("sd", sds$grp), "lr_statistic"),
  estimate = c(fixef(m), sds$sdcor, as.numeric(2 * (logLik(m) - logLik(m0)))),
  se = c(sqrt(diag(as.matrix(vcov(m)))), rep(NA, nrow(sds) + 1))
)
write.csv(out, "estimates.csv", row.names = FALSE)
"""


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    require_or_skip(r_package_available("lme4"), "Rscript with lme4 (r-base-core, r-cran-lme4)")
    table = simulate_paired_study(60, 8, d_prime=0.8, clip_sd=0.8, n_clips=24, pairing="random", seed=11)
    pairs = pair_choices(table)
    folder = tmp_path_factory.mktemp("paired_lme4")
    pd.DataFrame(
        {
            "participant": pairs["participant_id"],
            "ai_clip": pairs["ai"],
            "human_clip": pairs["human"],
            "ai_first": pairs["ai_first"].astype(float) - 0.5,
            "correct": pairs["correct"].astype(int),
        }
    ).to_csv(folder / "pairs.csv", index=False)
    (folder / "glmer.R").write_text(GLMER)
    subprocess.run(["Rscript", "glmer.R"], cwd=folder, check=True, capture_output=True, timeout=600)
    lme4 = pd.read_csv(folder / "estimates.csv").set_index("term")
    y, X, names, structures = paired_design(pairs)
    return lme4, (y, X, names), fit_with_fallback(y, X, names, structures[:1]), paired_detection(table)


def test_the_paired_glmm_agrees_with_glmer(fits):
    lme4, _, structure, _ = fits
    fit = structure.fit
    assert fit.fixed == pytest.approx(lme4.loc[["(Intercept)", "ai_first"], "estimate"].to_numpy(), abs=0.03)
    assert fit.fixed_se == pytest.approx(lme4.loc[["(Intercept)", "ai_first"], "se"].to_numpy(), rel=0.10)
    sds = {c["group"]: c["sd"] for c in fit.random_sd}
    for group in ("participant", "ai_clip", "human_clip"):
        assert sds[group] == pytest.approx(lme4.loc[f"sd {group}", "estimate"], abs=0.05)


def test_the_paired_dprime_and_its_likelihood_ratio_are_lme4s(fits):
    lme4, (y, X, names), structure, result = fits
    assert result.not_estimable == "" and not result.fixed_pairs
    assert result.dprime == pytest.approx(math.sqrt(2) * lme4.loc["(Intercept)", "estimate"], abs=0.03 * math.sqrt(2))
    lr = deviance_excess(y, X, names, structure, "(Intercept)", 0.0)
    assert lr == pytest.approx(lme4.loc["lr_statistic", "estimate"], rel=0.10)
