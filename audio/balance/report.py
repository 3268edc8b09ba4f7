"""The library balance report: could a listener tell human from AI clips without musical judgement?

Before a study starts, human and AI clips should differ only in who made them. This module
compares the two sources on every numeric feature (Hedges' g with a 95 % confidence interval, a
Mann-Whitney rank test, Benjamini-Hochberg false-discovery control across features) and runs
library-level checks (served durations, sample rates, channel counts, codecs and byte sizes;
the originals' format, sample rate and channels; loudness after normalisation and loudness
warnings; unmatched pair ids; genre and vocal mix). Each problem becomes a plain-language flag.

A flag means what it says: a feature is flagged only when its difference is beyond chance with
the false discovery rate controlled (so a library whose sources do not differ raises a feature
flag at most 5 % of the time), and the report states how many large differences chance alone
would produce with the library's clip counts. Large differences that are not beyond chance are
listed as notes to listen to, not as flags.

Sign convention: AI is the signal, so ``g > 0`` means AI clips have the higher value.

:func:`balance_report` is pure (a frame in, a report out) so it can be tested without a
database; :func:`build_report` reads the live library through :mod:`audio.library`. The feature
comparison is :mod:`audio.balance.effect_sizes`, the library-level checks :mod:`audio.balance.checks`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audio import library
from audio.balance import checks
from audio.balance.baseline import MachineBaseline, machine_baseline
from audio.balance.effect_sizes import (
    chance_of_large_g,
    feature_flags,
    feature_table,
    not_compared_features,
    numeric_feature_columns,
)
from core.vocabulary import SOURCES


@dataclass
class BalanceReport:
    """Human-vs-AI comparison of the active clip library.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per numeric feature with columns ``feature``, ``label``, ``n_human``,
        ``n_ai``, ``mean_human``, ``sd_human``, ``mean_ai``, ``sd_ai``, ``g``, ``g_low``,
        ``g_high`` (Hedges' g of AI minus human with its 95 % CI), ``p_mannwhitney``
        (two-sided rank test), ``auc`` (probability that a random AI clip has the higher
        value; 0.5 = no difference), ``note``, ``audible_min`` and ``audible_unit`` (the
        smallest difference of means a listener could hear, :mod:`audio.balance.audible`),
        ``q_fdr`` (Benjamini-Hochberg q-value over the heard features), ``statistical``
        (``q_fdr <= fdr_q`` and ``|g| >= g_threshold``, or perfectly separated sources),
        ``audible`` (means differ by at least ``audible_min``) and ``flagged`` (both).
    flags : list of str
        Plain-language problems, most basic first; empty when the library looks balanced.
    notes : list of str
        What to listen to but is not beyond chance (large differences with few clips), and
        how many such differences chance alone produces.
    counts : dict
        Active clips per source, ``{"human": int, "ai": int}``.
    formats : dict
        For each format column, ``{source: {value: count}}``.
    g_threshold : float
        The smallest ``|g|`` flagged (when also beyond chance).
    fdr_q : float
        The false discovery rate the feature flags are controlled at.
    chance : dict
        ``n_tested`` (heard features with a test), ``large_g`` (the |g| called large in notes)
        and ``expected_large_by_chance`` (how many features reach it by chance alone with these
        clip counts, normal values).
    baseline : MachineBaseline or None
        Could a simple classifier tell the sources apart (:mod:`audio.balance.baseline`)? None
        with too few clips.
    """

    table: pd.DataFrame
    flags: list[str]
    counts: dict[str, int]
    formats: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    g_threshold: float = 0.3
    fdr_q: float = 0.05
    notes: list[str] = field(default_factory=list)
    chance: dict[str, float] = field(default_factory=dict)
    baseline: MachineBaseline | None = None

    @property
    def balanced(self) -> bool:
        """True when no check raised a flag."""
        return not self.flags

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (NaN and infinities become ``None``; the note says why)."""
        rows = [{key: _json_value(value) for key, value in row.items()} for row in self.table.to_dict("records")]
        result = {
            "g_threshold": float(self.g_threshold),
            "fdr_q": float(self.fdr_q),
            "counts": {key: int(value) for key, value in self.counts.items()},
            "balanced": self.balanced,
            "flags": list(self.flags),
            "notes": list(self.notes),
            "chance": {key: _json_value(value) for key, value in self.chance.items()},
            "machine_baseline": self.baseline.to_dict() if self.baseline is not None else None,
            "formats": self.formats,
            "features": rows,
        }
        json.dumps(result, allow_nan=False)  # fail here, not in a caller's export
        return result

    def to_text(self) -> str:
        """A plain-text report: counts, flags, then the standardised-difference table."""
        lines = [
            f"Balance report: {self.counts.get('human', 0)} human and {self.counts.get('ai', 0)} AI clips "
            f"(a feature is flagged when beyond chance at false discovery rate {self.fdr_q:.0%} with "
            f"|g| >= {self.g_threshold:.2f}, and its means differ by at least the audible threshold; "
            "g > 0 means AI clips are higher)",
            "",
        ]
        if self.flags:
            lines.append(f"{len(self.flags)} flag(s):")
            lines.extend(f"  - {flag}" for flag in self.flags)
        else:
            lines.append("No flags: formats match and no feature differs beyond chance.")
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"  - {note}" for note in self.notes)
        lines.append("")
        if self.table.empty:
            lines.append("(no numeric features to compare)")
            return "\n".join(lines)
        header = ("feature", "n human/AI", "human mean (SD)", "AI mean (SD)", "g [95% CI]", "q", "audible >=", "flag")
        body = [
            (
                row.feature,
                f"{row.n_human}/{row.n_ai}",
                _mean_sd(row.mean_human, row.sd_human),
                _mean_sd(row.mean_ai, row.sd_ai),
                _g_text(row.g, row.g_low, row.g_high, row.note),
                "-" if np.isnan(row.q_fdr) else f"{row.q_fdr:.3f}",
                "-" if np.isnan(row.audible_min) else f"{row.audible_min:g} {row.audible_unit}".strip(),
                "*" if row.flagged else "",
            )
            for row in self.table.itertuples()
        ]
        widths = [max(len(cells[i]) for cells in (header, *body)) for i in range(len(header))]
        for cells in (header, tuple("-" * width for width in widths), *body):
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
        return "\n".join(lines)


def balance_report(
    frame: pd.DataFrame,
    g_threshold: float = 0.3,
    duration_tolerance_s: float = 0.1,
    loudness_tolerance_lu: float = 1.0,
    composition_tolerance: float = 0.25,
    fdr_q: float = 0.05,
    large_g: float = 0.8,
    with_baseline: bool = True,
) -> BalanceReport:
    """Compare human and AI clips in a library frame and flag what could give the source away.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per clip as returned by ``audio.library.features_frame``: ``source``
        ("human"/"ai"), processing facts (``duration_s``, ``sample_rate``, ``channels``,
        ``codec``, ``served_size_bytes``, ``loudness_after_lufs``, ``true_peak_dbtp``,
        ``loudness_flag``), the originals' ``original_format``, ``original_sample_rate`` and
        ``original_channels``, catalogue facts (``genre``, ``vocals``, ``pair_id``) and
        ``feat_<name>`` columns. Missing columns are skipped. Rows with a true ``retired``
        column are ignored.
    g_threshold : float
        Smallest |g| flagged (a difference beyond chance but smaller is not worth a flag).
    duration_tolerance_s : float
        Flag when clip durations span more than this many seconds.
    loudness_tolerance_lu : float
        Flag when integrated loudness after normalisation spans more than this (LU).
    composition_tolerance : float
        Flag a genre, vocals or originals' category whose share differs by at least this between sources.
    fdr_q : float
        False discovery rate of the feature flags (Benjamini-Hochberg).
    large_g : float
        |g| from which a difference not beyond chance is still listed as a note (0.8: "large").
    with_baseline : bool
        Also cross-validate the machine baseline (a flag when its AUC interval lies above 0.5).

    Returns
    -------
    BalanceReport
    """
    active = frame
    if "retired" in frame.columns:
        active = frame[~frame["retired"].fillna(False).astype(bool)]
    source = active["source"].astype(str).str.lower() if "source" in active.columns else pd.Series(dtype=str)
    groups = {str(name): active[source == name] for name in SOURCES}
    counts = {name: int(len(group)) for name, group in groups.items()}

    table = feature_table(groups, numeric_feature_columns(active), g_threshold, fdr_q)
    formats = checks.format_summary(groups)

    flags = checks.count_flags(counts)
    flags += checks.format_flags(formats)
    flags += checks.served_size_flags(groups)
    flags += checks.original_flags(groups, composition_tolerance)
    flags += checks.range_flags(active, duration_tolerance_s, loudness_tolerance_lu)
    flags += checks.loudness_warning_flags(groups)
    flags += feature_flags(table)
    silence_flags, silence_notes = checks.silence_flags(groups, fdr_q)
    flags += silence_flags
    flags += checks.composition_flags(groups, composition_tolerance)
    if counts["human"] and counts["ai"]:
        flags += checks.pair_flags(active, source)
    chance = _chance(table, large_g)
    notes = _notes(table, chance, fdr_q) + silence_notes
    baseline = (
        machine_baseline(groups, numeric_feature_columns(active), not_compared=not_compared_features(active))
        if with_baseline
        else None
    )
    if baseline is not None:
        (flags if baseline.beyond_chance else notes).append(
            baseline.describe() + (" Find and remove the confound before launch." if baseline.beyond_chance else "")
        )
    return BalanceReport(
        table=table,
        flags=flags,
        counts=counts,
        formats=formats,
        g_threshold=g_threshold,
        fdr_q=fdr_q,
        notes=notes,
        chance=chance,
        baseline=baseline,
    )


def _chance(table: pd.DataFrame, large_g: float) -> dict[str, float]:
    """How many heard features chance alone takes to ``|g| >= large_g`` with these clip counts."""
    tested = table[table["q_fdr"].notna()] if len(table) else table
    expected = sum(chance_of_large_g(large_g, int(row.n_ai), int(row.n_human)) for row in tested.itertuples())
    return {
        "n_tested": int(len(tested)),
        "large_g": float(large_g),
        "expected_large_by_chance": float(expected) if len(tested) else 0.0,
    }


def _notes(table: pd.DataFrame, chance: dict[str, float], fdr_q: float) -> list[str]:
    """Large differences that are not beyond chance, beside how many chance alone gives."""
    if not chance["n_tested"]:
        return []
    large = table[(table["g"].abs() >= chance["large_g"]) & ~table["flagged"] & table["q_fdr"].notna()]
    expected = chance["expected_large_by_chance"]
    summary = (
        f"{chance['n_tested']} features tested; with these clip counts about {expected:.1f} of them reach "
        f"|g| >= {chance['large_g']:g} by chance alone, and the chance of any feature flag when the sources "
        f"do not differ is at most {fdr_q:.0%}."
    )
    notes = [summary]
    large = large[~large["statistical"]]
    if not large.empty:
        names = ", ".join(
            f"{row.feature} (g = {row.g:+.2f})"
            for row in large.reindex(large["g"].abs().sort_values(ascending=False).index).itertuples()
        )
        notes.append(f"{len(large)} large difference(s) not beyond chance, worth listening to: {names}.")
    inaudible = table[table["statistical"] & ~table["audible"] & table["q_fdr"].notna()]
    if not inaudible.empty:
        names = ", ".join(
            f"{row.feature} (means differ by {abs(row.mean_ai - row.mean_human):.3g}"
            + (
                f", below the audible {row.audible_min:g}{' ' + row.audible_unit if row.audible_unit else ''})"
                if not np.isnan(row.audible_min)
                else ", no audible threshold known)"
            )
            for row in inaudible.itertuples()
        )
        notes.append(f"{len(inaudible)} difference(s) beyond chance but too small to hear, so not flagged: {names}.")
    return notes


def build_report(session, **options) -> BalanceReport:
    """The balance report of the active (non-retired) library; ``options`` go to :func:`balance_report`."""
    return balance_report(library.features_frame(session, include_retired=False), **options)


def clips_baseline(session, clip_ids: Iterable[int]) -> MachineBaseline | None:
    """The machine baseline on the clips ``clip_ids`` (retired ones included: they may have been heard).

    What results set beside the listeners' AUC: could a simple classifier on the stored features
    tell these very clips apart? None with too few clips per source (see :func:`machine_baseline`).
    """
    frame = library.features_frame(session, include_retired=True)
    frame = frame[frame["clip_id"].isin(set(int(i) for i in clip_ids))]
    source = frame["source"].astype(str).str.lower()
    groups = {str(name): frame[source == name] for name in SOURCES}
    return machine_baseline(groups, numeric_feature_columns(frame), not_compared=not_compared_features(frame))


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
