"""Every cheap statistic in one JSON-safe dict: what ``human-touch stats`` prints and the report reads.

The mixed models take seconds to a minute on a large study, so they are included only when
asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd

from core.vocabulary import SCALES
from results import breakdown, detection, emotion, lens, models, roc
from results.equivalence import detection_decision
from results.headline import headline_detection
from results.mixed import ModelFitError

BREAKDOWN_COLUMNS: tuple[str, ...] = ("training_years", "ai_exposure", "genre", "vocals", "ai_system")
ROC_METHOD = (
    "Empirical ROC from the 6-point confidence scale; AUC = Mann-Whitney probability (ties half); "
    "95% percentile interval from 2000 bootstrap resamples of participants (seed 0)."
)


def to_jsonable(value):
    """``value`` with numpy scalars, NaN/inf (-> None), tuples, timestamps and frames made JSON-safe.

    DataFrames become lists of row dicts, dataclasses (the typed statistics) dicts of their fields.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [to_jsonable(v) for v in list(value)]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def headline_stats(df: pd.DataFrame, *, include_mixed_models: bool = False, top_k: int = 5) -> dict:
    """All statistics of a (filtered) trial table as one JSON-safe dict.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table (filter it first with :func:`results.filters.apply_filters`).
    include_mixed_models : bool
        Also fit the detection GLMM and one emotion LMM per scale (slow on large studies).
    top_k : int
        Clips listed as most human-sounding AI and most AI-sounding human.

    Returns
    -------
    dict
        ``headline``: ``detection`` (:func:`results.headline.headline_detection`: the GLMM's d' and
        c, accuracy and AUC over participants and clips) and ``decision``
        (:func:`results.equivalence.detection_decision`, default margins); ``detection``
        (:func:`results.detection.detection_summary`, pooled: treats clips as fixed); ``roc``: ``points`` (list of
        ``threshold, fpr, tpr``), ``auc``, ``auc_ci_low``, ``auc_ci_high``, ``method``;
        ``breakdowns``: column -> list of rows of :func:`results.breakdown.breakdown` (for the
        columns of :data:`BREAKDOWN_COLUMNS` present); ``emotion_by_source`` and
        ``emotion_tests`` (lists of rows); ``lens``: ``features`` (rows of
        :func:`results.lens.feature_associations`) and ``summary``
        (:func:`results.lens.lens_summary`); ``clips``: ``most_human_sounding_ai`` and
        ``most_ai_sounding_human`` (rows of :func:`results.lens.clip_summary`); with
        ``include_mixed_models`` also ``mixed_models``: ``detection`` and ``emotion`` (scale ->
        result: the fields of :class:`results.models.DetectionModel` or
        :class:`results.models.EmotionModel`, or ``{"error": message}`` when the model could not be
        fitted). Missing values are None.
    """
    trials = detection.main_trials(df)
    scales = [s for s in SCALES if s in df.columns]
    out: dict = {"detection": detection.detection_summary(df)}
    if trials.empty:
        return to_jsonable(out)
    top = headline_detection(df)
    out["headline"] = {"detection": top, "decision": detection_decision(top)}
    curve = roc.roc_from_confidence(df)
    out["roc"] = {
        "points": curve.points,
        "auc": curve.auc,
        "auc_ci_low": curve.auc_ci[0],
        "auc_ci_high": curve.auc_ci[1],
        "method": ROC_METHOD,
    }
    out["breakdowns"] = {
        column: breakdown.breakdown(df, column) for column in BREAKDOWN_COLUMNS if column in df.columns
    }
    out["emotion_by_source"] = emotion.emotion_by_source(df, scales)
    out["emotion_tests"] = emotion.emotion_tests(df, scales)
    out["lens"] = {"features": lens.feature_associations(df), "summary": lens.lens_summary(df)}
    out["clips"] = {
        "most_human_sounding_ai": lens.most_human_sounding_ai(df, top_k),
        "most_ai_sounding_human": lens.most_ai_sounding_human(df, top_k),
    }
    if include_mixed_models:
        out["mixed_models"] = {
            "detection": _fit_or_error(models.detection_mixed_model, df),
            "emotion": {scale: _fit_or_error(models.emotion_mixed_model, df, scale) for scale in scales},
        }
    return to_jsonable(out)


def _fit_or_error(fit, *args):
    """The fitted model, or ``{"error": message}`` (the JSON shape of a model that could not be fitted)."""
    try:
        return fit(*args)
    except ModelFitError as error:
        return {"error": str(error)}
