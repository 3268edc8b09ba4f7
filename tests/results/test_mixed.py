"""The crossed-random-effects fits reproduce lme4's published results and statsmodels' MixedLM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from results.mixed.binomial import fit_binomial
from results.mixed.gaussian import fit_gaussian
from results.mixed.terms import ModelFitError, RandomFactor

# lme4's Penicillin data (Davies & Goldsmith 1972): inhibition-zone diameter of 6 penicillin
# samples on each of 24 plates; rows are plates a..x, columns samples A..F.
PENICILLIN = """
27 23 26 23 23 21 / 27 23 26 23 23 21 / 25 21 25 24 24 20 / 26 23 25 23 23 20 / 25 22 26 22 23 20
24 22 25 23 22 19 / 24 20 23 21 22 19 / 26 22 26 24 24 21 / 24 21 24 22 22 20 / 24 21 24 23 22 19
26 23 26 24 24 21 / 25 22 26 24 24 20 / 26 24 26 24 25 22 / 26 23 26 23 23 20 / 26 23 25 24 24 22
25 22 25 23 23 20 / 25 21 24 23 23 20 / 25 22 24 23 23 19 / 24 21 23 21 21 19 / 26 23 26 24 24 21
25 21 24 22 22 18 / 25 22 25 22 22 20 / 24 21 24 22 24 19 / 24 21 24 22 21 18
"""

# lme4's cbpp data (Lesnoff et al. 2004): herd, new cases, herd size, period.
CBPP = [
    (1, 2, 14, 1),
    (1, 3, 12, 2),
    (1, 4, 9, 3),
    (1, 0, 5, 4),
    (2, 3, 22, 1),
    (2, 1, 18, 2),
    (2, 1, 21, 3),
    (3, 8, 22, 1),
    (3, 2, 16, 2),
    (3, 0, 16, 3),
    (3, 2, 20, 4),
    (4, 2, 10, 1),
    (4, 0, 10, 2),
    (4, 2, 9, 3),
    (4, 0, 6, 4),
    (5, 5, 18, 1),
    (5, 0, 25, 2),
    (5, 0, 24, 3),
    (5, 1, 4, 4),
    (6, 3, 17, 1),
    (6, 0, 17, 2),
    (6, 0, 18, 3),
    (6, 1, 20, 4),
    (7, 8, 16, 1),
    (7, 1, 10, 2),
    (7, 3, 9, 3),
    (7, 0, 5, 4),
    (8, 12, 34, 1),
    (9, 2, 9, 1),
    (9, 0, 6, 2),
    (9, 0, 8, 3),
    (9, 0, 6, 4),
    (10, 1, 22, 1),
    (10, 1, 22, 2),
    (10, 0, 18, 3),
    (10, 2, 22, 4),
    (11, 0, 25, 1),
    (11, 5, 27, 2),
    (11, 3, 22, 3),
    (11, 1, 22, 4),
    (12, 2, 10, 1),
    (12, 1, 8, 2),
    (12, 0, 6, 3),
    (12, 0, 5, 4),
    (13, 1, 21, 1),
    (13, 2, 24, 2),
    (13, 0, 19, 3),
    (13, 0, 23, 4),
    (14, 11, 19, 1),
    (14, 0, 2, 2),
    (14, 0, 3, 3),
    (14, 0, 2, 4),
    (15, 1, 19, 1),
    (15, 1, 15, 2),
    (15, 1, 15, 3),
    (15, 0, 15, 4),
]


def intercept_factor(group: str, codes: np.ndarray) -> RandomFactor:
    return RandomFactor(group, codes, np.ones((codes.size, 1)), ("(Intercept)",))


def test_crossed_lmm_reproduces_lme4_penicillin():
    """lmer(diameter ~ 1 + (1|plate) + (1|sample), Penicillin): REML criterion 330.86,
    plate SD 0.8467, sample SD 1.9316, residual SD 0.5499, intercept 22.9722 (SE 0.8086)."""
    diameters = np.array([float(v) for v in PENICILLIN.replace("/", " ").split()])
    plate, sample = np.repeat(np.arange(24), 6), np.tile(np.arange(6), 24)
    fit = fit_gaussian(
        diameters,
        np.ones((144, 1)),
        ["(Intercept)"],
        [intercept_factor("plate", plate), intercept_factor("sample", sample)],
    )
    sds = {entry["group"]: entry["sd"] for entry in fit.random_sd}
    assert fit.deviance == pytest.approx(330.8606, abs=1e-3)
    assert sds["plate"] == pytest.approx(0.8467, abs=1e-4)
    assert sds["sample"] == pytest.approx(1.9316, abs=2e-4)
    assert sds["residual"] == pytest.approx(0.5499, abs=1e-4)
    assert fit.fixed[0] == pytest.approx(22.9722, abs=1e-4)
    assert fit.fixed_se[0] == pytest.approx(0.8086, abs=1e-4)
    # Results come back in the order the factors were given, whichever is eliminated first.
    swapped = fit_gaussian(
        diameters,
        np.ones((144, 1)),
        ["(Intercept)"],
        [intercept_factor("sample", sample), intercept_factor("plate", plate)],
    )
    assert [entry["group"] for entry in swapped.random_sd] == ["sample", "plate", "residual"]
    assert swapped.random_sd[0]["sd"] == pytest.approx(sds["sample"], rel=1e-6)


def test_binomial_glmm_reproduces_lme4_cbpp():
    """glmer(cbind(incidence, size - incidence) ~ period + (1|herd), binomial, cbpp), Laplace:
    intercept -1.3983 (SE 0.2312), period2 -0.9919 (0.3032), period3 -1.1282 (0.3228),
    period4 -1.5797 (0.4220), herd SD 0.6421. Grouped counts are expanded to 0/1 rows, which
    leaves the likelihood unchanged.

    Estimates agree to about 5e-4 (the deviance is flat there: both optimisers stop within
    1e-6 of the minimum). lme4 takes its Hessian by a coarse finite difference; ours uses
    statsmodels' ``approx_hess3`` and gives standard errors within 1.5 %.
    """
    rows = []
    for herd, cases, size, period in CBPP:
        rows += [(herd - 1, 1, period)] * cases + [(herd - 1, 0, period)] * (size - cases)
    data = np.array(rows)
    X = np.column_stack([np.ones(len(data))] + [(data[:, 2] == k).astype(float) for k in (2, 3, 4)])
    fit = fit_binomial(
        data[:, 1],
        X,
        ["(Intercept)", "period2", "period3", "period4"],
        [intercept_factor("herd", data[:, 0])],
        link="logit",
    )
    assert fit.converged
    assert fit.fixed == pytest.approx([-1.3983, -0.9919, -1.1282, -1.5797], abs=1e-3)
    assert fit.random_sd[0]["sd"] == pytest.approx(0.6421, abs=1e-3)
    assert fit.fixed_se == pytest.approx([0.2312, 0.3032, 0.3228, 0.4220], rel=0.015)


def test_crossed_lmm_matches_statsmodels_mixedlm():
    """statsmodels fits crossed effects as variance components within one group; on a study
    small enough for that, both fits agree."""
    rng = np.random.default_rng(4)
    participants, clips = 25, 16
    p_grid, c_grid = np.meshgrid(np.arange(participants), np.arange(clips), indexing="ij")
    p, c = p_grid.ravel(), c_grid.ravel()
    keep = rng.random(p.size) < 0.8  # unbalanced, as real data are
    p, c = p[keep], c[keep]
    x = rng.normal(size=p.size)
    y = 2 + 0.5 * x + rng.normal(0, 0.8, participants)[p] + rng.normal(0, 0.5, clips)[c] + rng.normal(0, 1, p.size)
    frame = pd.DataFrame({"y": y, "x": x, "p": p, "c": c, "one": 1})
    reference = smf.mixedlm("y ~ x", frame, groups="one", vc_formula={"p": "0 + C(p)", "c": "0 + C(c)"}).fit(reml=True)
    fit = fit_gaussian(
        y,
        np.column_stack([np.ones_like(x), x]),
        ["(Intercept)", "x"],
        [intercept_factor("participant", p), intercept_factor("clip", c)],
    )
    assert fit.fixed == pytest.approx(reference.fe_params.to_numpy(), abs=1e-4)
    assert fit.fixed_se == pytest.approx(reference.bse_fe.to_numpy(), rel=2e-3)
    sds = {entry["group"]: entry["sd"] for entry in fit.random_sd}
    variance = dict(zip(reference.model.exog_vc.names, reference.vcomp))
    assert sds["participant"] ** 2 == pytest.approx(variance["p"], rel=2e-3)
    assert sds["clip"] ** 2 == pytest.approx(variance["c"], rel=2e-3)
    assert sds["residual"] ** 2 == pytest.approx(reference.scale, rel=1e-3)


def test_probit_glmm_recovers_simulated_signal_detection_parameters():
    """Listeners with d' = 1.2 and c = -0.3 whose clips shift the evidence by N(0, 0.6)."""
    rng = np.random.default_rng(12)
    participants, clips = 120, 50
    p_grid, c_grid = np.meshgrid(np.arange(participants), np.arange(clips), indexing="ij")
    p, c = p_grid.ravel(), c_grid.ravel()
    is_ai = (c % 2 == 1).astype(float) - 0.5
    evidence = 1.2 * is_ai + rng.normal(0, 0.6, clips)[c] + rng.normal(size=p.size)
    y = (evidence > -0.3).astype(float)
    fit = fit_binomial(
        y,
        np.column_stack([np.ones_like(is_ai), is_ai]),
        ["(Intercept)", "is_ai"],
        [intercept_factor("participant", p), intercept_factor("clip", c)],
        link="probit",
    )
    estimate, se = fit.fixed[1], fit.fixed_se[1]
    assert abs(estimate - 1.2) < 2.5 * se
    assert abs(fit.fixed[0] - 0.3) < 2.5 * fit.fixed_se[0]  # intercept = -c
    sds = {entry["group"]: entry["sd"] for entry in fit.random_sd}
    assert sds["clip"] == pytest.approx(0.6, abs=0.2)
    assert sds["participant"] < 0.15  # criteria did not vary


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="0 or 1"):
        fit_binomial(
            np.array([0, 1, 2.0]), np.ones((3, 1)), ["(Intercept)"], [intercept_factor("g", np.array([0, 1, 1]))]
        )
    with pytest.raises(ValueError, match="link"):
        fit_binomial(
            np.array([0, 1, 1.0]),
            np.ones((3, 1)),
            ["(Intercept)"],
            [intercept_factor("g", np.array([0, 1, 1]))],
            link="cloglog",
        )
    with pytest.raises(ValueError, match="random factor"):
        fit_gaussian(np.ones(3), np.ones((3, 1)), ["(Intercept)"], [])


def test_an_unidentified_fixed_effect_is_a_fit_error_the_fallback_can_handle():
    # A breakdown level answered all one way (or a duplicated column) leaves the fixed effects
    # without finite standard errors; that used to escape as numpy's LinAlgError and crash the
    # Overview instead of letting fit_with_fallback try the next structure.
    rng = np.random.default_rng(0)
    n = 400
    x = rng.integers(0, 2, n).astype(float)
    X = np.column_stack([np.ones(n), x, x])
    y = (rng.random(n) < 0.5).astype(float)
    factor = RandomFactor("participant", rng.integers(0, 20, n), np.ones((n, 1)), ("(Intercept)",))
    with pytest.raises(ModelFitError):
        fit_binomial(y, X, ["(Intercept)", "a", "b"], [factor])
