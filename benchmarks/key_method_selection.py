"""Choose the key method on the development sets only: candidate pitch-class summaries x key profiles.

Usage: nice -n 10 .venv/bin/python benchmarks/key_method_selection.py [--chorales N] [--seconds S]

Only the sets whose name says "development" are rendered here (the development chorale tunes and
the development produced set, :data:`audio.accuracy.sets.PRODUCED_SETS`); the held-out sets are
scored by ``benchmarks/feature_accuracy.py`` once, for the method this script picked.

Rule, fixed before the run: the candidate with the highest MIREX score averaged over the
development sets wins (ties: the higher mean exact share, then the simpler method, i.e. the
earlier row). The shipped method is then checked against plain librosa on every set; where it
falls below plain on any set, plain ships for that component.

Summaries (mono mixdown; each scaled to unit length before it is added to another):

* ``cqt``: ``chroma_cqt`` of the signal at its own rate, mean over frames (plain librosa's);
* ``cqt11``: the same of the signal resampled to 11.025 kHz, hop 2048;
* ``cens``: ``chroma_cens`` at 11.025 kHz, hop 2048 (the previous app method's part 1);
* ``lowstft``: STFT magnitude chroma below 2 kHz, summed over frames (its part 2);
* ``stft``: ``chroma_stft`` of the power spectrogram (what the stored chroma features are);
* ``harm``: ``chroma_cqt`` at 11.025 kHz of the harmonic part (``librosa.effects.harmonic``).

Run on 2026-12-07 (40 development chorales; 11.9 min wall, 116 CPU-s, load 5-8), mean MIREX over
the three development sets: harm AS 0.864 (chosen), cens+lowstft AS (the previous app method)
0.853, harm+cens AS 0.859, cqt AS 0.836, cqt KK (plain librosa) 0.753; the full table is in
``benchmarks/results/feature_accuracy.md``. On the held-out sets harm AS was one clip behind
plain librosa on the strathspeys, so plain librosa's key ships (see :mod:`audio.key`).

Profiles: Krumhansl-Kessler (KK), Temperley (T), Albrecht-Shanahan (AS).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba-cache"))
sys.path.insert(0, str(REPO))

import librosa  # noqa: E402
import numpy as np  # noqa: E402

from audio.accuracy.scoring import mirex_key_score  # noqa: E402
from audio.accuracy.sets import SAMPLE_RATE, ground_truth_sets  # noqa: E402
from audio.features import HOP_LENGTH, N_FFT  # noqa: E402
from audio.key import ALBRECHT_SHANAHAN, KRUMHANSL_KESSLER, TEMPERLEY, key_from_chroma  # noqa: E402

#: STFT chroma of the magnitude below this frequency (the ``lowstft`` summary), Hz.
LOW_STFT_MAX_HZ = 2000.0

PROFILES = {"KK": KRUMHANSL_KESSLER, "T": TEMPERLEY, "AS": ALBRECHT_SHANAHAN}
COMBINATIONS = (
    ("cqt",),
    ("cqt11",),
    ("cens",),
    ("lowstft",),
    ("stft",),
    ("harm",),
    ("cens", "lowstft"),
    ("cqt", "cens"),
    ("cqt", "lowstft"),
    ("harm", "cens"),
)


def _unit(part: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(part)
    return part / norm if norm > 0 else part


def summaries(y: np.ndarray, sr: int) -> dict[str, np.ndarray]:
    """Every candidate pitch-class summary of one clip, each shape (12,)."""
    mono = np.ascontiguousarray(y.mean(axis=1) if y.ndim == 2 else y, dtype=np.float32)
    magnitude = np.abs(librosa.stft(mono, n_fft=N_FFT, hop_length=HOP_LENGTH))
    low = librosa.resample(mono, orig_sr=sr, target_sr=11025, res_type="soxr_qq")
    n_low = int(np.sum(librosa.fft_frequencies(sr=sr, n_fft=N_FFT) <= LOW_STFT_MAX_HZ))
    low_filters = librosa.filters.chroma(sr=sr, n_fft=N_FFT, tuning=0.0)[:, :n_low]
    return {
        "cqt": librosa.feature.chroma_cqt(y=mono, sr=sr).mean(axis=1),
        "cqt11": librosa.feature.chroma_cqt(y=low, sr=11025, hop_length=2048).mean(axis=1),
        "cens": librosa.feature.chroma_cens(y=low, sr=11025, hop_length=2048, tuning=0.0).mean(axis=1),
        "lowstft": (low_filters @ magnitude[:n_low]).sum(axis=1),
        "stft": librosa.feature.chroma_stft(S=magnitude**2, sr=sr, tuning=0.0).mean(axis=1),
        "harm": librosa.feature.chroma_cqt(y=librosa.effects.harmonic(low), sr=11025, hop_length=2048).mean(axis=1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chorales", type=int, default=40, help="development chorales (default 40)")
    args = parser.parse_args()
    all_sets = ground_truth_sets(chorale_limit=args.chorales)
    sets = {name: make for name, make in all_sets.items() if "development" in name}
    # candidate -> set -> [exact, mirex, n]
    scores: dict[str, dict[str, list[float]]] = {}
    for set_name, make in sets.items():
        start = time.process_time()
        for case in make():
            assert case.key is not None
            parts = summaries(case.audio(), SAMPLE_RATE)
            for combination in COMBINATIONS:
                evidence = np.sum([_unit(parts[name]) for name in combination], axis=0)
                for profile_name, profile in PROFILES.items():
                    tonic, major, _ = key_from_chroma(evidence, profile)
                    tally = scores.setdefault(f"{'+'.join(combination)} {profile_name}", {}).setdefault(
                        set_name, [0.0, 0.0, 0]
                    )
                    tally[0] += (tonic, major) == case.key
                    tally[1] += mirex_key_score(tonic, major, *case.key)
                    tally[2] += 1
        print(f"# {set_name}: {time.process_time() - start:.0f} CPU-s", flush=True)
    print_ranking(scores, list(sets))


def print_ranking(scores: dict[str, dict[str, list[float]]], names: list[str]) -> None:
    """One row per candidate (exact and MIREX per set, mean MIREX), then the one the rule picks."""
    print(f"{'candidate':22s} " + " ".join(f"{n[:26]:>26s}" for n in names) + f" {'mean MIREX':>10s}")
    ranked: list[tuple[float, float, int, str]] = []
    for candidate, by_set in scores.items():
        cells = [f"{by_set[n][0]:3.0f}/{by_set[n][2]:<3d} {by_set[n][1] / by_set[n][2]:.3f}" for n in names]
        mean_mirex = float(np.mean([by_set[n][1] / by_set[n][2] for n in names]))
        mean_exact = float(np.mean([by_set[n][0] / by_set[n][2] for n in names]))
        ranked.append((-mean_mirex, -mean_exact, len(ranked), candidate))
        print(f"{candidate:22s} " + " ".join(f"{c:>26s}" for c in cells) + f" {mean_mirex:10.3f}")
    print("chosen on the development sets:", min(ranked)[3])


if __name__ == "__main__":
    main()
