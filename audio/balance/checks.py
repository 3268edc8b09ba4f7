"""Library-level checks of the balance report: counts, formats, originals, sizes, ranges, loudness, mix, pairs.

Each check returns plain-language flags (empty when nothing is wrong); the format summary is
also reported as it is.
"""

from __future__ import annotations

import pandas as pd
from scipy import stats

from core.vocabulary import SOURCES, Source

#: How each source is named in flags and charts.
SOURCE_LABELS = {"human": "human", "ai": "AI"}

# Format facts that should be identical for every clip after processing.
FORMAT_COLUMNS = {"sample_rate": "sample rate", "channels": "channel count", "codec": "codec"}
FORMAT_UNITS = {"sample_rate": " Hz", "channels": " ch", "codec": ""}

# Catalogue facts whose mix should be similar in both sources (else genre, not source, may be heard).
COMPOSITION_COLUMNS = {"genre": "genre", "vocals": "vocals"}

# Facts of the uploaded originals: processing makes the served files alike, but a source whose
# originals were lossy, band-limited or mono can still be heard (see the bandwidth_hz and
# stereo_width features), so a different mix is flagged.
ORIGINAL_COLUMNS = {
    "original_format": "file format",
    "original_sample_rate": "sample rate",
    "original_channels": "channel count",
}


def format_summary(groups: dict[str, pd.DataFrame]) -> dict[str, dict[str, dict[str, int]]]:
    """For each format column present, ``{source: {value: count}}``."""
    summary: dict[str, dict[str, dict[str, int]]] = {}
    for column in FORMAT_COLUMNS:
        if all(column in group.columns for group in groups.values()):
            summary[column] = {
                name: {
                    str(value): int(count)
                    for value, count in group[column].dropna().value_counts().sort_index().items()
                }
                for name, group in groups.items()
            }
    return summary


def count_flags(counts: dict[str, int]) -> list[str]:
    human, ai = counts["human"], counts["ai"]
    if human == 0 or ai == 0:
        missing = "human" if human == 0 else "AI"
        return [f"There are no active {missing} clips: a study needs both sources ({human} human, {ai} AI)."]
    # Unequal totals are no flag: every participant hears as many human as AI clips (trial
    # assignment balances each list), so there is no base rate to learn.
    flags = []
    if human < 2 or ai < 2:
        flags.append("Fewer than 2 clips in a source: standardised differences cannot be computed.")
    return flags


def format_flags(formats: dict[str, dict[str, dict[str, int]]]) -> list[str]:
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


def range_flags(active: pd.DataFrame, duration_tolerance_s: float, loudness_tolerance_lu: float) -> list[str]:
    flags = []
    checks = (
        ("duration_s", duration_tolerance_s, "Clip durations", "s", "a listener could tell clips apart by length"),
        (
            "loudness_after_lufs",
            loudness_tolerance_lu,
            "Loudness after normalisation",
            "LUFS",
            "some clips could not reach the target (true-peak ceiling?) and sound quieter",
        ),
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


def loudness_warning_flags(groups: dict[str, pd.DataFrame]) -> list[str]:
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
        f'e.g. "{example}".'
    ]


def composition_flags(groups: dict[str, pd.DataFrame], tolerance: float) -> list[str]:
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
                f"{label.capitalize()} mix differs between sources "
                f"(AI: {mix[Source.AI]}; human: {mix[Source.HUMAN]}); "
                f"listeners could answer by {label} instead of source."
            )
    return flags


def pair_flags(active: pd.DataFrame, source: pd.Series) -> list[str]:
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


def original_flags(groups: dict[str, pd.DataFrame], tolerance: float) -> list[str]:
    """Flags for originals whose format, sample rate or channel count is mixed differently per source."""
    flags = []
    for column, label in ORIGINAL_COLUMNS.items():
        shares = _shares(groups, column)
        if shares is None or not _differ(shares, tolerance):
            continue
        flags.append(
            f"The originals differ in {label} (AI: {_mix(shares['ai'])}; human: {_mix(shares['human'])}). "
            "The served files are alike, but the sources went through different production chains; check "
            "the audio bandwidth (an earlier lossy encode cuts it) and stereo width (mono originals) features, "
            "and listen for codec artefacts."
        )
    return flags


def served_size_flags(groups: dict[str, pd.DataFrame]) -> list[str]:
    """A flag when served files differ in byte size: anyone with the browser's developer tools can read it."""
    if not all("served_size_bytes" in group.columns for group in groups.values()):
        return []
    sizes = {
        name: pd.to_numeric(group["served_size_bytes"], errors="coerce").dropna() for name, group in groups.items()
    }
    every = pd.concat(list(sizes.values()))
    if every.nunique() <= 1:
        return []
    means = {name: f"{values.mean():,.0f} B" if len(values) else "-" for name, values in sizes.items()}
    return [
        f"Served files differ in size (human mean {means['human']}, AI mean {means['ai']}, range "
        f"{every.min():,.0f} to {every.max():,.0f} B): a participant can read sizes in the browser's developer "
        "tools. Re-process the library: current processing encodes at a constant bit rate, which gives every "
        "clip of one length the same size."
    ]


def _shares(groups: dict[str, pd.DataFrame], column: str) -> dict[str, pd.Series] | None:
    if any(len(group) == 0 or column not in group.columns for group in groups.values()):
        return None
    shares = {name: group[column].dropna().astype(str).value_counts(normalize=True) for name, group in groups.items()}
    return shares if all(len(share) for share in shares.values()) else None


def _differ(shares: dict[str, pd.Series], tolerance: float) -> bool:
    categories = set(shares["human"].index) | set(shares["ai"].index)
    return any(abs(shares["ai"].get(c, 0.0) - shares["human"].get(c, 0.0)) >= tolerance for c in categories)


def _mix(share: pd.Series) -> str:
    return ", ".join(f"{category} {value:.0%}" for category, value in share.sort_index().items())


#: Silence features the silence check reads, with what a clip over the threshold has.
SILENCE_FEATURES = {
    "feat_leading_silence_s": "silence at the start",
    "feat_trailing_silence_s": "silence at the end",
    "feat_longest_silence_s": "a silent pause",
}

#: Silence a listener hears as a gap, seconds (the audible threshold of the silence check).
AUDIBLE_SILENCE_S = 0.25


def silence_flags(groups: dict[str, pd.DataFrame], alpha: float = 0.05) -> tuple[list[str], list[str]]:
    """Flags and notes for clips with audible silence (at least :data:`AUDIBLE_SILENCE_S`), per source.

    Audible threshold: a clip counts when a silence feature reaches 0.25 s. Statistical threshold:
    Fisher's exact test of the counts (clips with and without such silence, human against AI) at
    ``alpha``. When the silence is audible but the counts are not beyond chance (few clips), the
    clips are named in a note to listen to.

    Returns
    -------
    flags, notes : list of str
    """
    if any(len(group) == 0 for group in groups.values()):
        return [], []
    flags, notes = [], []
    for column, what in SILENCE_FEATURES.items():
        if not all(column in group.columns for group in groups.values()):
            continue
        silent = {
            name: pd.to_numeric(group[column], errors="coerce").fillna(0.0) >= AUDIBLE_SILENCE_S
            for name, group in groups.items()
        }
        counts = {name: int(flags_.sum()) for name, flags_ in silent.items()}
        if not any(counts.values()):
            continue
        sizes = {name: len(group) for name, group in groups.items()}
        table = [[counts["ai"], sizes["ai"] - counts["ai"]], [counts["human"], sizes["human"] - counts["human"]]]
        p_value = float(stats.fisher_exact(table).pvalue)
        longest = max(float(pd.to_numeric(group[column], errors="coerce").max()) for group in groups.values())
        sentence = (
            f"{counts['human']} of {sizes['human']} human and {counts['ai']} of {sizes['ai']} AI clips have {what} "
            f"of at least {AUDIBLE_SILENCE_S:g} s (longest {longest:.1f} s; audible threshold {AUDIBLE_SILENCE_S:g} s"
        )
        if p_value <= alpha:
            flags.append(
                f"Silence tells the sources apart: {sentence}; beyond chance: Fisher's exact p = {p_value:.3f}). "
                "Cut the excerpts from where the music sounds (re-process with silent edges not allowed) or "
                "choose other start offsets."
            )
        else:
            notes.append(f"{sentence}; not beyond chance: Fisher's exact p = {p_value:.2f}); listen to them.")
    return flags, notes
