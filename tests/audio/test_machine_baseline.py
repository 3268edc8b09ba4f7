"""The machine baseline finds a planted confound and stays near chance in a balanced library."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from audio.balance import balance_report


def _library(n_per_source: int, n_features: int, seed: int, confound: float = 0.0) -> pd.DataFrame:
    """Clips whose features are noise, except ``feat_f3``, shifted by ``confound`` SD for AI clips."""
    rng = np.random.default_rng(seed)
    source = np.array(["human"] * n_per_source + ["ai"] * n_per_source)
    frame = pd.DataFrame(
        {
            "clip_id": np.arange(2 * n_per_source),
            "source": source,
            "duration_s": 20.0,
            "sample_rate": 44100,
            "channels": 2,
            "codec": "mp3-cbr",
            "retired": False,
        }
    )
    for k in range(n_features):
        frame[f"feat_f{k}"] = rng.normal(size=2 * n_per_source)
    frame["feat_f3"] += np.where(source == "ai", confound, 0.0)
    return frame


def test_the_machine_baseline_finds_a_planted_confound_and_names_it():
    report = balance_report(_library(15, 30, seed=1, confound=2.0))
    baseline = report.baseline
    assert baseline.auc > 0.85 and baseline.auc_low > 0.5
    assert baseline.leaning_on[0][0] == "f3" and baseline.leaning_on[0][1] > 0  # higher in AI clips
    assert any(flag.startswith("A simple machine") and "f3 (+)" in flag for flag in report.flags)
    exported = json.loads(json.dumps(report.to_dict(), allow_nan=False))["machine_baseline"]
    assert exported["leaning_on"][0][0] == "f3"


def test_the_machine_baseline_of_a_balanced_library_is_near_chance_and_only_a_note():
    report = balance_report(_library(15, 30, seed=2))
    baseline = report.baseline
    assert baseline.auc_low <= 0.5 <= baseline.auc_high
    assert not any(flag.startswith("A simple machine") for flag in report.flags)
    assert any(note.startswith("A simple machine") for note in report.notes)


def test_too_few_clips_give_no_baseline_rather_than_a_meaningless_one():
    report = balance_report(_library(3, 10, seed=3, confound=5.0))
    assert report.baseline is None
    assert json.loads(json.dumps(report.to_dict(), allow_nan=False))["machine_baseline"] is None


def test_the_baseline_counts_features_as_the_library_stores_them_and_reads_an_auc_below_half_as_chance():
    reports = []
    for seed in range(12):
        frame = _library(6, 10, seed=10 + seed)
        # As the ingest stores them: duration also among the features, a pitch class, the level before normalisation.
        frame["feat_duration_s"] = frame["duration_s"]
        frame["feat_key_estimate"] = np.arange(len(frame)) % 12
        frame["feat_loudness_before_lufs"] = np.random.default_rng(seed).normal(-14, 2, len(frame))
        reports.append(balance_report(frame))
    stored = sum(column.startswith("feat_") for column in frame.columns)
    for report in reports:
        note = next(note for note in report.flags + report.notes if note.startswith("A simple machine"))
        assert f"on 10 of the {stored} stored features (left out: " in note
        assert "duration_s: the same in every clip" in note and "key_estimate: a category" in note
        assert "loudness_before_lufs: not what participants hear" in note
    below = [report for report in reports if report.baseline.auc < 0.5]
    assert below  # with 6 clips per source and no confound, AUCs fall below 0.5 often
    for report in below:
        note = next(note for note in report.notes if note.startswith("A simple machine"))
        assert "An AUC below 0.5 is chance too, not a machine that does worse than guessing" in note
