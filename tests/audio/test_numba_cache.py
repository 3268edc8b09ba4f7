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
