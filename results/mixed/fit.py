"""A fitted mixed model (:class:`MixedFit`) and what every fit shares: its bounds, single-threaded BLAS,
and the check of its standard errors."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from core.numerics import unusable_standard_errors
from results.mixed.terms import ModelFitError, VarianceComponent

THETA_MAX = 10.0
"""Upper bound of every relative random-effect SD (probit units for the binomial family): a random SD of
10 means answers are fixed per participant or clip, so nothing beyond is distinguishable, and an unbounded
optimiser that wanders there meets singular matrices."""
SINGULAR_SD = 1e-4
"""A random SD below this counts as estimated at zero (a singular fit, lme4's ``isSingular``)."""


@dataclass
class MixedFit:
    """A fitted mixed model.

    Attributes
    ----------
    fixed_names : list of str
    fixed : ndarray, shape (p,)
        Fixed-effect estimates.
    fixed_cov : ndarray, shape (p, p)
        Their covariance, conditional on the estimated variance components (as lme4 reports).
    random_sd : list of VarianceComponent
        ``group, term, sd`` per random term in the order the factors were given, on the scale
        of the linear predictor (for the Gaussian family followed by ``residual``).
    n_obs : int
    n_levels : dict of str to int
    deviance : float
        ML deviance (-2 log-likelihood; Laplace approximation for the binomial family) or the
        REML criterion.
    converged : bool
    message : str
        The optimiser's message.
    """

    fixed_names: list[str]
    fixed: np.ndarray
    fixed_cov: np.ndarray
    random_sd: list[VarianceComponent]
    n_obs: int
    n_levels: dict[str, int]
    deviance: float
    converged: bool
    message: str = ""
    singular: bool = False
    restarts: int = 0
    optimum: np.ndarray | None = None
    """The optimiser's solution (variance parameters in elimination order, then the fixed effects): a warm
    start for neighbouring fits."""
    link: str = "identity"
    """The link of the linear predictor: "probit" or "logit" (binomial), "identity" (Gaussian). Profiles and
    likelihood-ratio tests refit with this link, never a default."""
    separated: tuple[str, ...] = ()
    """Fixed effects along which the binary answers are (quasi-)completely separated
    (:func:`core.numerics.separating_columns`): their maximum-likelihood estimates are infinite, so
    the reported values are where the optimiser stopped and only say "very large"."""

    @property
    def fixed_se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.fixed_cov))

    @property
    def zero_components(self) -> list[str]:
        """``group term`` of every random term estimated at zero (a singular fit), e.g. ["participant is_ai"]."""
        return [
            f"{entry['group']} {entry['term']}".strip()
            for entry in self.random_sd
            if entry["group"] != "residual" and entry["sd"] < SINGULAR_SD
        ]


def single_threaded_blas(fit):
    """Run ``fit`` with one BLAS thread; a numerical failure becomes :class:`ModelFitError`.

    The matrices here are small (tens to a few hundred rows) and multiplied thousands of
    times; OpenBLAS's thread hand-offs then cost far more than the arithmetic, up to a hundred
    times more when the machine is busy.
    """

    @functools.wraps(fit)
    def wrapper(*args, **kwargs):
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                return fit(*args, **kwargs)
        except ModelFitError:
            raise
        except (np.linalg.LinAlgError, ValueError) as error:
            raise ModelFitError(f"the model could not be fitted: {error}") from error

    return wrapper


def check_standard_errors(cov: np.ndarray, required: list[str], fixed_names: list[str] | None = None) -> None:
    """Refuse a fit whose fixed effects have no finite, positive variance (after the fit).

    Parameters
    ----------
    cov : ndarray, shape (p, p)
    required : list of str
        The estimates that must have a usable standard error.
    fixed_names : list of str, length p, optional
        Names of the rows of ``cov`` when they are not ``required`` itself.

    Raises
    ------
    ModelFitError
        Naming the estimates without a usable standard error.
    """
    unusable = [name for name in unusable_standard_errors(cov, fixed_names or required) if name in required]
    if unusable:
        raise ModelFitError(
            f"the fixed effects have no finite standard errors at the optimum: {', '.join(map(repr, unusable))}"
        )
