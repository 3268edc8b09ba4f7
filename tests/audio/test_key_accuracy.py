"""Tempo and key estimates against ground truth: the app's key and tempo are at least as good as plain librosa's."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from audio.accuracy import chorales
from audio.accuracy.evaluate import evaluate_sets
from audio.accuracy.produced import render_produced
from audio.accuracy.scoring import (
    KEY_NAMES,
    key_name,
    mirex_key_score,
    plain_librosa_estimates,
    tempo_correct,
    tempo_metrically_ambiguous,
)
from audio.accuracy.sets import ground_truth_sets
from audio.demo.corpus import chorale_paths
from audio.features import extract_features


def test_mirex_weights_right_fifth_above_relative_parallel_and_nothing_else():
    a_minor, c_major = (9, 0), (0, 1)
    assert mirex_key_score(*c_major, *c_major) == 1.0
    assert mirex_key_score(7, 1, *c_major) == 0.5  # G major for C major: a fifth above
    assert mirex_key_score(5, 1, *c_major) == 0.0  # F major: a fifth below counts nothing
    assert mirex_key_score(*a_minor, *c_major) == 0.3 and mirex_key_score(*c_major, *a_minor) == 0.3  # relative
    assert mirex_key_score(0, 0, *c_major) == 0.2  # C minor for C major: parallel
    assert mirex_key_score(2, 1, *c_major) == 0.0


def test_mirex_weighted_score_is_mir_evals():
    mir_eval = pytest.importorskip("mir_eval")
    keys = [(tonic, major) for tonic in range(12) for major in (1, 0)]
    for est, true in itertools.product(keys, keys):
        expected = mir_eval.key.weighted_score(key_name(*true), key_name(*est))
        assert mirex_key_score(*est, *true) == expected, (est, true)


def test_tempo_counts_within_four_percent_of_the_beat_its_double_or_half():
    assert tempo_correct(123.0, 120.0) and tempo_correct(241.0, 120.0) and tempo_correct(59.0, 120.0)
    assert not tempo_correct(126.0, 120.0) and not tempo_correct(180.0, 120.0)


def test_a_four_to_three_tempo_is_reported_as_metrically_ambiguous_not_as_right():
    assert tempo_metrically_ambiguous(123.0, 92.0) and not tempo_correct(123.0, 92.0)  # the strathspey case
    assert tempo_metrically_ambiguous(80.0, 120.0) and tempo_metrically_ambiguous(180.0, 120.0)
    assert not tempo_metrically_ambiguous(120.0, 120.0) and not tempo_metrically_ambiguous(100.0, 120.0)


def test_produced_clips_are_stereo_mastered_and_differ_by_key():
    c_major = render_produced(0, 1, "pop", bpm=100.0, seconds=4.0, seed=1)
    assert c_major.shape == (4 * 44100, 2) and c_major.dtype == np.float32
    assert 20 * np.log10(np.abs(c_major).max()) == pytest.approx(-1.0, abs=0.05)  # mastered to -1 dBFS
    assert not np.allclose(c_major[:, 0], c_major[:, 1])  # panned tracks and a stereo reverb
    assert not np.allclose(c_major, render_produced(2, 1, "pop", bpm=100.0, seconds=4.0, seed=1))


def test_chorale_key_is_the_encoded_signature_confirmed_by_the_final_bass_note():
    by_name = {path.name: path for path in chorale_paths()}
    truth = chorales.load_truth(by_name["bwv2.6.mxl"])
    assert truth is not None and (KEY_NAMES[truth.tonic], truth.major) == ("D", 0)  # "d minor", ends on D
    assert chorales.load_truth(by_name["bwv3.6.mxl"]).major == 1  # A major, ends on A
    assert chorales.load_truth(by_name["bwv4.8.mxl"]) is None  # signature "e minor", final bass D: left out


def test_harmonisations_of_one_tune_share_a_side_of_the_split():
    # The same opening in another key and rhythm is the same tune.
    assert chorales.tune_id([67, 67, 69, 71, 72, 71, 69, 67, 66]) == chorales.tune_id([60, 62, 64, 65, 64, 62, 60, 59])
    assert chorales.is_held_out("2,2,1,-1,-2,-2,-1") == chorales.is_held_out("2,2,1,-1,-2,-2,-1")


def test_a_strathspey_at_92_bpm_is_not_heard_at_123_and_the_other_reading_is_named():
    # A fiddle in dotted rhythm (a held-out seed): plain librosa hears the 4:3 (123 BPM).
    y = render_produced(7, 1, "strathspey", bpm=92.0, seconds=12.0, seed=5014)
    plain = plain_librosa_estimates(y, 44100)["tempo_estimate_bpm"]
    app = extract_features(y, 44100)
    assert tempo_metrically_ambiguous(plain, 92.0)
    assert tempo_correct(app["tempo_estimate_bpm"], 92.0)
    assert tempo_metrically_ambiguous(app["tempo_alternative_bpm"], 92.0)
    assert 0.0 < app["tempo_alternative_strength"] <= 1.0


@pytest.mark.slow
def test_app_key_and_tempo_are_at_least_plain_librosas_on_every_ground_truth_set():
    # Small versions of every set, held-out ones included: real rendered audio, both estimators.
    results = evaluate_sets(ground_truth_sets(small=True))
    assert sum("held-out" in name for name in results) >= 4
    for name, tallies in results.items():
        app, plain = tallies["app"], tallies["plain librosa"]
        if app.key_total:
            assert app.key_accuracy >= plain.key_accuracy, name
            assert app.key_mirex >= plain.key_mirex, name
        assert app.tempo_accuracy >= plain.tempo_accuracy, name
        assert app.tempo_accuracy >= 0.75, name
    assert results["click tracks"]["app"].tempo_accuracy == 1.0


def test_without_the_double_lag_the_tempo_is_librosas_estimate():
    import librosa

    from audio.tempo import tempo_readings

    mono = render_produced(3, 0, "band", bpm=104.0, seconds=10.0, seed=3).mean(axis=1)
    envelope = librosa.onset.onset_strength(y=mono, sr=44100)
    librosas = float(librosa.feature.tempo(onset_envelope=envelope, sr=44100)[0])
    assert tempo_readings(envelope, 44100, 512, double_lag_weight=0.0).tempo_bpm == librosas


def test_the_clip_facts_name_the_other_tempo_only_when_it_is_nearly_as_strong():
    from audio.tempo import describe_tempo

    assert describe_tempo(123.05, 92.3, 0.93) == "123 BPM, or 92 BPM (3:4, ambiguous)"
    assert describe_tempo(92.3, 123.05, 0.85) == "92 BPM, or 123 BPM (4:3, ambiguous)"
    assert describe_tempo(120.0, 80.0, 0.5) == "120 BPM"
    assert describe_tempo(120.0, None, None) == "120 BPM"  # features stored before the alternative existed
