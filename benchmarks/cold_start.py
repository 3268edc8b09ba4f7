"""Cold start: importing librosa and the first feature extraction in a fresh process.

Usage: .venv/bin/python benchmarks/cold_start.py

Runs a fresh Python process twice with the same, initially empty ``NUMBA_CACHE_DIR`` (the first
run compiles librosa's numba kernels and fills the cache, the second loads them), and once more
to confirm. Each process prints the seconds for ``import audio.features`` (librosa and the
submodules it loads lazily included) and for the first :func:`audio.features.extract_features`
on a 30 s clip (numba compiles or loads its kernels here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = f"""
import json, sys, time
sys.path.insert(0, {str(HERE)!r})
from synthetic_audio import synthetic_clip
y = synthetic_clip(30.0, 44100)
start = time.perf_counter()
from audio.features import extract_features
import librosa
# librosa loads its submodules lazily; touch the ones used so "import" means import.
librosa.feature.tempo, librosa.onset.onset_detect, librosa.decompose.hpss, librosa.core.stft
imported = time.perf_counter()
extract_features(y, 44100)
done = time.perf_counter()
print(json.dumps({{"import_s": imported - start, "first_extraction_s": done - imported}}))
"""


def run(cache_dir: Path) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ht-numba-") as folder:
        cache = Path(folder)
        runs = [("empty cache", run(cache)), ("warm cache", run(cache)), ("warm cache again", run(cache))]
    print("fresh process: import audio.features (librosa) + first extract_features on a 30 s clip")
    for label, timing in runs:
        total = timing["import_s"] + timing["first_extraction_s"]
        print(
            f"  {label:17s} import {timing['import_s']:6.2f} s   first extraction "
            f"{timing['first_extraction_s']:6.2f} s   total {total:6.2f} s"
        )
    print(f"  cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
