"""One numba cache per installation, filled by one process at a time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core import config

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_belongs_to_the_installation_not_to_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(tmp_path / "study-one"))
    first = config.numba_cache_dir()
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(tmp_path / "study-two"))
    assert config.numba_cache_dir() == first
    assert not first.is_relative_to(tmp_path / "study-one")
    assert first.is_relative_to(Path(sys.prefix)) or first.is_relative_to(tmp_path / "user-cache")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "chosen"))
    assert config.numba_cache_dir() == (tmp_path / "chosen").resolve()


KERNEL = """
import numba


@numba.njit(cache=True)
def kernel(x):
    return x * 2.0 + 1.0
"""


def test_processes_warming_one_cold_cache_at_once_compile_it_once(tmp_path):
    # The lock protocol with a real, cheap numba kernel (the feature kernels take minutes to compile
    # on a busy machine; the protocol does not depend on what is compiled).
    (tmp_path / "tiny_kernel.py").write_text(KERNEL)
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)]),
    }
    code = (
        "from audio.numba_cache import warm_numba_cache; import tiny_kernel; "
        "print(warm_numba_cache(lambda: tiny_kernel.kernel(1.0)))"
    )
    starts = [
        subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=600)[0].strip() for process in starts]

    assert [process.returncode for process in starts] == [0, 0, 0]
    assert sorted(outputs) == ["False", "False", "True"]  # one compiled under the lock, the others only waited
    assert any(path.suffix == ".nbi" for path in (tmp_path / "cache").rglob("*"))  # numba's cache index
    rerun = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.stdout.strip() == "False"


PIPELINE_RUN = """
import sys
import soundfile as sf
from audio.demo import synth
from audio.pipeline import process_audio
from audio.processing import ProcessingSettings

events = [synth.NoteEvent(0.4 * i, 0.8, 60 + (7 * i) % 12, i % 4) for i in range(52)]
sf.write(sys.argv[1], synth.render_events(events, seconds=21.0), synth.SAMPLE_RATE, subtype="PCM_24")
print(len(process_audio(sys.argv[1], "clip.wav", ProcessingSettings(), start_offset_s=0.0).features))
"""


def test_after_the_warm_up_the_ingest_pipeline_only_reads_the_cache(tmp_path):
    # Ingest workers run side by side; they are safe only if none of them compiles into the shared
    # cache (numba #10128), i.e. if the warm-up compiled every kernel the pipeline uses.
    cache = tmp_path / "cache"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    warm = "from audio.numba_cache import warm_numba_cache; print(warm_numba_cache())"
    warmed = subprocess.run(
        [sys.executable, "-c", warm], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert warmed.stdout.strip() == "True", warmed.stderr
    after_warm_up = {path: path.stat().st_mtime_ns for path in cache.rglob("*") if path.is_file()}

    run = subprocess.run(
        [sys.executable, "-c", PIPELINE_RUN, str(tmp_path / "clip.wav")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stderr
    assert int(run.stdout.strip()) > 40  # the features were extracted
    assert {path: path.stat().st_mtime_ns for path in cache.rglob("*") if path.is_file()} == after_warm_up
