"""Whether R and its reference packages (lme4, ordinal, pbkrtest, lmerTest) can run here."""

from __future__ import annotations

import functools
import shutil
import subprocess


@functools.cache
def r_package_available(*packages: str) -> bool:
    """True when ``Rscript`` loads every one of ``packages`` (Debian's r-cran-*), checked once per process."""
    if not shutil.which("Rscript"):
        return False
    loads = "; ".join(f"library({name})" for name in packages)
    probe = subprocess.run(["Rscript", "-e", loads], capture_output=True, timeout=120, check=False)
    return probe.returncode == 0
