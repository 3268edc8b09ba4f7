"""deploy/systemd runs what deploy/serve.sh runs: the same Streamlit flags, and units systemd accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
UNITS = ["human-touch@.service", "human-touch-staff.service", "human-touch-prepare.service", "human-touch.target"]


def _serve_flags() -> set[str]:
    text = (DEPLOY / "serve.sh").read_text()
    block = re.search(r"STREAMLIT_FLAGS=\((.*?)\)", text, re.S)
    assert block, "serve.sh defines STREAMLIT_FLAGS"
    words = block.group(1).split()
    return {f"{name} {value}" for name, value in zip(words[::2], words[1::2], strict=True)}


def _exec_start(unit: str) -> str:
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    (line,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    return " ".join(line.split())


@pytest.mark.parametrize("unit", ["human-touch@.service", "human-touch-staff.service"])
def test_replica_units_start_streamlit_with_serve_sh_flags(unit):
    command = _exec_start(unit)
    missing = [flag for flag in sorted(_serve_flags()) if flag not in command]
    assert not missing, f"{unit} lacks serve.sh's {missing}"
    unit_text = (DEPLOY / "systemd" / unit).read_text()
    assert "Restart=on-failure" in unit_text and "RestartSec=" in unit_text


def test_systemd_accepts_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze (Debian's systemd) is not installed")
    for unit in UNITS:
        shutil.copy(DEPLOY / "systemd" / unit, tmp_path / unit)
    shutil.copy(tmp_path / "human-touch@.service", tmp_path / "human-touch@8601.service")
    checked = [str(tmp_path / u) for u in ["human-touch@8601.service", *UNITS[1:]]]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *checked], capture_output=True, text=True, timeout=120
    )
    problems = [
        line
        for line in done.stderr.splitlines()
        if line.strip()
        and "is not executable" not in line  # /opt/human-touch is not installed here
        and not re.search(r"Unknown key '(RestartSteps|RestartMaxDelaySec)'", line)  # systemd < 254
    ]
    assert problems == []
