"""The machine baseline: could a simple classifier tell human from AI clips by their stored features?

If a regularised logistic regression on the features every clip already has predicts the source
well in cross-validation, the library carries a confound (brightness, bandwidth, stereo width,
loudness ...) that listeners might use too, and the report says which features it leans on.
A baseline near 0.5 does not prove the library fair (listeners hear more than 44 numbers), but a
high one is a warning worth acting on before launch.

Method: features standardised inside each training fold, L1-regularised (lasso) logistic
regression (``C = 0.3``), repeated stratified k-fold cross-validation (k = 5, or fewer with few
clips, 10 repeats). L1 rather than L2 because a library has about 45 features and only tens of
clips: a sparse model finds one confounded feature that a ridge model spreads over the noise
(simulated, 15 clips per source, one of 40 features shifted by 2 SD: mean AUC 0.91 with L1 at
C = 0.3, 0.71 with L2 at C = 1; with no shift 0.49 and 0.53). The AUC is computed per repeat on the
out-of-fold scores and averaged; its 95 %
interval uses the Hanley & McNeil (1982) standard error for the clip counts, widened by the
spread over repeats. The leaning features are the largest standardised coefficients of the
model fitted on every clip.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from audio.balance.effect_sizes import NOT_HEARD_FEATURES, feature_name

#: Fewest clips per source for a cross-validated baseline.
MIN_PER_SOURCE = 4


@dataclass(frozen=True)
class MachineBaseline:
    """Cross-validated AUC of a logistic regression predicting the source (AI = positive).

    Attributes
    ----------
    auc, auc_low, auc_high : float
        Mean out-of-fold AUC over repeats and its 95 % interval (0.5 = chance).
    n_human, n_ai, n_features : int
    folds, repeats : int
    leaning_on : list of (str, float)
        Up to five features with the largest standardised coefficients (positive: higher in AI).
    left_out : list of (str, str)
        Stored features the model did not use, each with the reason (not heard, the same in every
        clip, a category rather than a quantity), so its feature count can be read against the
        library's.
    """

    auc: float
    auc_low: float
    auc_high: float
    n_human: int
    n_ai: int
    n_features: int
    folds: int
    repeats: int
    leaning_on: list[tuple[str, float]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)

    @property
    def beyond_chance(self) -> bool:
        """True when the whole interval lies above 0.5."""
        return self.auc_low > 0.5

    def describe(self) -> str:
        """The AUC with its interval, what it means with this many clips, the features used and leaned on."""
        leaning = ", ".join(f"{name} ({'+' if weight > 0 else '-'})" for name, weight in self.leaning_on)
        leaning_text = (
            f"leaning most on {leaning} (+: higher in AI clips)"
            if leaning
            else "leaning on no feature (the lasso shrinks every weight to zero on all clips)"
        )
        used = f"{self.n_features} stored features"
        if self.left_out:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in self.left_out)
            used = (
                f"{self.n_features} of the {self.n_features + len(self.left_out)} stored features (left out: {reasons})"
            )
        return (
            f"A simple machine (cross-validated lasso logistic regression on {used}) tells AI from human clips with "
            f"AUC {self.auc:.2f} (95% CI {self.auc_low:.2f} to {self.auc_high:.2f}; 0.5 = chance), {leaning_text}. "
            + self._meaning()
        )

    def _meaning(self) -> str:
        """How to read the AUC: beyond chance, at chance, or below 0.5 (chance as well, with few clips)."""
        if self.beyond_chance:
            return "The interval lies above 0.5: the features carry the source."
        if self.auc < 0.5:
            return (
                f"An AUC below 0.5 is chance too, not a machine that does worse than guessing: with "
                f"{self.n_human} human and {self.n_ai} AI clips, cross-validated AUCs of features that carry no "
                "source scatter on both sides of 0.5, and often below it (each held-out clip is unlike the clips "
                "the model was fitted on). No sign that the features give the source away."
            )
        return "The interval includes 0.5: no sign that the features give the source away."

    def to_dict(self) -> dict:
        """JSON-safe dict."""
        return {
            "auc": self.auc,
            "auc_low": self.auc_low,
            "auc_high": self.auc_high,
            "n_human": self.n_human,
            "n_ai": self.n_ai,
            "n_features": self.n_features,
            "folds": self.folds,
            "repeats": self.repeats,
            "leaning_on": [[name, weight] for name, weight in self.leaning_on],
            "left_out": [[name, reason] for name, reason in self.left_out],
        }


def machine_baseline(
    groups: dict[str, pd.DataFrame],
    columns: list[str],
    *,
    repeats: int = 10,
    seed: int = 0,
    not_compared: dict[str, str] | None = None,
) -> MachineBaseline | None:
    """Cross-validate a logistic regression that predicts the source from ``columns``.

    Parameters
    ----------
    groups : dict of str to pandas.DataFrame
        ``{"human": rows, "ai": rows}`` of the active library.
    columns : list of str
        Numeric columns to use; features participants do not hear and constant columns are left
        out, missing values take the column median.
    repeats : int
        Repetitions of the k-fold split (different shuffles).
    seed : int
        Seed of the shuffles (the report is reproducible).
    not_compared : dict of str to str, optional
        Stored features the caller left out of ``columns`` on purpose, with the reason; listed
        in :attr:`MachineBaseline.left_out` beside those this function drops.

    Returns
    -------
    MachineBaseline or None
        None with fewer than :data:`MIN_PER_SOURCE` clips in a source or no usable column.
    """
    n_human, n_ai = len(groups["human"]), len(groups["ai"])
    if min(n_human, n_ai) < MIN_PER_SOURCE:
        return None
    x, names, dropped = _design(pd.concat([groups["human"], groups["ai"]]), columns)
    if not names:
        return None
    y = np.r_[np.zeros(n_human, dtype=int), np.ones(n_ai, dtype=int)]
    folds = min(5, n_human, n_ai)
    aucs = [_out_of_fold_auc(x, y, folds, seed + repeat) for repeat in range(repeats)]
    auc = float(np.mean(aucs))
    half_width = stats.norm.ppf(0.975) * math.sqrt(_hanley_mcneil_variance(auc, n_ai, n_human) + np.var(aucs))
    model = _model().fit(x, y)
    weights = model[-1].coef_[0]
    top = np.argsort(-np.abs(weights))[:5]
    return MachineBaseline(
        auc=auc,
        auc_low=max(0.0, auc - half_width),
        auc_high=min(1.0, auc + half_width),
        n_human=n_human,
        n_ai=n_ai,
        n_features=len(names),
        folds=folds,
        repeats=repeats,
        leaning_on=[(names[i], round(float(weights[i]), 3)) for i in top if weights[i] != 0],
        left_out=dropped + sorted((not_compared or {}).items()),
    )


def _model():
    if tuple(int(part) for part in sklearn.__version__.split(".")[:2]) >= (1, 8):
        lasso = LogisticRegression(C=0.3, l1_ratio=1.0, solver="liblinear")  # ``penalty`` is deprecated
    else:
        lasso = LogisticRegression(C=0.3, penalty="l1", solver="liblinear")
    return make_pipeline(StandardScaler(), lasso)


def _design(rows: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
    """The feature matrix (n_clips, n_features) of heard, non-constant columns (medians for gaps),
    its column names, and the columns dropped with the reason."""
    kept, names, dropped = [], [], []
    for column in columns:
        if column in NOT_HEARD_FEATURES:
            dropped.append((feature_name(column), "not what participants hear"))
            continue
        values = pd.to_numeric(rows[column], errors="coerce")
        values = values.fillna(values.median())
        if values.notna().all() and values.nunique() > 1:
            kept.append(values.to_numpy(dtype=float))
            names.append(feature_name(column))
        else:
            dropped.append((feature_name(column), "the same in every clip"))
    return (np.column_stack(kept) if kept else np.empty((len(rows), 0))), names, dropped


def _out_of_fold_auc(x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> float:
    scores = np.empty(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a tiny fold may not converge fully; the AUC still counts
            scores[test] = _model().fit(x[train], y[train]).decision_function(x[test])
    return float(roc_auc_score(y, scores))


def _hanley_mcneil_variance(auc: float, n_positive: int, n_negative: int) -> float:
    """Variance of an AUC estimate (Hanley & McNeil 1982, eq. 2)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    return (auc * (1 - auc) + (n_positive - 1) * (q1 - auc**2) + (n_negative - 1) * (q2 - auc**2)) / (
        n_positive * n_negative
    )
