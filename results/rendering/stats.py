"""Every statistic of an analysis in one JSON-safe dict: what ``human-touch stats`` prints.

It reads the same :class:`~results.analysis.Analysis` as the pages and the report, so its numbers are
theirs; each block says what it generalises over.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd

from results.analysis import Analysis, Failure
from results.rendering.report_designs import PAIRING_GENERALISES
from results.rendering.report_emotion import EMOTION_ANALYSIS_CAPTION
from results.rendering.sentences import (
    OVER_PARTICIPANTS_AND_CLIPS,
    decision_sentence,
    headline_sentence,
    pairing_sentence,
)
from results.statistics.emotion_ordinal import GENERALISES, SENSITIVITY_LABEL
from results.statistics.headline import FIXED_CLIPS_LABEL
from results.statistics.paired_detection import METHODS as PAIRED_METHODS
from results.statistics.pairing_effect import PairingEffect, pairing_table

ROC_METHOD = (
    "Empirical ROC from the 6-point confidence scale; AUC = Mann-Whitney probability (ties half); "
    "95% interval and test against 0.5 with a two-way cluster-robust SE over participants and clips "
    "(DeLong placement values, CR3 for clips) on t(clips - 2), the headline AUC's."
)
FIXED_CLIPS_TESTS = (
    "pooled binomial test of accuracy, Wilson intervals of pooled rates, per-participant d' and c with "
    "one-sample t-tests"
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


def analysis_stats(analysis: Analysis) -> dict:
    """Every statistic of an :class:`~results.analysis.Analysis` as one JSON-safe dict.

    Parameters
    ----------
    analysis : Analysis
        Its plan says which breakdowns, whether the emotion mixed models are fitted, and ``top_k``.

    Returns
    -------
    dict
        ``headline``: ``sentence`` (the answer in words), ``detection`` (the GLMM's d' and c,
        accuracy and AUC, :data:`OVER_PARTICIPANTS_AND_CLIPS`), ``decision`` (verdict, the plan's margin
        on the d', accuracy and AUC scales, the tests) and ``decision_sentence`` (and, with the plan's
        ``bootstrap_samples``, ``d_prime_bootstrap``: the parametric-bootstrap p of d' = 0, its ``mc_se``
        and the chi-square LR p beside it); ``roc`` (``points``,
        ``auc``, ``auc_ci_low``, ``auc_ci_high``, ``p_value``, ``method``, ``generalises``: participants
        and clips); ``zroc``: the equal-variance check (zROC ``slope`` with its interval and test against 1,
        ``d_a`` with its interval, ``unequal``, over participants and clips; None without confidence ratings);
        ``fixed_clips``: ``label`` (what treating clips as fixed means), ``tests`` and
        ``detection`` (pooled and per-participant statistics); ``breakdowns``: attribute -> ``pooled``
        rows, ``model`` (d' per level from the GLMM, or ``{"failure": reason}``) and ``p_holm`` (its test of
        equal d' Holm-adjusted over the plan's breakdowns); ``breakdown_tests``: ``table`` (every breakdown's
        raw and Holm p) and ``family`` (what Holm adjusts over); ``moderators``: ``table`` (raw ``p_value`` and
        ``p_holm`` over the moderator tests), ``family``, or ``{"failure": reason}``; ``emotion_by_source``
        and ``emotion_tests``;
        ``lens``: ``features`` and ``summary``; ``clips``: ``most_human_sounding_ai`` and
        ``most_ai_sounding_human``; ``mixed_models``: ``detection`` and, with the plan's
        ``emotion_models``, ``emotion`` (scale -> ``ordinal``, the reported model, and
        ``linear_sensitivity_check``, each a model or ``{"failure": reason}``); with ``emotion_models`` also
        ``emotion_analysis``: ``effects`` (per scale the ordinal model's true-source effect on the log-odds
        scale, in rating points and as P(AI rated higher), its one p-value and Holm's across scales, and the
        linear model's effect beside it), ``method``, ``generalises`` (participants and clips) and
        ``sensitivity_check``; ``pairing`` (with similar and random pairs answered): ``sentence``, ``table``
        (d' per pairing type against chance and the difference), ``difference`` (d'(similar) - d'(random),
        its interval, p and df), ``method`` and ``generalises`` (participants and clips), or
        ``{"failure": reason}``. Missing values are None.
    """
    out: dict = {"fixed_clips": {"label": FIXED_CLIPS_LABEL, "tests": FIXED_CLIPS_TESTS, "detection": analysis.summary}}
    if analysis.paired_side_by_side is not None:  # paired (2AFC) d' over participants and clips, or why not
        out["paired"] = {"side_by_side": analysis.paired_side_by_side, "method": PAIRED_METHODS}
    if analysis.pairing_effect is not None:  # similar versus random pairs, over participants and clips, or why not
        out["pairing"] = _pairing_block(analysis.pairing_effect)
    if analysis.n_trials == 0:
        return to_jsonable(out)
    decision = analysis.decision()
    out["headline"] = {
        "sentence": headline_sentence(analysis.headline),
        "generalises": OVER_PARTICIPANTS_AND_CLIPS,
        "detection": analysis.headline,
        "decision": decision,
        "decision_sentence": decision_sentence(decision),
    }
    if analysis.plan.bootstrap_samples > 0:
        out["headline"]["d_prime_bootstrap"] = _bootstrap_block(analysis)
    out["roc"] = _roc_block(analysis)
    out["zroc"] = analysis.zroc
    family = analysis.breakdown_family()
    out["breakdowns"] = _breakdowns_block(analysis, family)
    out["breakdown_tests"] = family
    out["moderators"] = _model_or_failure(analysis.moderators)
    out["emotion_by_source"] = analysis.emotion_by_source
    out["emotion_tests"] = analysis.emotion_tests
    out["lens"] = {"features": analysis.feature_associations, "summary": analysis.lens_summary}
    out["clips"] = {
        "most_human_sounding_ai": analysis.most_human_sounding_ai,
        "most_ai_sounding_human": analysis.most_ai_sounding_human,
    }
    out["mixed_models"] = {"detection": _model_or_failure(analysis.detection_model)}
    if analysis.plan.emotion_models:
        out["emotion_analysis"] = {
            "effects": analysis.emotion_analysis,
            "method": EMOTION_ANALYSIS_CAPTION,
            "generalises": GENERALISES,
            "sensitivity_check": SENSITIVITY_LABEL,
        }
        out["mixed_models"]["emotion"] = {
            scale: {
                "ordinal": _model_or_failure(analysis.emotion_ordinal_model(scale)),
                "linear_sensitivity_check": _model_or_failure(analysis.emotion_model(scale)),
            }
            for scale in analysis.scales
        }
    return to_jsonable(out)


def _pairing_block(effect: PairingEffect | Failure) -> dict:
    """Similar versus random pairs: per type and the difference, in words and numbers, or why not."""
    if isinstance(effect, Failure):
        return {"failure": effect.reason}
    return {
        "sentence": pairing_sentence(effect),
        "table": pairing_table(effect),
        "difference": {
            "dprime": effect.difference,
            "ci_low": effect.ci_low,
            "ci_high": effect.ci_high,
            "p_value": effect.p_value,
            "df": effect.df,
            "not_estimable": effect.not_estimable,
        },
        "n_participants": effect.n_participants,
        "n_pairs": effect.n_pairs,
        "fit_status": effect.fit_status,
        "method": effect.methods,
        "generalises": PAIRING_GENERALISES,
    }


def _roc_block(analysis: Analysis) -> dict:
    """The confidence-rating ROC: its points and AUC with the interval over participants and clips."""
    curve = analysis.roc
    return {
        "points": curve.points,
        "auc": curve.auc,
        "auc_ci_low": curve.auc_ci[0],
        "auc_ci_high": curve.auc_ci[1],
        "p_value": curve.p_value,
        "method": ROC_METHOD,
        "generalises": OVER_PARTICIPANTS_AND_CLIPS,
    }


def _breakdowns_block(analysis: Analysis, family) -> dict:
    """Per planned breakdown attribute: pooled rows, the GLMM's d' per level, its Holm-adjusted test."""
    return {
        by: {
            "pooled": analysis.breakdown(by),
            "model": _model_or_failure(analysis.breakdown_model(by)),
            "p_holm": family.p_holm(by),
        }
        for by in analysis.plan.breakdowns
        if by in analysis.trials.columns
    }


def _bootstrap_block(analysis: Analysis) -> dict:
    """The parametric-bootstrap test of d' = 0 (p, Monte-Carlo SE, samples) beside the chi-square LR p."""
    test = analysis.d_prime_bootstrap(analysis.plan.bootstrap_samples)
    if isinstance(test, Failure):
        return {"failure": test.reason}
    return {
        "p_value": test.p_value,
        "mc_se": test.mc_se,
        "n_samples": test.n_samples,
        "n_failed": test.n_failed,
        "seed": test.seed,
        "statistic": test.statistic,
        "chi2_p_value": test.chi2_p_value,
        "method": test.method,
    }


def _model_or_failure(result):
    """A fitted model, or ``{"failure": reason}`` (the JSON shape of a model that could not be fitted)."""
    return {"failure": result.reason} if isinstance(result, Failure) else result
