"""Which sounds gave the source away, and which did listeners go by: the lens model per clip.

Brunswik's lens model (Hammond et al. 1964; Juslin 2000 for music) sets two relations side by
side for each acoustic cue (a ``feat_*`` column, one value per clip): its association with
the true source (ecological validity) and with listeners' judgements (cue utilisation, here
the clip's proportion of "AI" judgements). A cue listeners use but that does not track the
source is a misleading cue; one that tracks the source but is ignored is a missed cue.

The unit is the clip: every statistic here is computed across clips, after averaging the
judgements of all participants who heard a clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from core.numerics import collinear_columns
from core.vocabulary import SCALES
from results.statistics.clip_shrinkage import shrunken_proportions
from results.statistics.detection import main_trials
from results.statistics.intervals import cohen_d_two_groups, fisher_z_interval, wilson_interval

FEATURE_PREFIX = "feat_"

CLIP_SUMMARY_COLUMNS = (
    "clip_id",
    "clip_title",
    "source",
    "is_ai",
    "ai_system",
    "genre",
    "vocals",
    "n_ratings",
    "n_judged_ai",
    "prop_judged_ai",
    "prop_ci_low",
    "prop_ci_high",
    "shrunk_judged_ai",
    "shrunk_ci_low",
    "shrunk_ci_high",
    "mean_confidence",
    *(f"mean_{s}" for s in SCALES),
)


def clip_summary(df: pd.DataFrame) -> pd.DataFrame:
    """How each clip was judged and rated.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.

    Returns
    -------
    pandas.DataFrame
        One row per clip with at least one scored trial, sorted by ``clip_id``, columns
        :data:`CLIP_SUMMARY_COLUMNS` (catalogue columns missing from ``df`` are left empty):
        ``n_ratings`` scored trials, ``prop_judged_ai`` with a Wilson 95 % interval, the
        proportion shrunk toward the clips of the same source (``shrunk_judged_ai`` with a 95 %
        posterior interval, :mod:`results.statistics.clip_shrinkage`), the mean confidence (1 = sure human ...
        6 = sure AI) and the mean of each rating scale.
    """
    numeric: dict[str, str] = {"confidence": "mean_confidence", **{s: f"mean_{s}" for s in SCALES}}
    catalogue = [c for c in ("clip_title", "source", "ai_system", "genre", "vocals") if c in df.columns]
    trials = main_trials(df, optional=[*numeric, *catalogue])
    for column in numeric:
        if column in trials.columns:
            trials[column] = trials[column].astype("float64")
    means = trials.groupby("clip_id")[[c for c in numeric if c in trials.columns]].mean().rename(columns=numeric)
    counts = trials.groupby("clip_id").agg(
        n_ratings=("guessed_ai", "size"), n_judged_ai=("guessed_ai", "sum"), is_ai=("is_ai", "first")
    )
    first = trials.groupby("clip_id")[catalogue].first()
    out = counts.join(first).join(means).reset_index()
    out["prop_judged_ai"] = out["n_judged_ai"] / out["n_ratings"]
    out["prop_ci_low"], out["prop_ci_high"] = wilson_interval(
        out["n_judged_ai"].to_numpy(), out["n_ratings"].to_numpy()
    )
    out["shrunk_judged_ai"], out["shrunk_ci_low"], out["shrunk_ci_high"] = shrunken_proportions(
        out["n_judged_ai"].to_numpy(), out["n_ratings"].to_numpy(), out["is_ai"].astype(bool).to_numpy()
    )
    for column in CLIP_SUMMARY_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    return out[list(CLIP_SUMMARY_COLUMNS)].sort_values("clip_id", ignore_index=True)


def most_human_sounding_ai(df: pd.DataFrame, k: int = 5, *, min_ratings: int = 1) -> pd.DataFrame:
    """The ``k`` AI clips with the lowest shrunken proportion judged AI (ties: lower mean confidence first).

    Rows of :func:`clip_summary` with at least ``min_ratings`` scored trials. Ranked by
    ``shrunk_judged_ai``, so a clip rated once or twice does not top the list by chance.
    """
    clips = clip_summary(df)
    clips = clips[clips["is_ai"].astype(bool) & (clips["n_ratings"] >= min_ratings)]
    return clips.sort_values(
        ["shrunk_judged_ai", "mean_confidence", "n_ratings"], ascending=[True, True, False], ignore_index=True
    ).head(k)


def most_ai_sounding_human(df: pd.DataFrame, k: int = 5, *, min_ratings: int = 1) -> pd.DataFrame:
    """The ``k`` human clips with the highest shrunken proportion judged AI (ties: higher mean confidence first).

    Rows of :func:`clip_summary` with at least ``min_ratings`` scored trials, ranked by ``shrunk_judged_ai``.
    """
    clips = clip_summary(df)
    clips = clips[~clips["is_ai"].astype(bool) & (clips["n_ratings"] >= min_ratings)]
    return clips.sort_values(
        ["shrunk_judged_ai", "mean_confidence", "n_ratings"], ascending=[False, False, False], ignore_index=True
    ).head(k)


def _clip_table(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Per clip: is_ai (0/1), proportion judged AI, and the features (first value per clip)."""
    features = [c for c in df.columns if c.startswith(FEATURE_PREFIX)]
    trials = main_trials(df, optional=features)
    clips = trials.groupby("clip_id").agg(
        is_ai=("is_ai", "first"), prop_judged_ai=("guessed_ai", "mean"), n_ratings=("guessed_ai", "size")
    )
    clips["is_ai"] = clips["is_ai"].astype(float)
    if features:
        clips = clips.join(trials.groupby("clip_id")[features].first().astype("float64"))
    return clips, features


def _correlation(x: np.ndarray, y: np.ndarray) -> dict:
    """Pearson r with p (scipy) and Fisher-z 95 % interval over the pairs where both are present."""
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = int(keep.sum())
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan, "n": n}
    result = stats.pearsonr(x, y)
    low, high = fisher_z_interval(result.statistic, n)
    return {
        "r": float(result.statistic),
        "ci_low": float(low),
        "ci_high": float(high),
        "p_value": float(result.pvalue),
        "n": n,
    }


ASSOCIATION_COLUMNS = (
    "feature",
    "n_clips",
    "source_r",
    "source_r_ci_low",
    "source_r_ci_high",
    "source_d",
    "source_d_ci_low",
    "source_d_ci_high",
    "source_p",
    "source_q",
    "judgement_r",
    "judgement_r_ci_low",
    "judgement_r_ci_high",
    "judgement_p",
    "judgement_q",
)


def feature_associations(df: pd.DataFrame) -> pd.DataFrame:
    """Each feature's association with the true source and with listeners' "AI" judgements.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table with ``feat_*`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per feature (in table order), columns :data:`ASSOCIATION_COLUMNS`:
        ``source_r`` point-biserial correlation with the source (AI = 1) across clips, with
        Fisher-z 95 % interval and p (scipy ``pearsonr``, the same p as an equal-variance
        t-test); ``source_d`` Cohen's d (AI minus human, pooled SD) with an exact
        noncentral-t interval; ``judgement_r`` Pearson correlation with the clip's proportion
        judged AI, interval and p. ``source_q`` and ``judgement_q`` are Benjamini-Hochberg
        FDR-adjusted p-values across features, each family separately. Empty when the table
        has no features.
    """
    clips, features = _clip_table(df)
    rows = []
    is_ai = clips["is_ai"].to_numpy()
    judged = clips["prop_judged_ai"].to_numpy(dtype=float)
    for feature in features:
        values = clips[feature].to_numpy()
        source = _correlation(values, is_ai)
        judgement = _correlation(values, judged)
        effect = cohen_d_two_groups(values[is_ai == 1], values[is_ai == 0])
        rows.append(
            {
                "feature": feature,
                "n_clips": source["n"],
                "source_r": source["r"],
                "source_r_ci_low": source["ci_low"],
                "source_r_ci_high": source["ci_high"],
                "source_d": effect["d"],
                "source_d_ci_low": effect["ci_low"],
                "source_d_ci_high": effect["ci_high"],
                "source_p": source["p_value"],
                "judgement_r": judgement["r"],
                "judgement_r_ci_low": judgement["ci_low"],
                "judgement_r_ci_high": judgement["ci_high"],
                "judgement_p": judgement["p_value"],
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in ASSOCIATION_COLUMNS if not c.endswith("_q")])
    for family in ("source", "judgement"):
        out[f"{family}_q"] = np.nan
        valid = out[f"{family}_p"].notna()
        if valid.any():
            out.loc[valid, f"{family}_q"] = multipletests(out.loc[valid, f"{family}_p"], method="fdr_bh")[1]
    return out[list(ASSOCIATION_COLUMNS)]


@dataclass(frozen=True)
class Correlation:
    """Pearson r across clips with its Fisher-z 95 % interval and p-value."""

    r: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class LinearFit:
    """How well a linear model of the cues fits across clips (statsmodels OLS)."""

    multiple_r: float
    r_squared: float
    adj_r_squared: float
    f_p_value: float


@dataclass(frozen=True)
class LensSummary:
    """The lens model of the whole library (:func:`lens_summary`).

    Attributes
    ----------
    n_clips : int
        Clips with at least one scored trial.
    achievement : Correlation
        r between the source and the proportion judged AI across clips.
    cues : list of str
        The cues of both models (empty when none was usable).
    n_clips_model : int
        Clips with every cue (0 without a model).
    environment, judgement : LinearFit or None
        The cues predicting the source and predicting the proportion judged AI.
    matching_g : float or None
        r between the two models' predictions.
    unmodelled_c : float or None
        r between their residuals.
    lens_equation : float or None
        Right-hand side of the lens model equation, equal to the achievement r over the same clips.
    cue_selection : str
        "given" or "top |r| on the same data".
    """

    n_clips: int
    achievement: Correlation
    cues: list[str]
    n_clips_model: int
    environment: LinearFit | None
    judgement: LinearFit | None
    matching_g: float | None
    unmodelled_c: float | None
    lens_equation: float | None
    cue_selection: str


def _ols(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, LinearFit]:
    """OLS fitted values and fit statistics (statsmodels)."""
    fit = sm.OLS(y, sm.add_constant(X, has_constant="add")).fit()
    return fit.fittedvalues, LinearFit(
        float(np.sqrt(max(fit.rsquared, 0.0))), float(fit.rsquared), float(fit.rsquared_adj), float(fit.f_pvalue)
    )


def _strongest_cues(df: pd.DataFrame, top_k: int) -> list[str]:
    """The ``top_k`` features most associated with the source, then with judgements (by |r|)."""
    associations = feature_associations(df)
    chosen: list[str] = []
    for column in ("source_r", "judgement_r"):
        ranked = associations.assign(strength=associations[column].abs()).dropna(subset=["strength"])
        chosen += [f for f in ranked.sort_values("strength", ascending=False)["feature"].head(top_k) if f not in chosen]
    return chosen


def lens_summary(df: pd.DataFrame, features: Sequence[str] | None = None, *, top_k: int = 3) -> LensSummary:
    """The lens model of the whole library: achievement and how it decomposes.

    Two linear models across clips use the same cues: the environment model predicts the
    true source (AI = 1; a linear probability model) and the judgement model predicts the
    proportion judged AI. With linear models the lens model equation holds exactly
    (Tucker 1964): ``r_a = G * R_e * R_s + C * sqrt(1 - R_e^2) * sqrt(1 - R_s^2)``, which a
    logistic model would not give; that is why both are linear.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table with ``feat_*`` columns.
    features : sequence of str, optional
        Cues to use. By default the ``top_k`` features most associated with the source
        together with the ``top_k`` most associated with judgements (by |r|), as many as the
        number of clips allows (at most ``n_clips - 3``). Choosing cues on the same data
        flatters ``R_e`` and ``R_s``; name the cues in advance for confirmatory work.
    top_k : int
        Features taken from each side when ``features`` is None.

    Returns
    -------
    LensSummary
        Without usable cues only ``n_clips``, ``achievement`` and ``cues`` (empty) are filled,
        ``n_clips_model`` is 0 and the model fields are None.
    """
    clips, available = _clip_table(df)
    achieved = _correlation(clips["is_ai"].to_numpy(), clips["prop_judged_ai"].to_numpy(dtype=float))
    achievement = Correlation(achieved["r"], achieved["ci_low"], achieved["ci_high"], achieved["p_value"])
    no_model = LensSummary(
        n_clips=len(clips),
        achievement=achievement,
        cues=[],
        n_clips_model=0,
        environment=None,
        judgement=None,
        matching_g=None,
        unmodelled_c=None,
        lens_equation=None,
        cue_selection="given" if features is not None else "top |r| on the same data",
    )
    features = _strongest_cues(df, top_k) if features is None else features
    unknown = [f for f in features if f not in available]
    if unknown:
        raise ValueError(f"unknown feature column(s) {unknown}")
    usable = clips.dropna(subset=list(features))
    features = list(features)[: max(len(usable) - 3, 0)]
    if not features or usable["is_ai"].nunique() < 2 or usable["prop_judged_ai"].nunique() < 2:
        return no_model
    # A cue that is a linear combination of the others adds nothing and leaves the F test's degrees of
    # freedom to the BLAS's rounding; drop it explicitly (pivoted QR, core.numerics).
    redundant = set(collinear_columns(sm.add_constant(usable[features].to_numpy(dtype=float)), ["const", *features]))
    features = [f for f in features if f not in redundant]
    if not features:
        return no_model
    X = usable[features].to_numpy()
    source, judged = usable["is_ai"].to_numpy(), usable["prop_judged_ai"].to_numpy(dtype=float)
    predicted_env, environment = _ols(source, X)
    predicted_judge, judgement = _ols(judged, X)
    g = _correlation(np.asarray(predicted_env), np.asarray(predicted_judge))["r"]
    c = _correlation(source - predicted_env, judged - predicted_judge)["r"]
    r_e, r_s = environment.multiple_r, judgement.multiple_r
    return replace(
        no_model,
        cues=features,
        n_clips_model=len(usable),
        environment=environment,
        judgement=judgement,
        matching_g=g,
        unmodelled_c=c,
        lens_equation=float(g * r_e * r_s + c * np.sqrt(1 - r_e**2) * np.sqrt(1 - r_s**2)),
    )
