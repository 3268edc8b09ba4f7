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


def column_label(name: str) -> str:
    """The label of a column: from :data:`COLUMN_LABELS`, else ``feat_`` dropped and ``_`` as spaces."""
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    return name.removeprefix("feat_").replace("_", " ")


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column renamed to its label (the data are unchanged)."""
    return frame.rename(columns={name: column_label(str(name)) for name in frame.columns})
