"""The balance report flags what could give a clip's source away, and stays quiet otherwise."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audio.balance import balance_report, describe_difference, hedges_g


def _with_mean_sd(n: int, mean: float, sd: float, seed: int) -> np.ndarray:
    """``n`` values whose sample mean and SD (ddof=1) are exactly ``mean`` and ``sd``."""
    raw = np.random.default_rng(seed).normal(size=n)
    return mean + sd * (raw - raw.mean()) / raw.std(ddof=1)


def _clip(clip_id: int, source: str, **overrides) -> dict:
    row = {
        "clip_id": clip_id,
        "source": source,
        "title": f"clip {clip_id}",
        "genre": "pop",
        "vocals": "instrumental",
        "pair_id": None,
        "duration_s": 10.0,
        "sample_rate": 44100,
        "channels": 2,
        "codec": "mp3",
        "loudness_before_lufs": -14.0,
        "loudness_after_lufs": -23.0,
        "true_peak_dbtp": -1.5,
        "loudness_flag": None,
        "retired": False,
    }
    row.update(overrides)
    return row


# Values used for both sources of the balanced library: same set, so every g is exactly 0.
CENTROIDS = [1800.0, 1950.0, 2100.0, 2250.0, 2400.0, 2550.0]
TEMPI = [96.0, 104.0, 112.0, 120.0, 128.0, 136.0]


def balanced_frame() -> pd.DataFrame:
    rows: list[dict] = []
    for i in range(6):
        for source, order in (("human", i), ("ai", 5 - i)):
            rows.append(
                _clip(
                    len(rows) + 1,
                    source,
                    pair_id=f"pair-{i}",
                    genre="pop" if i % 2 else "folk",
                    loudness_after_lufs=-23.0 + 0.05 * (order % 2),
                    feat_spectral_centroid=CENTROIDS[order],
                    feat_tempo=TEMPI[(order + 2) % 6],
                )
            )
    return pd.DataFrame(rows)


def unbalanced_frame() -> pd.DataFrame:
    rows: list[dict] = []
    for i in range(5):
        rows.append(
            _clip(
                len(rows) + 1,
                "human",
                pair_id=f"pair-{i}",
                feat_spectral_centroid=CENTROIDS[i],
                feat_spectral_rolloff=4000.0 + 100 * i,
                feat_tempo=TEMPI[i],
            )
        )
    for i in range(7):
        rows.append(
            _clip(
                len(rows) + 1,
                "ai",
                pair_id=f"pair-{i}",  # pair-5 and pair-6 have no human partner
                genre="electronic",
                duration_s=10.4 if i == 0 else 10.0,
                sample_rate=48000 if i == 1 else 44100,
                channels=1 if i == 2 else 2,
                codec="vorbis" if i == 3 else "mp3",
                loudness_after_lufs=-25.5 if i == 4 else -23.0,
                loudness_flag="could not reach the target without exceeding the ceiling" if i == 4 else None,
                feat_spectral_centroid=CENTROIDS[i % 6] + 900.0,  # AI clips much brighter
                feat_spectral_rolloff=6000.0 + 100 * i,
                feat_tempo=TEMPI[i % 6],
            )
        )
    return pd.DataFrame(rows)


def test_hedges_g_matches_borenstein_worked_example():
    # Borenstein, Hedges, Higgins & Rothstein (2009), Introduction to Meta-Analysis, ch. 4:
    # means 103 / 100, SDs 5.5 / 4.5, n = 50 / 50 -> d = 0.5970, J = 0.9923, g = 0.5924,
    # SE(g) = 0.2028, so the 95% CI is 0.5924 +- 1.96 * 0.2028.
    treated = _with_mean_sd(50, 103.0, 5.5, seed=1)
    control = _with_mean_sd(50, 100.0, 4.5, seed=2)
    g, low, high = hedges_g(treated, control)
    assert g == pytest.approx(0.5924, abs=5e-5)
    # The published values are rounded to 4 decimals; 1.96 * 0.00005 bounds the rounding error.
    assert low == pytest.approx(0.5924 - 1.96 * 0.2028, abs=2e-4)
    assert high == pytest.approx(0.5924 + 1.96 * 0.2028, abs=2e-4)
    # AI is the signal: swapping the groups flips the sign.
    assert hedges_g(control, treated)[0] == pytest.approx(-g)


def test_hedges_g_needs_two_values_per_group():
    assert np.isnan(hedges_g(np.array([1.0]), np.array([1.0, 2.0]))[0])


def test_balanced_library_raises_no_flag():
    report = balance_report(balanced_frame())
    assert report.flags == []
    assert report.balanced
    assert report.counts == {"human": 6, "ai": 6}
    row = report.table.set_index("feature").loc["spectral_centroid"]
    assert row["g"] == pytest.approx(0.0, abs=1e-12)
    assert not report.table["flagged"].any()
    assert "No flags" in report.to_text()


def test_unbalanced_library_flags_every_tell():
    report = balance_report(unbalanced_frame())
    text = "\n".join(report.flags)
    assert "5 human vs 7 AI" not in text and "base rate" not in text  # every participant hears half and half
    assert "sample rate" in text and "48000 Hz ×1" in text
    assert "channel count" in text
    assert "codec" in text and "vorbis" in text
    assert "Clip durations range from 10.00 to 10.40 s" in text
    assert "Loudness after normalisation range from -25.50 to -23.00 LUFS" in text
    assert "1 clip(s) carry a loudness warning (human 0, AI 1)" in text
    assert "AI clips are brighter than human clips (higher spectral centroid)" in text
    assert "AI clips have more high-frequency energy than human clips (higher spectral roll-off)" in text
    assert "Genre mix differs" in text
    assert "pair-5 (only AI)" in text and "pair-6 (only AI)" in text
    # Tempo is drawn from the same values in both sources and is not flagged.
    assert "tempo" not in text
    flagged = set(report.table.loc[report.table["flagged"], "feature"])
    assert {"spectral_centroid", "spectral_rolloff"} <= flagged
    assert "tempo" not in flagged


def test_a_small_shift_is_flagged_only_when_beyond_chance_and_above_the_threshold():
    frame = balanced_frame()
    frame.loc[frame["source"] == "ai", "feat_tempo"] += 6.0  # a small shift: g about 0.3
    tempo = balance_report(frame).table.set_index("feature").loc["tempo"]
    assert 0.2 < tempo["g"] < 0.5
    assert balance_report(frame, g_threshold=0.2).flags == []  # 6 clips per source: could be chance

    rng = np.random.default_rng(3)
    n = 300
    big = pd.DataFrame([_clip(i, "human" if i % 2 else "ai") for i in range(2 * n)])
    big["feat_tempo"] = rng.normal(120.0, 15.0, 2 * n) + np.where(big["source"] == "ai", 7.5, 0.0)
    tempo = balance_report(big).table.set_index("feature").loc["tempo"]
    assert tempo["q_fdr"] < 0.05 and 0.3 < tempo["g"] < 0.7
    # (the machine baseline, which would rightly flag this shift too, is tested on its own)
    assert balance_report(big, g_threshold=0.8, with_baseline=False).flags == []  # beyond chance, but small
    difference = tempo["mean_ai"] - tempo["mean_human"]
    assert balance_report(big, g_threshold=0.3, with_baseline=False).flags == [
        f"AI clips are faster than human clips (higher tempo); g = {tempo['g']:+.2f} "
        f"(95% CI {tempo['g_low']:+.2f} to {tempo['g_high']:+.2f}; beyond chance: FDR q = {tempo['q_fdr']:.3f}; "
        f"audible: means differ by {difference:.3g} bpm, at least 4 bpm)."
    ]


def _random_library(n_per_source: int, n_features: int, seed: int) -> pd.DataFrame:
    """Human and AI clips drawn from one distribution: any difference is chance."""
    rng = np.random.default_rng(seed)
    rows = [_clip(i, "human" if i < n_per_source else "ai") for i in range(2 * n_per_source)]
    frame = pd.DataFrame(rows)
    values = rng.normal(size=(2 * n_per_source, n_features)) + rng.normal(size=(2 * n_per_source, 1))  # correlated
    for k in range(n_features):
        frame[f"feat_f{k}"] = values[:, k]
    return frame


def test_a_balanced_library_flags_no_more_than_chance_allows():
    n_libraries, n_features = 120, 44
    reports = [balance_report(_random_library(10, n_features, seed)) for seed in range(n_libraries)]
    with_a_flag = sum(bool(report.flags) for report in reports)
    # FDR control at 5 % (and the machine baseline's interval): at most about 5 % of balanced
    # libraries get any flag (binomial slack of 3 SD). Measured: 6 of 200.
    assert with_a_flag <= n_libraries * 0.05 + 3 * np.sqrt(n_libraries * 0.05 * 0.95)
    # The old rule, |g| >= 0.5, flagged about a quarter of the features of every such library.
    large = np.mean([(report.table["g"].abs() >= 0.5).sum() for report in reports])
    assert large > 8
    # The report states how many large differences chance produces, and it is right.
    expected = reports[0].chance["expected_large_by_chance"]
    observed = np.mean([(report.table["g"].abs() >= 0.8).sum() for report in reports])
    assert reports[0].chance["n_tested"] == n_features  # duration, loudness and peak are identical: not tested
    assert abs(observed - expected) < 0.25 * expected
    assert f"about {expected:.1f} of them reach |g| >= 0.8 by chance alone" in reports[0].notes[0]


def test_originals_format_and_served_size_differences_are_flagged():
    frame = balanced_frame()
    is_ai = frame["source"] == "ai"
    frame["original_format"] = np.where(is_ai, "MPEG/MPEG_LAYER_III", "WAV/PCM_16")
    frame["original_sample_rate"] = 44100
    frame["original_channels"] = np.where(is_ai, 2, 1)
    frame["served_size_bytes"] = np.where(is_ai, 258_062, 291_984)
    text = "\n".join(balance_report(frame).flags)
    assert "originals differ in file format (AI: MPEG/MPEG_LAYER_III 100%; human: WAV/PCM_16 100%)" in text
    assert "originals differ in channel count" in text and "originals differ in sample rate" not in text
    assert "Served files differ in size (human mean 291,984 B, AI mean 258,062 B" in text
    frame["served_size_bytes"] = 641_984
    assert "Served files differ" not in "\n".join(balance_report(frame).flags)


def test_retired_clips_are_left_out():
    frame = balanced_frame()
    extra = pd.DataFrame(
        [_clip(99, "ai", retired=True, sample_rate=8000, feat_spectral_centroid=9000.0, feat_tempo=200.0)]
    )
    report = balance_report(pd.concat([frame, extra], ignore_index=True))
    assert report.flags == []
    assert report.counts == {"human": 6, "ai": 6}


def test_constant_but_different_values_are_a_perfect_tell_and_json_safe():
    frame = balanced_frame()
    frame["feat_bandwidth_hz"] = np.where(frame["source"] == "ai", 5000.0, 3000.0)
    report = balance_report(frame)
    row = report.table.set_index("feature").loc["bandwidth_hz"]
    assert row["g"] == np.inf and row["flagged"]
    assert any(
        flag.startswith("AI clips reach higher frequencies (less low-pass filtering) than human clips")
        for flag in report.flags
    )
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    exported = {feature["feature"]: feature for feature in data["features"]}
    assert exported["bandwidth_hz"]["g"] is None
    assert "different between them" in exported["bandwidth_hz"]["note"]
    assert data["balanced"] is False and data["flags"] == report.flags
    assert "+inf (separated)" in report.to_text()


def test_missing_source_is_flagged_without_crashing():
    frame = balanced_frame()
    report = balance_report(frame[frame["source"] == "human"])
    assert report.flags == ["There are no active AI clips: a study needs both sources (6 human, 0 AI)."]
    assert report.table["g"].isna().all()
    json.dumps(report.to_dict(), allow_nan=False)


def test_spread_features_are_described_as_variability():
    assert describe_difference("spectral_centroid_std", 0.8) == (
        "AI clips have more variable spectral centroid than human clips (spectral_centroid_std)"
    )
    assert describe_difference("spectral_centroid_mean", -0.8) == (
        "AI clips are darker than human clips (lower spectral centroid)"
    )
    assert describe_difference("mfcc_3_mean", 0.8) == "AI clips have higher mfcc 3 mean than human clips"


def test_text_table_lists_every_feature_with_its_interval():
    report = balance_report(unbalanced_frame())
    text = report.to_text()
    for feature in report.table["feature"]:
        assert feature in text
    row = report.table.set_index("feature").loc["spectral_centroid"]
    assert f"{row['g']:+.2f} [{row['g_low']:+.2f}, {row['g_high']:+.2f}]" in text


def test_ingest_feature_names_are_compared_once_and_sensibly():
    frame = balanced_frame()
    # The ingest also stores duration, loudness and true peak among the features, a pitch
    # class (circular, no meaningful mean) and the loudness before normalisation (not heard).
    frame["feat_duration_s"] = frame["duration_s"]
    frame["feat_loudness_lufs"] = frame["loudness_after_lufs"]
    frame["feat_true_peak_dbtp"] = frame["true_peak_dbtp"]
    frame["feat_key_estimate"] = np.where(frame["source"] == "ai", 11.0, 0.0)
    frame["feat_loudness_before_lufs"] = np.where(frame["source"] == "ai", -9.0, -16.0) + frame["clip_id"] * 0.1
    report = balance_report(frame)
    features = list(report.table["feature"])
    assert features.count("duration_s") == 1 and "feat_duration_s" not in features
    assert "loudness_lufs" not in features and "true_peak_dbtp" in features
    assert "key_estimate" not in features
    before = report.table.set_index("feature").loc["loudness_before_lufs"]
    assert before["g"] > 5 and not before["flagged"]
    assert "not what participants hear" in before["note"]
    assert report.flags == []


def _tone_wav(frequencies: list[float], seconds: float = 4.0, sr: int = 44100, seed: int = 0) -> bytes:
    """A stereo WAV of summed sines (plus a little noise so every file is distinct)."""
    import io

    import soundfile as sf

    t = np.arange(int(seconds * sr)) / sr
    mono = sum(np.sin(2 * np.pi * f * t) / (k + 1) for k, f in enumerate(frequencies))
    mono = mono + 0.01 * np.random.default_rng(seed).normal(size=t.size)
    buffer = io.BytesIO()
    sf.write(buffer, np.column_stack([mono, mono]) * 0.2, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_report_of_an_ingested_library_flags_brighter_ai_clips(data_env):
    from audio.balance import build_report
    from audio.catalogue import ClipMetadata
    from audio.ingest import ingest_bytes
    from audio.processing import ProcessingSettings
    from core.db import session_scope

    settings = ProcessingSettings(excerpt_seconds=2.0, fade_seconds=0.1)
    for i in range(3):
        ingest_bytes(
            _tone_wav([220.0 + 20 * i, 440.0 + 40 * i], seed=i),
            f"human{i}.wav",
            ClipMetadata(source="human", pair_id=f"p{i}"),
            settings,
            start_offset_s=0.5,
        )
        ingest_bytes(
            _tone_wav([2200.0 + 200 * i, 4400.0 + 400 * i], seed=10 + i),
            f"ai{i}.wav",
            ClipMetadata(source="ai", pair_id=f"p{i}"),
            settings,
            start_offset_s=0.5,
        )
    with session_scope() as session:
        report = build_report(session)
    assert report.counts == {"human": 3, "ai": 3}
    centroid = report.table.set_index("feature").loc["spectral_centroid_hz_mean"]
    # Three clips per source can never be beyond chance (smallest rank-test p = 0.1): a note, not a flag.
    assert centroid["g"] > 2 and not centroid["flagged"]
    assert "spectral_centroid_hz_mean (g = +" in report.notes[1]
    # Processing made every format fact identical, so none of those checks fires.
    assert not any(flag.startswith(("Clips differ in", "Clip durations", "Loudness after")) for flag in report.flags)
    json.dumps(report.to_dict(), allow_nan=False)


def test_mfcc_and_chroma_differences_are_summarised_per_family():
    frame = balanced_frame()
    is_ai = frame["source"] == "ai"
    for k in range(1, 4):
        frame[f"feat_mfcc_{k}_mean"] = frame["feat_tempo"] + np.where(is_ai, 40.0 * k, 0.0)
    frame["feat_mfcc_4_mean"] = frame["feat_tempo"]  # same values in both sources
    report = balance_report(frame, with_baseline=False)
    largest = report.table.set_index("feature").loc["mfcc_3_mean"]
    assert report.flags == [
        f"AI and human clips differ in timbre (MFCC coefficients): 3 of 4 beyond chance and audible, "
        f"largest mfcc_3_mean g = {largest['g']:+.2f} (95% CI {largest['g_low']:+.2f} to {largest['g_high']:+.2f}; "
        f"beyond chance: FDR q = {largest['q_fdr']:.3f}; audible: means differ by 120, at least 8)."
    ]


def _big_library(n: int, seed: int = 4) -> pd.DataFrame:
    return pd.DataFrame([_clip(i, "human" if i % 2 else "ai") for i in range(2 * n)])


def test_a_loudness_difference_nobody_can_hear_raises_no_flag_however_certain():
    rng = np.random.default_rng(5)
    frame = _big_library(200)
    is_ai = frame["source"] == "ai"
    frame["loudness_after_lufs"] = -23.0 + 0.0001 * rng.normal(size=len(frame)) - np.where(is_ai, 0.001, 0.0)
    report = balance_report(frame, with_baseline=False)
    row = report.table.set_index("feature").loc["loudness_after_lufs"]
    assert row["q_fdr"] < 1e-6 and row["statistical"]  # beyond chance, and large in SD units
    assert not row["audible"] and not row["flagged"]
    assert report.flags == []
    assert any(
        "beyond chance but too small to hear" in note and "below the audible 0.5 LU" in note for note in report.notes
    )
    # Constant within each source (a perfect statistical tell) and still inaudible: no flag either.
    frame["loudness_after_lufs"] = np.where(is_ai, -23.001, -23.0)
    assert balance_report(frame, with_baseline=False).flags == []


def test_an_audible_loudness_difference_is_flagged_saying_which_thresholds_applied():
    rng = np.random.default_rng(6)
    frame = _big_library(40)
    is_ai = frame["source"] == "ai"
    frame["loudness_after_lufs"] = -23.0 + 0.05 * rng.normal(size=len(frame)) + np.where(is_ai, 0.7, 0.0)
    flags = balance_report(frame, with_baseline=False).flags
    assert len(flags) == 1  # (the spread stays under the 1 LU range tolerance)
    assert flags[0].startswith("AI clips are louder than human clips (higher loudness after normalisation)")
    assert "beyond chance: FDR q = 0.000" in flags[0] and "at least 0.5 LU)" in flags[0]


def test_every_stored_feature_has_an_audible_threshold():
    from audio.balance.audible import audible_threshold
    from audio.balance.effect_sizes import CATEGORICAL_FEATURES, PROCESSING_COLUMNS
    from audio.features import FEATURE_DESCRIPTIONS

    compared = [name for name in FEATURE_DESCRIPTIONS if f"feat_{name}" not in CATEGORICAL_FEATURES]
    missing = [name for name in (*PROCESSING_COLUMNS, *compared) if audible_threshold(name) is None]
    assert missing == []
    assert audible_threshold("loudness_after_lufs").minimum == 0.5
    assert audible_threshold("duration_s").minimum == 0.1
    assert audible_threshold("bandwidth_hz").minimum == 1000.0
    assert audible_threshold("spectral_bandwidth_hz_mean").minimum == 100.0


def _silence_frame(n_per_source: int, silent_human: int) -> pd.DataFrame:
    rows = [_clip(i, "human" if i < n_per_source else "ai") for i in range(2 * n_per_source)]
    frame = pd.DataFrame(rows)
    for name in ("leading", "trailing", "longest"):
        frame[f"feat_{name}_silence_s"] = 0.0
    frame.loc[: silent_human - 1, "feat_trailing_silence_s"] = np.linspace(2.5, 3.0, silent_human)
    return frame


def test_the_report_names_silence_when_one_source_has_it():
    report = balance_report(_silence_frame(8, silent_human=8), with_baseline=False)
    silence = [flag for flag in report.flags if flag.startswith("Silence tells the sources apart")]
    assert len(silence) == 1
    assert "8 of 8 human and 0 of 8 AI clips have silence at the end of at least 0.25 s (longest 3.0 s" in silence[0]
    assert "Fisher's exact p = 0.000" in silence[0]
    # The feature comparison names it in plain words too.
    assert any(flag.startswith("AI clips end with less silence than human clips") for flag in report.flags)


def test_silence_in_too_few_clips_to_be_beyond_chance_is_a_note_to_listen_to():
    report = balance_report(_silence_frame(4, silent_human=2), with_baseline=False)
    assert not any("silence" in flag.lower() for flag in report.flags)
    assert any("2 of 4 human and 0 of 4 AI clips have silence at the end" in note for note in report.notes)
