"""Cold start: a fresh clone's first ``make run`` until the first participant page is served.

    .venv/bin/python benchmarks/cold_start.py [--repeats 3] [--rev BEFORE --rev AFTER] [--bytecode cold] [--install]

Each repeat clones this repository at ``--rev`` into a temporary folder (a fresh clone: no
``data/``, no ``.numba-cache/``) and runs what ``make run`` runs there, with the environment
``make`` gives it: ``python -m human_touch.cli prepare`` (migrations, staff password, the demo
study's clips, numba's first compile of librosa's kernels), then ``python -m streamlit run app.py``
(on a free port of 127.0.0.1 instead of 8501, since the machine is shared). The clock stops when
the server answers its health check AND a participant's first page of the demo study (the consent
page, "I agree, start the study") has finished drawing over Streamlit's websocket
(:mod:`benchmarks.streamlit_client`, no browser).

Installing the environment is not part of it: this process's Python (the repository's ``.venv``)
runs the clone's code (the clone is first on ``sys.path``). ``--install`` also times ``make
install`` into a new ``.venv`` inside the first clone (uv, from its download cache), reported
apart.

Printed per phase (wall seconds and CPU seconds of the whole process tree, sampled from
``/proc`` every 0.1 s), median and p95 over the repeats, with the load average: the machine is
shared, and wall time depends on the load while CPU seconds mostly do not. Phases of
``prepare`` are cut at its progress lines: ``ground`` (imports, migrations, password) until
"Demo library: rendering", ``render`` (corpus, Markov model, synthesis; numba's compile runs
beside it in its own process) until "processing and adding", ``ingest`` (decode, loudness,
encode, features in two worker processes) until "Demo library ready", ``exit``. Then ``health``
(``streamlit run`` until ``/_stcore/health`` answers) and ``page`` (until the consent page is
drawn). ``numba``: seconds from the start of ``prepare`` until numba's cache is marked warm
(``.numba-cache/warm-*``, written when the first compile of librosa's kernels ends), and the CPU
seconds the compiling process (the busiest one besides ``prepare``'s own) had used by then; it
overlaps ``render`` and ``ingest``.

``idle 2-core estimate``: what the wall time would be on an idle two-core machine if every
process were CPU-bound, per phase max(tree CPU / 2, the busiest single process's CPU), summed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.streamlit_client import ScriptRun, StreamlitTab  # noqa: E402 - needs REPO on sys.path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_EVERY_S = 0.1
#: Progress lines of ``prepare`` that end a phase (the phase named before each).
PREPARE_MARKS = (
    ("ground", "Demo library: rendering"),
    ("render", "Demo library: processing and adding"),
    ("ingest", "Demo library ready"),
)
PHASES = ("ground", "render", "ingest", "exit", "health", "page")
CONSENT_BUTTON = "I agree, start the study"


# ----------------------------------------------------------------------------------------------
# CPU of a process tree, sampled


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` (all threads), or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class TreeSampler:
    """Samples the CPU seconds of ``root`` and its descendants every :data:`SAMPLE_EVERY_S` in a thread.

    A process's CPU after its last sample is lost (at most one sampling interval of it).
    """

    root: int
    watch: Path | None = None
    """A path (glob pattern) whose first appearance is noted in ``watch_seen_at``."""
    watch_seen_at: float | None = None
    samples: list[tuple[float, dict[int, float]]] = field(default_factory=list)
    """(time, CPU seconds of every process seen so far, the exited ones at their last sample)."""
    alive: list[set[int]] = field(default_factory=list)
    commands: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        latest: dict[int, float] = {}
        while not self._stop.is_set():
            pending, now, alive = [self.root], time.perf_counter(), set()
            while pending:
                pid = pending.pop()
                cpu = _cpu_of(pid)
                if cpu is None:
                    continue
                latest[pid] = cpu
                alive.add(pid)
                if pid not in self.commands:
                    self.commands[pid] = _cmdline(pid)
                pending += _children(pid)
            self.samples.append((now, dict(latest)))
            self.alive.append(alive)
            if self.watch is not None and self.watch_seen_at is None and any(self.watch.parent.glob(self.watch.name)):
                self.watch_seen_at = now
            self._stop.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, moment: float) -> dict[int, float]:
        """CPU seconds of every process seen so far, at the last sample before ``moment``."""
        before = [cpu for when, cpu in self.samples if when <= moment]
        return before[-1] if before else {}

    def window(self, start: float, end: float) -> tuple[float, float]:
        """(tree CPU seconds, busiest process's CPU seconds) between ``start`` and ``end``."""
        first, last = self.at(start), self.at(end)
        used = [cpu - first.get(pid, 0.0) for pid, cpu in last.items()]
        return sum(used), max(used, default=0.0)

    def busiest_child_cpu(self, moment: float) -> float:
        """CPU seconds of the busiest process other than ``root`` at ``moment``."""
        return max((cpu for pid, cpu in self.at(moment).items() if pid != self.root), default=0.0)


# ----------------------------------------------------------------------------------------------
# One cold start


@dataclass
class ColdStart:
    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    critical: dict[str, float] = field(default_factory=dict)
    load: float = 0.0
    prepare_cpu_rusage: float = 0.0
    bytecode_s: float = 0.0
    page_text: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clone(rev: str, into: Path) -> None:
    subprocess.run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(REPO), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "--quiet", rev], check=True)


def _make_environment(clone: Path, bytecode: str) -> dict[str, str]:
    """What ``make run`` in a fresh clone gives its commands (Makefile: ``NUMBA_CACHE_DIR``).

    ``bytecode``: "cold" writes Python's bytecode caches (.pyc) into an empty folder of the clone
    (``PYTHONPYCACHEPREFIX``), as the first run after ``uv pip install`` (which compiles none) does;
    "warm" fills that folder first (``compileall``, timed apart), as an install that compiles
    bytecode leaves it; "inherit" keeps this environment's setting (``PYTHONDONTWRITEBYTECODE=1``
    here: every process compiles every module it imports from source).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUMAN_TOUCH_")}
    env.update(NUMBA_CACHE_DIR=str(clone / ".numba-cache"), PYTHONPATH=str(clone))
    if bytecode != "inherit":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(clone / ".pycache")
    return env


def _compile_bytecode(python: str, clone: Path, env: dict[str, str]) -> float:
    """Fill the clone's bytecode folder for the environment's packages and the clone; wall seconds."""
    paths = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    start = time.perf_counter()
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", *paths, str(clone)], env=env, check=False, capture_output=True
    )
    return time.perf_counter() - start


def _run_prepare(python: str, clone: Path, env: dict[str, str], log, result: ColdStart, start: float) -> None:
    """``human-touch prepare``; fills ``result`` with its phases (cut at its progress lines)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(
        [python, "-m", "human_touch.cli", "prepare"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sampler = TreeSampler(process.pid, watch=clone / ".numba-cache" / "warm-*")
    marks: dict[str, float] = {}
    assert process.stdout is not None
    for line in process.stdout:
        log.write(line)
        for phase, text in PREPARE_MARKS:
            if phase not in marks and line.startswith(text):
                marks[phase] = time.perf_counter()
    if process.wait() != 0:
        raise RuntimeError(f"prepare failed with exit code {process.returncode}; see {log.name}")
    marks["exit"] = time.perf_counter()
    time.sleep(2 * SAMPLE_EVERY_S)
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.prepare_cpu_rusage = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    previous = start
    for phase in ("ground", "render", "ingest", "exit"):
        if phase not in marks:
            raise RuntimeError(f"prepare printed no line for the end of {phase!r}; see {log.name}")
        result.wall[phase] = marks[phase] - previous
        result.cpu[phase], busiest = sampler.window(previous, marks[phase])
        result.critical[phase] = max(result.cpu[phase] / 2, busiest)
        previous = marks[phase]
    warm = sampler.watch_seen_at
    result.wall["numba"] = warm - start if warm is not None else float("nan")
    result.cpu["numba"] = sampler.busiest_child_cpu(warm) if warm is not None else float("nan")


def _wait_healthy(url: str, server: subprocess.Popen, timeout_s: float = 300.0) -> None:
    """Poll the health endpoint until it answers 200 (the event waited for; raises on exit or timeout)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer its health check in {timeout_s:.0f} s")


async def first_participant_page(url: str) -> ScriptRun:
    tab = StreamlitTab(url, timeout_s=300.0)
    await tab.open()
    try:
        return await tab.wait_for_page(
            lambda page: bool(page.find("button", lambda b: b.label == CONSENT_BUTTON)), "the consent page"
        )
    finally:
        await tab.close()


def _serve(python: str, clone: Path, env: dict[str, str], log, result: ColdStart) -> None:
    """``streamlit run app.py`` until health answers and the consent page is drawn; then stop it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    server = subprocess.Popen(
        [python, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--browser.gatherUsageStats"]
        + ["false", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sampler = TreeSampler(server.pid)
    try:
        _wait_healthy(url, server)
        healthy = time.perf_counter()
        page = asyncio.run(first_participant_page(url))
        served = time.perf_counter()
        time.sleep(2 * SAMPLE_EVERY_S)
    finally:
        sampler.stop()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    for phase, begin, end in (("health", start, healthy), ("page", healthy, served)):
        result.wall[phase] = end - begin
        result.cpu[phase], busiest = sampler.window(begin, end)
        result.critical[phase] = max(result.cpu[phase] / 2, busiest)
    result.page_text = " ".join(page.texts().split())[:80]


def cold_start(rev: str, python: str, bytecode: str, keep_log: Path) -> ColdStart:
    """One fresh clone's ``prepare`` + ``streamlit run`` until the consent page; returns its phases."""
    with tempfile.TemporaryDirectory(prefix="ht-cold-") as folder:
        clone = Path(folder) / "human-touch"
        _clone(rev, clone)
        env = _make_environment(clone, bytecode)
        compiled_s = _compile_bytecode(python, clone, env) if bytecode == "warm" else 0.0
        result = ColdStart(load=os.getloadavg()[0], bytecode_s=compiled_s)
        with open(keep_log, "w") as log:
            _run_prepare(python, clone, env, log, result, time.perf_counter())
            log.flush()
            _serve(python, clone, env, log, result)
    return result


def time_install(rev: str) -> tuple[float, float]:
    """(wall s, CPU s) of ``make install`` into a new ``.venv`` of a fresh clone (uv's download cache warm)."""
    with tempfile.TemporaryDirectory(prefix="ht-install-") as folder:
        clone = Path(folder) / "human-touch"
        _clone(rev, clone)
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(["make", "-C", str(clone), "install"], env=env, check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


# ----------------------------------------------------------------------------------------------
# Report


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(runs: list[ColdStart], rev: str, bytecode: str) -> None:
    def row(name: str, walls: list[float], cpus: list[float], idle: list[float] | None) -> None:
        estimate = f"{statistics.median(idle):9.1f}" if idle else f"{'':9s}"
        print(
            f"  {name:8s} {statistics.median(walls):9.1f} {_p95(walls):9.1f} "
            f"{statistics.median(cpus):8.1f} {_p95(cpus):8.1f} {estimate}"
        )

    print(
        f"cold start of a fresh clone at {rev} (bytecode {bytecode}): prepare + streamlit run until the "
        f"consent page, {len(runs)} run(s); seconds"
    )
    print(f"  {'phase':8s} {'wall med':>9s} {'wall p95':>9s} {'CPU med':>8s} {'CPU p95':>8s} {'idle est':>9s}")
    for phase in PHASES:
        row(phase, [r.wall[phase] for r in runs], [r.cpu[phase] for r in runs], [r.critical[phase] for r in runs])
    row(
        "total",
        [sum(r.wall[p] for p in PHASES) for r in runs],
        [sum(r.cpu[p] for p in PHASES) for r in runs],
        [sum(r.critical[p] for p in PHASES) for r in runs],
    )
    row("(numba)", [r.wall["numba"] for r in runs], [r.cpu["numba"] for r in runs], None)
    print(
        "  prepare CPU by getrusage (all its processes): median "
        f"{statistics.median(r.prepare_cpu_rusage for r in runs):.1f} s"
    )
    if bytecode == "warm":
        print(
            "  bytecode compiled beforehand (not counted): median "
            f"{statistics.median(r.bytecode_s for r in runs):.1f} s wall"
        )
    loads = ", ".join(f"{run.load:.1f}" for run in runs)
    print(f"  load average (1 min) at each start: {loads} on {os.cpu_count()} cores")
    print(f"  first page: {runs[0].page_text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--rev",
        action="append",
        help="commit to clone (default HEAD: uncommitted changes are not in it); give two to compare "
        "before and after, run alternately so that both see the same load",
    )
    parser.add_argument("--bytecode", choices=("cold", "warm", "inherit"), default="cold", help="see _make_environment")
    parser.add_argument("--install", action="store_true", help="also time `make install` into a new .venv")
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "ht-cold-start.log")
    args = parser.parse_args()
    revs = [
        subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", rev], check=True, capture_output=True, text=True
        ).stdout.strip()
        for rev in args.rev or ["HEAD"]
    ]
    runs: dict[str, list[ColdStart]] = {rev: [] for rev in revs}
    for index in range(args.repeats):
        for rev in revs:
            runs[rev].append(cold_start(rev, sys.executable, args.bytecode, args.log))
            total = sum(runs[rev][-1].wall[p] for p in PHASES)
            print(f"  {rev} run {index + 1}: {total:.1f} s wall, load {runs[rev][-1].load:.1f}", flush=True)
    for rev in revs:
        report(runs[rev], rev, args.bytecode)
    if args.install:
        wall, cpu = time_install(revs[-1])
        print(f"  install (make install into a new .venv, reported apart): {wall:.1f} s wall, {cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
