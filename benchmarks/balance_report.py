"""Time the balance report on a synthetic library: prints the median over repeats.

.venv/bin/python benchmarks/balance_report.py [--clips 400] [--features 45] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from audio.balance import balance_report


def synthetic_library(n_clips: int, n_features: int, seed: int = 0) -> pd.DataFrame:
    """Half human, half AI clips with random features and identical formats."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "clip_id": np.arange(1, n_clips + 1),
            "source": np.where(np.arange(n_clips) % 2, "ai", "human"),
            "genre": rng.choice(["pop", "folk", "jazz"], n_clips),
            "vocals": rng.choice(["vocal", "instrumental"], n_clips),
            "pair_id": [f"p{i // 2}" for i in range(n_clips)],
            "duration_s": 20.0,
            "sample_rate": 44100,
            "channels": 2,
            "codec": "mp3-vbr",
            "loudness_after_lufs": -23.0 + rng.normal(0, 0.05, n_clips),
            "true_peak_dbtp": rng.uniform(-6, -1, n_clips),
            "loudness_flag": None,
            "retired": False,
        }
    )
    features = pd.DataFrame(rng.normal(size=(n_clips, n_features)), columns=[f"feat_f{k}" for k in range(n_features)])
    return pd.concat([frame, features], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=400)
    parser.add_argument("--features", type=int, default=45)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    frame = synthetic_library(args.clips, args.features)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        report = balance_report(frame)
        times.append(time.perf_counter() - start)
    print(
        f"balance_report: {args.clips} clips x {args.features} features: "
        f"median {statistics.median(times) * 1000:.1f} ms "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}; {len(report.flags)} flags)"
    )


if __name__ == "__main__":
    main()
