"""The library balance report: could a listener tell human from AI clips without musical judgement?

Before a study starts, human and AI clips should differ only in who made them. This module
compares the two sources on every numeric feature (standardised difference, Hedges' g with a
95 % confidence interval) and runs format-level checks (durations, sample rates, channel counts,
codecs, loudness after normalisation, loudness warnings, clip counts, unmatched pair ids,
genre and vocal mix). Each problem becomes a plain-language flag.

Sign convention: AI is the signal, so ``g > 0`` means AI clips have the higher value.

:func:`balance_report` is pure (a frame in, a report out) so it can be tested without a
database; :func:`build_report` reads the live library through :mod:`audio.library`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import effectsize_smd

SOURCES = ("human", "ai")
SOURCE_LABELS = {"human": "human", "ai": "AI"}
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

# Format facts that should be identical for every clip after processing.
FORMAT_COLUMNS = {"sample_rate": "sample rate", "channels": "channel count", "codec": "codec"}
FORMAT_UNITS = {"sample_rate": " Hz", "channels": " ch", "codec": ""}

# Catalogue facts whose mix should be similar in both sources (else genre, not source, may be heard).
COMPOSITION_COLUMNS = {"genre": "genre", "vocals": "vocals"}

# Plain words for well-known features: (name pattern, label, what "higher" sounds like,
# what "lower" sounds like). The first matching pattern wins, so specific names come first.
_WORDING: tuple[tuple[str, str, str, str], ...] = (
    (r"centroid", "spectral centroid", "are brighter", "are darker"),
    (r"roll_?off_99", "99% spectral roll-off", "reach higher frequencies", "stop at lower frequencies"),
    (r"roll_?off", "spectral roll-off", "have more high-frequency energy", "have less high-frequency energy"),
    (r"bandwidth", "spectral bandwidth", "have a wider spectrum", "have a narrower spectrum"),
    (r"flatness", "spectral flatness", "sound noisier", "sound more tonal"),
    (r"contrast", "spectral contrast", "have more spectral contrast", "have less spectral contrast"),
    (r"zero_?crossing|zcr", "zero-crossing rate", "are noisier or brighter", "are smoother"),
    (r"onset", "onset rate", "are busier", "are sparser"),
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


@dataclass
class BalanceReport:
    """Human-vs-AI comparison of the active clip library.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per numeric feature with columns ``feature``, ``label``, ``n_human``,
        ``n_ai``, ``mean_human``, ``sd_human``, ``mean_ai``, ``sd_ai``, ``g``, ``g_low``,
        ``g_high`` (Hedges' g of AI minus human with its 95 % CI), ``p_mannwhitney``
        (two-sided, descriptive only), ``auc`` (probability that a random AI clip has the
        higher value; 0.5 = no difference), ``note`` and ``flagged`` (``|g| >= g_threshold``
        or perfectly separated sources).
    flags : list of str
        Plain-language problems, most basic first; empty when the library looks balanced.
    counts : dict
        Active clips per source, ``{"human": int, "ai": int}``.
    formats : dict
        For each format column, ``{source: {value: count}}``.
    g_threshold : float
        The ``|g|`` at or above which a feature is flagged.
    """

    table: pd.DataFrame
    flags: list[str]
    counts: dict[str, int]
    formats: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    g_threshold: float = 0.5

    @property
    def balanced(self) -> bool:
        """True when no check raised a flag."""
        return not self.flags

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (NaN and infinities become ``None``; the note says why)."""
        rows = [{key: _json_value(value) for key, value in row.items()} for row in self.table.to_dict("records")]
        result = {
            "g_threshold": float(self.g_threshold),
            "counts": {key: int(value) for key, value in self.counts.items()},
            "balanced": self.balanced,
            "flags": list(self.flags),
            "formats": self.formats,
            "features": rows,
        }
        json.dumps(result, allow_nan=False)  # fail here, not in a caller's export
        return result

    def to_text(self) -> str:
        """A plain-text report: counts, flags, then the standardised-difference table."""
        lines = [
            f"Balance report: {self.counts.get('human', 0)} human and {self.counts.get('ai', 0)} AI clips "
            f"(flag at |g| >= {self.g_threshold:.2f}; g > 0 means AI clips are higher)",
            "",
        ]
        if self.flags:
            lines.append(f"{len(self.flags)} flag(s):")
            lines.extend(f"  - {flag}" for flag in self.flags)
        else:
            lines.append("No flags: no format difference and no feature with |g| at or above the threshold.")
        lines.append("")
        if self.table.empty:
            lines.append("(no numeric features to compare)")
            return "\n".join(lines)
        header = ("feature", "n human/AI", "human mean (SD)", "AI mean (SD)", "g [95% CI]", "flag")
        body = [
            (
                row.feature,
                f"{row.n_human}/{row.n_ai}",
                _mean_sd(row.mean_human, row.sd_human),
                _mean_sd(row.mean_ai, row.sd_ai),
                _g_text(row.g, row.g_low, row.g_high, row.note),
                "*" if row.flagged else "",
            )
            for row in self.table.itertuples()
        ]
        widths = [max(len(cells[i]) for cells in (header, *body)) for i in range(len(header))]
        for cells in (header, tuple("-" * width for width in widths), *body):
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
        return "\n".join(lines)


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


def numeric_feature_columns(frame: pd.DataFrame) -> list[str]:
    """The columns compared by standardised difference: processing facts, then ``feat_*``.

    Features that repeat a processing fact and categorical features (key) are left out.
    """
    processing = [column for column in PROCESSING_COLUMNS if column in frame.columns]
    features = sorted(
        column for column in frame.columns
        if column.startswith(FEATURE_PREFIX)
        and column not in CATEGORICAL_FEATURES
        and DUPLICATE_FEATURES.get(column) not in processing
    )
    return processing + features


def feature_name(column: str) -> str:
    """``feat_spectral_centroid`` -> ``spectral_centroid``; processing columns stay as they are."""
    return column[len(FEATURE_PREFIX):] if column.startswith(FEATURE_PREFIX) else column


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


def balance_report(
    frame: pd.DataFrame,
    g_threshold: float = 0.5,
    duration_tolerance_s: float = 0.1,
    loudness_tolerance_lu: float = 1.0,
    composition_tolerance: float = 0.25,
) -> BalanceReport:
    """Compare human and AI clips in a library frame and flag what could give the source away.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per clip as returned by ``audio.library.features_frame``: ``source``
        ("human"/"ai"), processing facts (``duration_s``, ``sample_rate``, ``channels``,
        ``codec``, ``loudness_after_lufs``, ``true_peak_dbtp``, ``loudness_flag``), catalogue
        facts (``genre``, ``vocals``, ``pair_id``) and ``feat_<name>`` columns. Missing
        columns are skipped. Rows with a true ``retired`` column are ignored.
    g_threshold : float
        Flag a feature when ``|g|`` is at or above this (0.5 = a "medium" difference).
    duration_tolerance_s : float
        Flag when clip durations span more than this many seconds.
    loudness_tolerance_lu : float
        Flag when integrated loudness after normalisation spans more than this (LU).
    composition_tolerance : float
        Flag a genre or vocals category whose share differs by at least this between sources.

    Returns
    -------
    BalanceReport
    """
    active = frame
    if "retired" in frame.columns:
        active = frame[~frame["retired"].fillna(False).astype(bool)]
    source = active["source"].astype(str).str.lower() if "source" in active.columns else pd.Series(dtype=str)
    groups = {name: active[source == name] for name in SOURCES}
    counts = {name: int(len(group)) for name, group in groups.items()}

    table = _feature_table(groups, numeric_feature_columns(active), g_threshold)
    formats = _format_summary(groups)

    flags = _count_flags(counts)
    flags += _format_flags(formats)
    flags += _range_flags(active, duration_tolerance_s, loudness_tolerance_lu)
    flags += _loudness_warning_flags(groups)
    flags += _feature_flags(table)
    flags += _composition_flags(groups, composition_tolerance)
    if counts["human"] and counts["ai"]:
        flags += _pair_flags(active, source)
    return BalanceReport(table=table, flags=flags, counts=counts, formats=formats, g_threshold=g_threshold)


def build_report(session, **options) -> BalanceReport:
    """The balance report of the active (non-retired) library; ``options`` go to :func:`balance_report`."""
    from audio.library import features_frame

    return balance_report(features_frame(session, include_retired=False), **options)


# --- the pieces --------------------------------------------------------------------------------


def _feature_table(groups: dict[str, pd.DataFrame], columns: list[str], g_threshold: float) -> pd.DataFrame:
    rows = []
    for column in columns:
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
            p_value, auc = float(test.pvalue), float(test.statistic) / (len(ai) * len(human))
        rows.append(
            {
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
                "flagged": bool(column not in NOT_HEARD_FEATURES and not np.isnan(g) and abs(g) >= g_threshold),
            }
        )
    columns_out = ["feature", "column", "n_human", "n_ai", "mean_human", "sd_human", "mean_ai", "sd_ai",
                   "g", "g_low", "g_high", "p_mannwhitney", "auc", "note", "flagged"]
    return pd.DataFrame(rows, columns=columns_out)


def _format_summary(groups: dict[str, pd.DataFrame]) -> dict[str, dict[str, dict[str, int]]]:
    summary: dict[str, dict[str, dict[str, int]]] = {}
    for column in FORMAT_COLUMNS:
        if all(column in group.columns for group in groups.values()):
            summary[column] = {
                name: {str(value): int(count) for value, count in group[column].dropna().value_counts().sort_index().items()}
                for name, group in groups.items()
            }
    return summary


def _count_flags(counts: dict[str, int]) -> list[str]:
    human, ai = counts["human"], counts["ai"]
    if human == 0 or ai == 0:
        missing = "human" if human == 0 else "AI"
        return [f"There are no active {missing} clips: a study needs both sources ({human} human, {ai} AI)."]
    flags = []
    if human != ai:
        flags.append(f"Unequal numbers of clips: {human} human vs {ai} AI; listeners could learn the base rate.")
    if human < 2 or ai < 2:
        flags.append("Fewer than 2 clips in a source: standardised differences cannot be computed.")
    return flags


def _format_flags(formats: dict[str, dict[str, dict[str, int]]]) -> list[str]:
    flags = []
    for column, by_source in formats.items():
        values = {value for per_source in by_source.values() for value in per_source}
        if len(values) > 1:
            unit = FORMAT_UNITS[column]
            parts = [
                f"{SOURCE_LABELS[name]} " + ", ".join(f"{value}{unit} ×{count}" for value, count in per_source.items())
                for name, per_source in by_source.items()
                if per_source
            ]
            flags.append(
                f"Clips differ in {FORMAT_COLUMNS[column]} ({'; '.join(parts)}); every clip should be "
                "re-encoded the same way (re-process the library)."
            )
    return flags


def _range_flags(active: pd.DataFrame, duration_tolerance_s: float, loudness_tolerance_lu: float) -> list[str]:
    flags = []
    checks = (
        ("duration_s", duration_tolerance_s, "Clip durations", "s", "a listener could tell clips apart by length"),
        ("loudness_after_lufs", loudness_tolerance_lu, "Loudness after normalisation", "LUFS",
         "some clips could not reach the target (true-peak ceiling?) and sound quieter"),
    )
    for column, tolerance, what, unit, why in checks:
        if column not in active.columns:
            continue
        values = pd.to_numeric(active[column], errors="coerce").dropna()
        if len(values) >= 2 and values.max() - values.min() > tolerance:
            flags.append(
                f"{what} range from {values.min():.2f} to {values.max():.2f} {unit} "
                f"(spread {values.max() - values.min():.2f}, tolerance {tolerance:g}); {why}."
            )
    return flags


def _loudness_warning_flags(groups: dict[str, pd.DataFrame]) -> list[str]:
    if not all("loudness_flag" in group.columns for group in groups.values()):
        return []
    warned = {
        name: group["loudness_flag"].fillna("").astype(str).str.strip().loc[lambda s: s != ""]
        for name, group in groups.items()
    }
    total = sum(len(series) for series in warned.values())
    if total == 0:
        return []
    example = next(series.iloc[0] for series in warned.values() if len(series))
    return [
        f"{total} clip(s) carry a loudness warning (human {len(warned['human'])}, AI {len(warned['ai'])}), "
        f"e.g. \"{example}\"."
    ]


def _feature_flags(table: pd.DataFrame) -> list[str]:
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
            sentence = (f"AI and human clips differ in {FEATURE_FAMILIES[family]}: {len(rows)} of {of_family} "
                        f"at or above the threshold, largest {largest['feature']} {_g_clause(largest)}.")
            sentences.append((largest["size"], sentence))
            continue
        for _, row in rows.iterrows():
            sentence = describe_difference(row["feature"], row["g"])
            sentences.append((row["size"], f"{sentence}{': ' if math.isinf(row['g']) else '; '}{_g_clause(row)}."))
    return [sentence for _, sentence in sorted(sentences, key=lambda item: -item[0])]


def _g_clause(row: pd.Series) -> str:
    if math.isinf(row["g"]):
        return row["note"]
    return f"g = {row['g']:+.2f} (95% CI {row['g_low']:+.2f} to {row['g_high']:+.2f})"


def _composition_flags(groups: dict[str, pd.DataFrame], tolerance: float) -> list[str]:
    if any(len(group) == 0 for group in groups.values()):
        return []
    flags = []
    for column, label in COMPOSITION_COLUMNS.items():
        if not all(column in group.columns for group in groups.values()):
            continue
        shares = {
            name: group[column].fillna("(not set)").astype(str).replace("", "(not set)").value_counts(normalize=True)
            for name, group in groups.items()
        }
        categories = sorted(set(shares["human"].index) | set(shares["ai"].index))
        if categories == ["(not set)"]:
            continue
        if any(abs(shares["ai"].get(c, 0.0) - shares["human"].get(c, 0.0)) >= tolerance for c in categories):
            mix = {
                name: ", ".join(f"{category} {share:.0%}" for category, share in shares[name].sort_index().items())
                for name in SOURCES
            }
            flags.append(
                f"{label.capitalize()} mix differs between sources (AI: {mix['ai']}; human: {mix['human']}); "
                f"listeners could answer by {label} instead of source."
            )
    return flags


def _pair_flags(active: pd.DataFrame, source: pd.Series) -> list[str]:
    if "pair_id" not in active.columns:
        return []
    pair = active["pair_id"].fillna("").astype(str).str.strip()
    paired = pair != ""
    if not paired.any():
        return []
    flags = []
    unmatched = []
    for pair_id, sources in source[paired].groupby(pair[paired]):
        present = set(sources)
        if not {"human", "ai"} <= present:
            only = ", ".join(SOURCE_LABELS.get(value, value) for value in sorted(present))
            unmatched.append(f"{pair_id} (only {only})")
    if unmatched:
        flags.append(f"{len(unmatched)} pair id(s) lack a human or AI partner: {', '.join(unmatched)}.")
    unpaired = int((~paired).sum())
    if unpaired:
        flags.append(f"{unpaired} clip(s) have no pair id while {int(paired.sum())} do.")
    return flags


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _sd(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if len(values) >= 2 else math.nan


def _mean_sd(mean: float, sd: float) -> str:
    if np.isnan(mean):
        return "-"
    return f"{mean:.4g} ({sd:.3g})" if not np.isnan(sd) else f"{mean:.4g}"


def _g_text(g: float, low: float, high: float, note: str) -> str:
    if math.isinf(g):
        return f"{'+' if g > 0 else '-'}inf (separated)"
    if np.isnan(g):
        return f"- ({note})" if note else "-"
    return f"{g:+.2f} [{low:+.2f}, {high:+.2f}]"


def _json_value(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value
