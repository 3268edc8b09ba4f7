"""Feature by feature: how far apart are human and AI clips, is it more than chance, and how to say it.

Per feature: Hedges' g with its 95 % interval (the size), a Mann-Whitney rank test (exact for
small groups without ties) and Benjamini-Hochberg q-values across every heard feature (is it
more than chance, with the false discovery rate controlled). A feature is flagged when it passes
both thresholds: the statistical one (its q-value is at most the FDR level and its |g| reaches
the threshold, or the sources are perfectly separated by constant values) and the audible one
(the difference of means is at least the smallest a listener could hear,
:mod:`audio.balance.audible`). In a library whose sources do not differ, the chance of
even one such flag is then at most the FDR level (5 %), whatever the number of features; a bare
|g| threshold instead flags about a quarter of 44 features with 10 clips per source.

Sign convention: AI is the signal, so ``g > 0`` means AI clips have the higher value.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import effectsize_smd

from audio.balance.audible import audible_threshold

FEATURE_PREFIX = "feat_"
# Processing facts that are numbers a listener could perceive; compared like features.
PROCESSING_COLUMNS = ("duration_s", "loudness_after_lufs", "true_peak_dbtp")
# Features that repeat a processing fact (the ingest stores both); the processing column is kept.
DUPLICATE_FEATURES = {
    "feat_duration_s": "duration_s",
    "feat_loudness_lufs": "loudness_after_lufs",
    "feat_true_peak_dbtp": "true_peak_dbtp",
}
# Features without a meaningful mean difference (pitch class 0..11 is circular).
CATEGORICAL_FEATURES = {"feat_key_estimate"}
# Features listed for information but never flagged: participants do not hear them.
NOT_HEARD_FEATURES = {"feat_loudness_before_lufs": "measured before normalisation; not what participants hear"}


# Plain words for well-known features: (name pattern, label, what "higher" sounds like,
# what "lower" sounds like). The first matching pattern wins, so specific names come first.
_WORDING: tuple[tuple[str, str, str, str], ...] = (
    (r"leading_silence", "silence at the start", "start with more silence", "start with less silence"),
    (r"trailing_silence", "silence at the end", "end with more silence", "end with less silence"),
    (r"longest_silence", "longest pause", "have longer silent pauses", "have shorter silent pauses"),
    (r"centroid", "spectral centroid", "are brighter", "are darker"),
    (r"roll_?off_99", "99% spectral roll-off", "reach higher frequencies", "stop at lower frequencies"),
    (r"roll_?off", "spectral roll-off", "have more high-frequency energy", "have less high-frequency energy"),
    (
        r"^bandwidth_hz",
        "audio bandwidth",
        "reach higher frequencies (less low-pass filtering)",
        "stop at lower frequencies (low-passed, e.g. by an earlier lossy encode)",
    ),
    (r"bandwidth", "spectral bandwidth", "have a wider spectrum", "have a narrower spectrum"),
    (r"stereo_width", "stereo width", "sound wider in stereo", "sound narrower, closer to mono"),
    (r"flatness", "spectral flatness", "sound noisier", "sound more tonal"),
    (r"contrast", "spectral contrast", "have more spectral contrast", "have less spectral contrast"),
    (r"zero_?crossing|zcr", "zero-crossing rate", "are noisier or brighter", "are smoother"),
    (r"onset", "onset rate", "are busier", "are sparser"),
    (
        r"tempo_alternative_strength",
        "metrical ambiguity of the beat",
        "have a beat more easily felt at two tempi",
        "have a clearer beat",
    ),
    (r"tempo_alternative", "other reading of the tempo", "have a faster other reading", "have a slower other reading"),
    (r"tempo|bpm", "tempo", "are faster", "are slower"),
    (r"harmonic_percussive", "harmonic-to-percussive ratio", "are more harmonic", "are more percussive"),
    (r"key_mode", "share of major keys", "are more often in a major key", "are more often in a minor key"),
    (r"key_clarity", "key clarity", "are more clearly in a key", "are less clearly in a key"),
    (r"loudness_after|loudness_lufs", "loudness after normalisation", "are louder", "are quieter"),
    (r"true_peak", "true peak", "have higher peaks", "have lower peaks"),
    (r"dynamic_range|crest", "dynamic range", "are more dynamic", "are more compressed"),
    (r"rms", "RMS level", "are louder on average", "are quieter on average"),
    (r"duration", "duration", "are longer", "are shorter"),
)
# Feature families summarised in one flag (many coefficients, no plain word per coefficient).
FEATURE_FAMILIES = {r"mfcc_": "timbre (MFCC coefficients)", r"chroma_": "pitch-class profile (chroma)"}
# Suffixes naming a spread statistic: "higher" then means "more variable", not "brighter".
_SPREAD_SUFFIX = re.compile(r"_(std|sd|var|iqr)$")


def hedges_g(ai: np.ndarray, human: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Hedges' g of ``ai`` minus ``human`` with a normal-approximation confidence interval.

    g comes from :func:`statsmodels.stats.meta_analysis.effectsize_smd` (pooled SD,
    small-sample correction ``J = 1 - 3 / (4 (n1 + n2) - 9)``). Its variance is Borenstein et
    al. (2009, eq. 4.20 and 4.24): ``V_g = J^2 ((n1 + n2) / (n1 n2) + d^2 / (2 (n1 + n2)))``.
    statsmodels' own variance divides by ``n1 + n2 - 3.94`` instead, which explodes for the
    tiny groups a library starts with (four clips: a 0.06 denominator).

    Parameters
    ----------
    ai, human : numpy.ndarray, shape (n,)
        Values per clip; at least two in each group.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    g, low, high : float
        NaN when a group has fewer than two values or both groups have zero variance.
    """
    n_ai, n_human = len(ai), len(human)
    if n_ai < 2 or n_human < 2:
        return math.nan, math.nan, math.nan
    sd_ai, sd_human = np.std(ai, ddof=1), np.std(human, ddof=1)
    if sd_ai == 0 and sd_human == 0:
        return math.nan, math.nan, math.nan
    g, _ = effectsize_smd(np.mean(ai), sd_ai, n_ai, np.mean(human), sd_human, n_human)
    n_total = n_ai + n_human
    correction = 1 - 3 / (4 * n_total - 9)
    d = g / correction
    variance = correction**2 * (n_total / (n_ai * n_human) + d**2 / (2 * n_total))
    half_width = stats.norm.ppf(0.5 + confidence / 2) * math.sqrt(variance)
    return float(g), float(g - half_width), float(g + half_width)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of ``p_values``; NaN entries stay NaN and are not counted.

    Parameters
    ----------
    p_values : numpy.ndarray, shape (n,)

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``q_i = min_{j >= i} p_(j) m / j`` in sorted order, capped at 1.
    """
    p_values = np.asarray(p_values, dtype=float)
    q_values = np.full(p_values.shape, math.nan)
    valid = np.flatnonzero(~np.isnan(p_values))
    if valid.size == 0:
        return q_values
    order = valid[np.argsort(p_values[valid])]
    ranked = p_values[order] * valid.size / np.arange(1, valid.size + 1)
    q_values[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q_values


def chance_of_large_g(threshold: float, n_ai: int, n_human: int) -> float:
    """Probability that |g| reaches ``threshold`` when the sources do not differ (normal values).

    ``g = J t sqrt(1/n_ai + 1/n_human)`` with ``t`` Student-distributed on ``n_ai + n_human - 2``
    degrees of freedom, so this is ``P(|t| >= threshold / (J sqrt(1/n_ai + 1/n_human)))``.
    """
    if n_ai < 2 or n_human < 2:
        return math.nan
    n_total = n_ai + n_human
    correction = 1 - 3 / (4 * n_total - 9)
    t_needed = threshold / (correction * math.sqrt(1 / n_ai + 1 / n_human))
    return float(2 * stats.t.sf(t_needed, n_total - 2))


def numeric_feature_columns(frame: pd.DataFrame) -> list[str]:
    """The columns compared by standardised difference: processing facts, then ``feat_*``.

    Features that repeat a processing fact and categorical features (key) are left out.
    """
    processing = [column for column in PROCESSING_COLUMNS if column in frame.columns]
    features = sorted(
        column
        for column in frame.columns
        if column.startswith(FEATURE_PREFIX)
        and column not in CATEGORICAL_FEATURES
        and DUPLICATE_FEATURES.get(column) not in processing
    )
    return processing + features


def not_compared_features(frame: pd.DataFrame) -> dict[str, str]:
    """Stored ``feat_*`` columns of ``frame`` that :func:`numeric_feature_columns` leaves out on purpose, with why.

    Features repeating a processing fact are not listed: they are compared under the fact's name.
    """
    return {
        feature_name(column): "a category (pitch class), not a quantity"
        for column in frame.columns
        if column in CATEGORICAL_FEATURES
    }


def feature_name(column: str) -> str:
    """``feat_spectral_centroid`` -> ``spectral_centroid``; processing columns stay as they are."""
    return column[len(FEATURE_PREFIX) :] if column.startswith(FEATURE_PREFIX) else column


def describe_difference(feature: str, g: float) -> str:
    """One plain-language sentence for a feature where AI and human clips differ.

    Parameters
    ----------
    feature : str
        Feature name without the ``feat_`` prefix, e.g. ``"spectral_centroid_mean"``.
    g : float
        Hedges' g of AI minus human (``±inf`` when the sources are perfectly separated).
    """
    higher = g > 0
    direction = "higher" if higher else "lower"
    for pattern, label, up, down in _WORDING:
        if re.search(pattern, feature):
            if _SPREAD_SUFFIX.search(feature):
                return f"AI clips have {'more' if higher else 'less'} variable {label} than human clips ({feature})"
            return f"AI clips {up if higher else down} than human clips ({direction} {label})"
    return f"AI clips have {direction} {feature.replace('_', ' ')} than human clips"


def feature_table(
    groups: dict[str, pd.DataFrame], columns: list[str], g_threshold: float, fdr_q: float = 0.05
) -> pd.DataFrame:
    """One row per feature: group sizes, means, SDs, g with its interval, rank test, q-value and flag.

    ``statistical``: separated by constant values, or ``q_fdr <= fdr_q`` with ``|g| >= g_threshold``.
    ``audible``: ``|mean_ai - mean_human| >= audible_min`` (the feature's audible threshold, in
    ``audible_unit``; NaN when none is known, and then never audible). ``flagged``: heard, and both.
    The q-values are computed over heard features with a p-value.
    """
    rows = [_feature_row(groups, column) for column in columns]
    table = pd.DataFrame(rows, columns=_TABLE_COLUMNS[:-4])
    heard = ~table["column"].isin(list(NOT_HEARD_FEATURES))
    table["q_fdr"] = math.nan
    if len(table):
        table.loc[heard, "q_fdr"] = benjamini_hochberg(table.loc[heard, "p_mannwhitney"].to_numpy(dtype=float))
    separated = np.isinf(table["g"].to_numpy(dtype=float))
    beyond_chance = (table["q_fdr"] <= fdr_q) & (table["g"].abs() >= g_threshold)
    table["statistical"] = (separated | beyond_chance).astype(bool)
    table["audible"] = ((table["mean_ai"] - table["mean_human"]).abs() >= table["audible_min"]).astype(bool)
    table["flagged"] = (heard & table["statistical"] & table["audible"]).astype(bool)
    return table[list(_TABLE_COLUMNS)]


_TABLE_COLUMNS = (
    "feature",
    "column",
    "n_human",
    "n_ai",
    "mean_human",
    "sd_human",
    "mean_ai",
    "sd_ai",
    "g",
    "g_low",
    "g_high",
    "p_mannwhitney",
    "auc",
    "note",
    "audible_min",
    "audible_unit",
    "q_fdr",
    "statistical",
    "audible",
    "flagged",
)


def _feature_row(groups: dict[str, pd.DataFrame], column: str) -> dict:
    human = pd.to_numeric(groups["human"][column], errors="coerce").dropna().to_numpy(dtype=float)
    ai = pd.to_numeric(groups["ai"][column], errors="coerce").dropna().to_numpy(dtype=float)
    g, low, high = hedges_g(ai, human)
    note = ""
    if len(ai) >= 2 and len(human) >= 2 and np.isnan(g):
        # Both sources constant: identical values are fine, different ones are a perfect tell.
        if np.mean(ai) != np.mean(human):
            g = low = high = math.copysign(math.inf, np.mean(ai) - np.mean(human))
            note = "constant within each source but different between them"
        else:
            note = "identical in every clip"
    elif len(ai) < 2 or len(human) < 2:
        note = "needs at least 2 clips per source"
    p_value = auc = math.nan
    if len(ai) and len(human):
        test = stats.mannwhitneyu(ai, human, alternative="two-sided")
        auc = float(test.statistic) / (len(ai) * len(human))
        # Identical values carry no evidence either way; leaving them out of the FDR count is exact.
        p_value = float(test.pvalue) if note != "identical in every clip" else math.nan
    audible = audible_threshold(feature_name(column))
    return {
        "feature": feature_name(column),
        "column": column,
        "n_human": len(human),
        "n_ai": len(ai),
        "mean_human": _mean(human),
        "sd_human": _sd(human),
        "mean_ai": _mean(ai),
        "sd_ai": _sd(ai),
        "g": g,
        "g_low": low,
        "g_high": high,
        "p_mannwhitney": p_value,
        "auc": auc,
        "note": NOT_HEARD_FEATURES.get(column, note),
        "audible_min": audible.minimum if audible else math.nan,
        "audible_unit": audible.unit if audible else "",
    }


def feature_flags(table: pd.DataFrame) -> list[str]:
    """One sentence per flagged feature, largest |g| first; MFCC and chroma get one sentence per family."""
    flagged = table[table["flagged"]].copy()
    flagged["size"] = flagged["g"].abs()
    flagged["family"] = [next((f for f in FEATURE_FAMILIES if re.match(f, name)), "") for name in flagged["feature"]]
    sentences = []
    for family, rows in flagged.groupby("family", sort=False):
        rows = rows.sort_values("size", ascending=False)
        if family:
            largest = rows.iloc[0]
            of_family = table["feature"].str.match(family).sum()
            sentence = (
                f"AI and human clips differ in {FEATURE_FAMILIES[family]}: {len(rows)} of {of_family} "
                f"beyond chance and audible, largest {largest['feature']} {_g_clause(largest)}."
            )
            sentences.append((largest["size"], sentence))
            continue
        for _, row in rows.iterrows():
            sentence = describe_difference(row["feature"], row["g"])
            sentences.append((row["size"], f"{sentence}{': ' if math.isinf(row['g']) else '; '}{_g_clause(row)}."))
    return [sentence for _, sentence in sorted(sentences, key=lambda item: -item[0])]


def _g_clause(row: pd.Series) -> str:
    """Which thresholds the flag passed: the statistical one, then the audible one."""
    audible = (
        f"audible: means differ by {_amount(abs(row['mean_ai'] - row['mean_human']), row['audible_unit'])}, "
        f"at least {_amount(row['audible_min'], row['audible_unit'])}"
    )
    if math.isinf(row["g"]):
        return f"{row['note']}; {audible}"
    return (
        f"g = {row['g']:+.2f} (95% CI {row['g_low']:+.2f} to {row['g_high']:+.2f}; beyond chance: "
        f"FDR q = {row['q_fdr']:.3f}; {audible})"
    )


def _amount(value: float, unit: str) -> str:
    return f"{value:.3g}{' ' + unit if unit else ''}"


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _sd(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if len(values) >= 2 else math.nan
