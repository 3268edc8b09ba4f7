"""The terms of a mixed model: random factors, variance components, and the checks a fixed design must pass.

The ground of the mixed-model library (:mod:`results.mixed`): the algebra and both families read these
types, and every fit first checks that its fixed effects are identified (:func:`check_identified`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from core.numerics import collinear_columns


class ModelFitError(ValueError):
    """A mixed model cannot be fitted to these data; the message says why, for the researcher."""


class VarianceComponent(TypedDict):
    """The standard deviation of one random term (a row of the variance-components table)."""

    group: str
    term: str
    sd: float


@dataclass(frozen=True)
class RandomFactor:
    """The random terms of one grouping factor.

    Attributes
    ----------
    group : str
        Name of the grouping factor (e.g. "participant").
    codes : ndarray of int, shape (n,)
        Level of each observation, 0 .. n_levels - 1.
    values : ndarray of float, shape (n, m)
        Value of each random term per observation (a column of ones for a random intercept,
        the predictor for a random slope).
    terms : tuple of str, length m
        Names of the terms, e.g. ("(Intercept)", "is_ai").
    """

    group: str
    codes: np.ndarray
    values: np.ndarray
    terms: tuple[str, ...]

    @property
    def n_levels(self) -> int:
        return int(self.codes.max()) + 1 if self.codes.size else 0

    @property
    def n_columns(self) -> int:
        return self.n_levels * len(self.terms)


def check_identified(X: np.ndarray, fixed_names: list[str]) -> None:
    """Refuse a fixed-effects design without full column rank, before any fit.

    Decided by a pivoted QR with a stated tolerance (:func:`core.numerics.collinear_columns`), not by
    waiting for numpy's ``LinAlgError``, which some BLAS builds never raise for a duplicated column.

    Raises
    ------
    ModelFitError
        Naming the columns that are linear combinations of the others.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(fixed_names):
        raise ValueError(f"X has shape {X.shape} but {len(fixed_names)} fixed-effect names were given")
    dropped = collinear_columns(X, fixed_names)
    if dropped:
        raise ModelFitError(
            f"the fixed effects are not identified: {', '.join(map(repr, dropped))} "
            f"{'is a linear combination' if len(dropped) == 1 else 'are linear combinations'} of the others "
            f"(rank {X.shape[1] - len(dropped)} of {X.shape[1]} columns)"
        )
