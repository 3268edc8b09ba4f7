"""Human names for the columns of the tables staff see (no Streamlit here).

Statistics functions return frames with short programmatic names (``mean_ai``, ``ci_low``); the
pages show them under these labels. Exports keep the programmatic names (the codebook explains
them), so a label may change without breaking anyone's analysis script.
"""

from __future__ import annotations

import pandas as pd

COLUMN_LABELS: dict[str, str] = {
    # clips
    "clip_id": "Clip",
    "clip_title": "Title",
    "clip_creator": "Creator",
    "source": "True source",
    "ai_system": "AI system",
    "ai_version": "AI version",
    "genre": "Genre",
    "vocals": "Vocals",
    "pair_id": "Pair",
    "n_ratings": "Ratings (n)",
    "prop_judged_ai": "Judged AI",
    "prop_ci_low": "Judged AI: 95 % CI low",
    "prop_ci_high": "Judged AI: 95 % CI high",
    "shrunk_judged_ai": "Judged AI (shrunken)",
    "shrunk_ci_low": "Shrunken: 95 % CI low",
    "shrunk_ci_high": "Shrunken: 95 % CI high",
    "mean_confidence": "Mean confidence (1 human … 6 AI)",
    "mean_valence": "Mean valence",
    "mean_arousal": "Mean arousal",
    "mean_moved": "Mean moved",
    "mean_liking": "Mean liking",
    # detection by group
    "level": "Group",
    "n_participants": "Participants (n)",
    "n_trials": "Trials (n)",
    "hits": "Hits",
    "false_alarms": "False alarms",
    "hit_rate": "Hit rate",
    "fa_rate": "False-alarm rate",
    "d_prime": "d′",
    "criterion": "Criterion c",
    "d_prime_basis": "d′ from",
    "accuracy": "Accuracy",
    "accuracy_ci_low": "Accuracy: 95 % CI low",
    "accuracy_ci_high": "Accuracy: 95 % CI high",
    # emotion tests
    "scale": "Scale",
    "effect": "Effect",
    "mean_ai": "Mean (AI clips)",
    "mean_human": "Mean (human clips)",
    "mean_difference": "Difference (AI − human)",
    "ci_low": "95 % CI low",
    "ci_high": "95 % CI high",
    "t": "t",
    "df": "df",
    "p_value": "p",
    "p_holm": "p (Holm)",
    "significant_holm": "Significant (Holm)",
    "cohen_dz": "Cohen's d_z",
    "dz_ci_low": "d_z: 95 % CI low",
    "dz_ci_high": "d_z: 95 % CI high",
    # models
    "term": "Term",
    "estimate": "Estimate",
    "se": "Standard error",
    "z": "z",
    "group": "Grouping",
    "sd": "SD",
    # lens model
    "feature": "Feature",
    "n_clips": "Clips (n)",
    "source_r": "r with source (AI = 1)",
    "source_r_ci_low": "r source: 95 % CI low",
    "source_r_ci_high": "r source: 95 % CI high",
    "source_d": "Cohen's d (AI − human)",
    "source_d_ci_low": "d: 95 % CI low",
    "source_d_ci_high": "d: 95 % CI high",
    "source_p": "p (source)",
    "source_q": "q (source, BH)",
    "judgement_r": "r with judged AI",
    "judgement_r_ci_low": "r judged: 95 % CI low",
    "judgement_r_ci_high": "r judged: 95 % CI high",
    "judgement_p": "p (judged)",
    "judgement_q": "q (judged, BH)",
}
"""Column name -> label shown on the staff pages."""


VALUE_LABELS: dict[str, dict[str, str]] = {
    "effect": {
        "true_source": "True source (AI − human clips)",
        "guessed_source_association": "Guessed source (association)",
    },
    "source": {"ai": "AI", "human": "Human"},
    "guessed_source": {"ai": "AI", "human": "Human"},
}
"""Column name -> {stored value: label} for columns whose values are code names."""

_UNIT_WORDS = {"hz": "Hz", "db": "dB", "dbtp": "dBTP", "lufs": "LUFS", "bpm": "BPM", "s": "s"}
_ABBREVIATIONS = {"mfcc": "MFCC", "rms": "RMS", "hpss": "HPSS", "ai": "AI"}


def feature_label(name: str) -> str:
    """A feature's name for people: ``"spectral_rolloff_99_hz_mean"`` -> ``"Spectral rolloff 99 mean (Hz)"``.

    Words come from the stored name (so two features never share a label), abbreviations in capitals,
    the unit last in brackets.
    """
    words, units = [], []
    for token in name.removeprefix("feat_").split("_"):
        if token in _UNIT_WORDS:
            if _UNIT_WORDS[token] not in units:
                units.append(_UNIT_WORDS[token])
        else:
            words.append(_ABBREVIATIONS.get(token, token.upper() if len(token) == 1 else token))
    text = " ".join(words) or name
    text = text[0].upper() + text[1:]
    return f"{text} ({', '.join(units)})" if units else text


def scale_label(scale: str) -> str:
    """A rating scale's name for people: ``"valence"`` -> ``"Valence"``."""
    return scale.replace("_", " ").capitalize()


def with_value_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with code values shown as words: effects, sources, scales and feature names."""
    out = frame.copy()
    for column, labels in VALUE_LABELS.items():
        if column in out.columns and labels:
            out[column] = out[column].map(lambda value, labels=labels: labels.get(value, value))
    if "scale" in out.columns:
        out["scale"] = out["scale"].map(lambda value: scale_label(value) if isinstance(value, str) else value)
    if "feature" in out.columns:
        out["feature"] = out["feature"].map(lambda value: feature_label(value) if isinstance(value, str) else value)
    return out


def column_label(name: str) -> str:
    """The label of a column: from :data:`COLUMN_LABELS`, else ``feat_`` dropped and ``_`` as spaces."""
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    return name.removeprefix("feat_").replace("_", " ")


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column renamed to its label (the data are unchanged)."""
    return frame.rename(columns={name: column_label(str(name)) for name in frame.columns})
