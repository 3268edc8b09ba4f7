"""The model object of the mixed-model library: a binomial GLMM that holds its data, and the fit it returns.

In the manner of statsmodels' ``MixedLM``: ``BinomialGLMM(y, X, names, structures).fit()`` returns a
:class:`GLMMFit` that knows its data, its random-effects structure and its link, and offers the
likelihood-ratio test and the profile interval of any fixed effect (:mod:`results.mixed.inference`), so
that no caller can profile a logit fit with the probit link or refit with other random terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from results.mixed.binomial import fit_binomial
from results.mixed.bootstrap import DEFAULT_SAMPLES, BootstrapLRTest, parametric_bootstrap_lr
from results.mixed.fit import MixedFit
from results.mixed.inference import (
    FittedStructure,
    ProfiledTerm,
    deviance_excess,
    fit_with_fallback,
    lr_p_value,
    profile_term,
)
from results.mixed.terms import RandomFactor


@dataclass(frozen=True)
class BinomialGLMM:
    """A binary-response GLMM with crossed random effects, not yet fitted.

    Attributes
    ----------
    y : ndarray, shape (n,)
        0/1 responses.
    X : ndarray, shape (n, p)
        Fixed-effects design (with a column of ones).
    names : list of str, length p
        Fixed-effect names.
    structures : sequence of (label, list of RandomFactor)
        Random-effects structures, richest first; :meth:`fit` takes the first that can be fitted.
    link : {"probit", "logit"}
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    structures: Sequence[tuple[str, list[RandomFactor]]]
    link: str = "probit"

    def fit(self) -> GLMMFit:
        """Fit the richest structure that can be fitted (:func:`results.mixed.inference.fit_with_fallback`).

        Raises
        ------
        ModelFitError
            When no structure can be fitted.
        """
        return GLMMFit(self, fit_with_fallback(self.y, self.X, self.names, self.structures, link=self.link))


@dataclass(frozen=True)
class GLMMFit:
    """A fitted :class:`BinomialGLMM`: estimates, the structure reached, and inference on its fixed effects."""

    model: BinomialGLMM
    structure: FittedStructure

    @property
    def result(self) -> MixedFit:
        """Estimates, covariance, variance components, deviance (:class:`results.mixed.fit.MixedFit`)."""
        return self.structure.fit

    @property
    def link(self) -> str:
        return self.structure.fit.link

    def profile(self, term: str, *, df: float, confidence: float = 0.95) -> ProfiledTerm:
        """Likelihood-ratio test against 0 and profile interval of ``term`` on ``F(1, df)``."""
        model = self.model
        return profile_term(model.y, model.X, model.names, self.structure, term, df=df, confidence=confidence)

    def lr_test(self, term: str, *, df: float) -> tuple[float, float]:
        """(likelihood-ratio statistic, p-value) of ``term = 0`` on ``F(1, df)`` (chi-square(1) if ``df`` is inf)."""
        model = self.model
        lr = deviance_excess(model.y, model.X, model.names, self.structure, term, 0.0)
        return float(lr), lr_p_value(lr, df)

    def bootstrap_test(self, term: str, *, n_samples: int = DEFAULT_SAMPLES, seed: int = 0) -> BootstrapLRTest:
        """Parametric-bootstrap likelihood-ratio test of ``term = 0``, the small-sample test
        (:func:`results.mixed.bootstrap.parametric_bootstrap_lr`; two refits a sample, 0.15-1 s)."""
        model = self.model
        return parametric_bootstrap_lr(
            model.y, model.X, model.names, self.structure, term, n_samples=n_samples, seed=seed
        )

    def nested(self, X: np.ndarray, names: list[str]) -> MixedFit:
        """The same random-effects structure, link and data with the fixed design ``X`` (a nested model).

        Only its deviance is computed (for likelihood-ratio tests of several terms at once).
        """
        return fit_binomial(self.model.y, X, names, self.structure.factors, link=self.link, hessian=False)
