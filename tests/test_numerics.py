"""Rank deficiency, separation and unusable standard errors are decided explicitly, whatever the BLAS.

On scipy-openblas 0.3.31 a design with a duplicated column factorised without ``LinAlgError``, so a
GLMM breakdown with an unidentified column returned numbers on one machine and fell back on another.
These tests pin the decision to the checks in :mod:`core.numerics`, and one of them reruns the file
under both OpenBLAS threading settings (the reductions differ in rounding between them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.numerics import collinear_columns, separating_columns, unusable_standard_errors
from results.mixed.binomial import fit_binomial
from results.mixed.gaussian import fit_gaussian
from results.mixed.terms import ModelFitError, RandomFactor
from results.planning.simulate import simulate_study
from results.statistics.breakdown_model import breakdown_model

NAMES = ["(Intercept)", "a", "b"]


def _design(kind: str, n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, RandomFactor]:
    """A binary response, a three-column design of the given ``kind``, and a participant factor."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n).astype(float)
    third = {
        "duplicated": x,
        "near-collinear": x + 1e-9 * rng.normal(size=n),
        "sum": 1.0 - x,  # intercept = a + b
        "independent": rng.normal(size=n),
    }[kind]
    y = (rng.random(n) < 0.5).astype(float)
    factor = RandomFactor("participant", rng.integers(0, 20, n), np.ones((n, 1)), ("(Intercept)",))
    return y, np.column_stack([np.ones(n), x, third]), factor


@pytest.mark.parametrize("kind", ["duplicated", "near-collinear", "sum"])
def test_a_rank_deficient_design_is_named_and_refused_by_both_families(kind):
    y, X, factor = _design(kind)
    dropped = collinear_columns(X, NAMES)
    assert len(dropped) == 1 and dropped[0] in NAMES
    with pytest.raises(ModelFitError, match="not identified.*rank 2 of 3"):
        fit_binomial(y, X, NAMES, [factor])
    with pytest.raises(ModelFitError, match="not identified"):
        fit_gaussian(y + np.random.default_rng(1).normal(size=y.size), X, NAMES, [factor])


def test_a_full_rank_design_is_fitted():
    y, X, factor = _design("independent")
    assert collinear_columns(X, NAMES) == []
    fit = fit_binomial(y, X, NAMES, [factor])
    assert np.isfinite(fit.fixed_se).all() and fit.separated == ()


def test_an_all_zero_column_is_collinear_whatever_its_position():
    X = np.column_stack([np.zeros(10), np.ones(10), np.arange(10.0)])
    assert collinear_columns(X, ["z", "one", "t"]) == ["z"]


def test_separation_names_the_level_answered_all_one_way():
    rng = np.random.default_rng(2)
    n = 300
    level = rng.integers(0, 3, n)
    X = np.column_stack([np.ones(n), level == 1, level == 2]).astype(float)
    y = (rng.random(n) < 0.5).astype(float)
    assert separating_columns(y, X, ["(Intercept)", "one", "two"]) == []
    y[level == 2] = 1.0
    assert separating_columns(y, X, ["(Intercept)", "one", "two"]) == ["two"]
    factor = RandomFactor("participant", rng.integers(0, 15, n), np.ones((n, 1)), ("(Intercept)",))
    assert fit_binomial(y, X, ["(Intercept)", "one", "two"], [factor]).separated == ("two",)


def test_a_breakdown_level_answered_all_one_way_falls_back_with_a_message():
    study = simulate_study(40, 12, d_prime=1.0, n_clips=24, seed=5)
    main = study["trial_kind"] == "main" if "trial_kind" in study else np.ones(len(study), dtype=bool)
    study["training_years"] = np.where(study["participant_id"] % 2 == 0, "none", "10+")
    breakdown_model(study, "training_years")  # fits: both levels answered both ways
    study.loc[main & (study["training_years"] == "10+"), "guessed_ai"] = True
    with pytest.raises(ModelFitError, match="perfectly separated within .*10\\+"):
        breakdown_model(study, "training_years")


def test_unusable_standard_errors_are_named():
    assert unusable_standard_errors(np.diag([1.0, 2.0]), ["a", "b"]) == []
    assert unusable_standard_errors(np.diag([1.0, 0.0]), ["a", "b"]) == ["b"]
    assert unusable_standard_errors(np.array([[1.0, np.inf], [np.inf, 1.0]]), ["a", "b"]) == ["a", "b"]
    assert unusable_standard_errors(np.diag([np.nan, 1.0]), ["a", "b"]) == ["a"]


@pytest.mark.parametrize("threads", ["1", "2"])
def test_the_decisions_hold_with_either_openblas_threading(threads):
    # OpenBLAS reads its thread count when it loads, so each setting needs its own interpreter.
    if os.environ.get("HUMAN_TOUCH_NUMERICS_CHILD"):
        pytest.skip("already the child run")
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, HUMAN_TOUCH_NUMERICS_CHILD="1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not openblas_threading", __file__],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
