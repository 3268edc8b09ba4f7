"""Feature extraction time per 30 s clip, warm: one shared STFT vs each librosa feature on its own.

Usage: .venv/bin/python benchmarks/feature_extraction.py [--runs N]

"Shared" is :func:`audio.features.extract_features` (one STFT, ``S=`` passed everywhere, pooled
HPSS). "Plain" computes the same feature set the straightforward way: every librosa call gets
``y`` and recomputes its own transform, chroma estimates its tuning, HPSS filters the full
STFT. Both run once before timing (numba compiled or loaded from the persistent cache); the
medians of N timed runs in this one process are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba-cache"))
sys.path.insert(0, str(REPO))  # run as a script: make the benchmarks package importable

import librosa  # noqa: E402
import numpy as np  # noqa: E402

from audio.features import HOP_LENGTH, N_FFT, extract_features  # noqa: E402
from audio.key import key_from_chroma  # noqa: E402
from benchmarks.synthetic_audio import synthetic_clip  # noqa: E402

SR = 44100


def plain_features(y: np.ndarray, sr: int, *, with_hpss: bool = True) -> dict[str, float]:
    """The same features, each librosa function called on ``y`` by itself."""
    mono = y.mean(axis=1)
    out = {
        "rms": float(librosa.feature.rms(y=mono).mean()),
        "centroid": float(librosa.feature.spectral_centroid(y=mono, sr=sr).mean()),
        "bandwidth": float(librosa.feature.spectral_bandwidth(y=mono, sr=sr).mean()),
        "rolloff": float(librosa.feature.spectral_rolloff(y=mono, sr=sr).mean()),
        "rolloff99": float(librosa.feature.spectral_rolloff(y=mono, sr=sr, roll_percent=0.99).mean()),
        "flatness": float(librosa.feature.spectral_flatness(y=mono).mean()),
        "contrast": float(librosa.feature.spectral_contrast(y=mono, sr=sr).mean()),
        "zcr": float(librosa.feature.zero_crossing_rate(mono).mean()),
        "onsets": len(librosa.onset.onset_detect(y=mono, sr=sr)),
        "tempo": float(np.atleast_1d(librosa.feature.tempo(y=mono, sr=sr))[0]),
    }
    chroma = librosa.feature.chroma_stft(y=mono, sr=sr).mean(axis=1)
    out["key"] = key_from_chroma(chroma)[0]
    out["mfcc"] = float(librosa.feature.mfcc(y=mono, sr=sr, n_mfcc=13).mean())
    if with_hpss:
        harmonic, percussive = librosa.decompose.hpss(np.abs(librosa.stft(mono, n_fft=N_FFT, hop_length=HOP_LENGTH)))
        out["hpr"] = float(10 * np.log10(np.sum(harmonic**2) / np.sum(percussive**2)))
    return out


def median_seconds(fn, runs: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of ``runs`` calls after one warm-up call.

    CPU seconds are printed too because this machine is shared: under load the wall clock
    includes time spent waiting for a core.
    """
    fn()  # warm-up: numba kernels, FFT plans, caches
    wall, cpu = [], []
    for _ in range(runs):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    y = synthetic_clip(30.0, SR)
    shared = median_seconds(lambda: extract_features(y, SR), args.runs)
    plain = median_seconds(lambda: plain_features(y, SR), args.runs)
    plain_no_hpss = median_seconds(lambda: plain_features(y, SR, with_hpss=False), args.runs)
    print(f"feature extraction, 30 s stereo clip at {SR} Hz, median of {args.runs} warm runs (wall / cpu)")
    print(f"  shared STFT (audio.features):   {shared[0]:6.3f} s / {shared[1]:6.3f} s")
    print(f"  plain, each feature from y:     {plain[0]:6.3f} s / {plain[1]:6.3f} s")
    print(f"  plain without HPSS:             {plain_no_hpss[0]:6.3f} s / {plain_no_hpss[1]:6.3f} s")
    print(f"  ratio shared / plain:           {shared[0] / plain[0]:6.3f}   / {shared[1] / plain[1]:6.3f}")
    print(
        f"  ratio shared / plain w/o HPSS:  {shared[0] / plain_no_hpss[0]:6.3f}   / {shared[1] / plain_no_hpss[1]:6.3f}"
    )
    print(f"  cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
