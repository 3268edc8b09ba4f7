"""The machine baseline beside the listeners, and the key exported as a name."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from core import db
from results.data.dataset import load_dataset
from results.rendering.export import export_files
from results.rendering.machine import machine_baseline_for, machine_vs_listeners
from results.statistics.roc import roc_from_confidence
from tests.results.conftest import add_clip, add_participant, add_study_version, add_trial


def _study(confound: float) -> None:
    """12 clips per source with 10 noise features, one shifted by ``confound`` SD in AI clips; 4 listeners."""
    rng = np.random.default_rng(5)
    with db.session_scope() as session:
        version = add_study_version(session)
        clips = []
        for i in range(24):
            source = "ai" if i % 2 else "human"
            features = {f"noise_{k}": float(rng.normal()) for k in range(10)}
            features["spectral_centroid_hz_mean"] = float(rng.normal(confound if source == "ai" else 0.0))
            features["key_estimate"], features["key_mode_estimate"] = float(i % 12), float(i // 2 % 2)
            clips.append(add_clip(session, source, features=features))
        for _ in range(4):
            participant = add_participant(session, version)
            for index, clip in enumerate(clips):
                add_trial(session, participant, index, clip, confidence=int(rng.integers(1, 7)))


def test_machine_finds_a_planted_confound_and_is_set_beside_the_listeners(sqlite_engine):
    _study(confound=3.0)
    dataset = load_dataset()
    baseline = machine_baseline_for(dataset.trials)
    assert baseline is not None and baseline.auc_low > 0.75 and (baseline.n_human, baseline.n_ai) == (12, 12)
    assert baseline.leaning_on[0][0] == "spectral_centroid_hz_mean"
    sentence = machine_vs_listeners(baseline, roc_from_confidence(dataset.trials))
    assert sentence.startswith("A simple classifier on the audio features reaches AUC 0.")
    assert "; listeners 0." in sentence


def test_no_confound_gives_a_machine_near_chance(sqlite_engine):
    _study(confound=0.0)
    baseline = machine_baseline_for(load_dataset().trials)
    assert baseline is not None and baseline.auc_low < 0.5


def test_exports_carry_the_key_as_a_name_beside_its_code(sqlite_engine):
    _study(confound=0.0)
    files = export_files(load_dataset(), formats=["csv"])
    clips = pd.read_csv(io.BytesIO(files["clips.csv"]))
    columns = list(clips.columns)
    assert columns.index("feat_key_name") == columns.index("feat_key_mode_estimate") + 1
    row = clips.iloc[0]
    assert row["feat_key_estimate"] == 0 and row["feat_key_mode_estimate"] == 0 and row["feat_key_name"] == "C minor"
    assert set(clips["feat_key_name"]) >= {"C minor", "C# minor", "D major", "G major"}
    codebook = pd.read_csv(io.BytesIO(files["codebook.csv"]))
    entry = codebook[codebook["column"] == "feat_key_name"].iloc[0]
    assert entry["type"] == "str" and "key_estimate and key_mode_estimate" in entry["description"]
    for column in ("feat_key_name", "feat_key_estimate"):  # each estimate states its measured accuracy
        description = codebook.loc[codebook["column"] == column, "description"].iloc[0]
        assert "Measured key accuracy on audio with known keys: chorales, held-out tunes" in description
