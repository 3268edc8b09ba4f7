"""Drive N simulated participants through a running Human Touch server and print what it cost.

    .venv/bin/python benchmarks/participant_load.py --start-server -n 10 --think 0
    .venv/bin/python benchmarks/participant_load.py --url http://127.0.0.1:8501 -n 50 --think 15 --ramp 60

Each participant is one browser tab spoken for over Streamlit's websocket (no browser; see
``benchmarks/streamlit_client.py`` and ``benchmarks/participant_journey.py``), all in one asyncio
process. Before the run the study's settings are stored through ``experiment.repository`` on
the server's database (``--trials`` main trials; the default study adds a practice, an attention
and a repeat trial). ``--start-server`` starts ``streamlit run app.py`` on a free port with a fresh
data folder (SQLite, demo clips built first); otherwise ``--url`` names a running server whose
database this process reaches through ``HUMAN_TOUCH_DATA`` / ``HUMAN_TOUCH_DATABASE_URL``.

Printed: participants started, completed, errors, lost or duplicated answers (checked in the
database afterwards: every completed participant has each of its trials answered exactly once),
server CPU seconds per completed participant (``/proc/<pid>/stat`` of the server process, found
by its port unless ``--server-pid``), and p50/p95/max of answer -> next clip ready (from sending
an answer to receiving the next trial's audio bytes: the player element, then its one-time URL
fetched as player.js does).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.participant_journey import Participant, ParticipantResult  # noqa: E402 - needs REPO on sys.path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------------------------
# Server process: start, find, CPU


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (all their threads), from /proc/<pid>/stat."""
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)
    return total


def pids_listening_on(port: int) -> list[int]:
    """Processes with a listening TCP socket on ``port`` (from /proc/net/tcp*; own processes only)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{parts[9]}]")
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def wait_healthy(url: str, process: subprocess.Popen | None, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not become healthy in {timeout_s:.0f} s")


def start_server(app_dir: Path, data_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Prepare ``data_dir`` (migrations, demo clips) and serve ``app_dir/app.py`` as ``make run`` does."""
    env = {**os.environ, "HUMAN_TOUCH_DATA": str(data_dir), "PYTHONPATH": str(app_dir)}
    env.pop("HUMAN_TOUCH_DATABASE_URL", None)
    with open(log_path, "ab") as log:
        # The CLI moved from core.cli to human_touch.cli; checkouts from before the move still run.
        cli = "human_touch.cli" if (app_dir / "human_touch").is_dir() else "core.cli"
        subprocess.run(
            [sys.executable, "-m", cli, "prepare"],
            cwd=app_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=app_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


# ----------------------------------------------------------------------------------------------
# Study settings and the database check


def configure_study(n_trials: int, listening_requirement: float, like_browser_load: bool = False) -> str:
    """Store the benchmark's settings as a new study version; returns a one-line description.

    ``like_browser_load``: the study of ``benchmarks/browser_load.py --screening`` instead (main
    trials only, one headphone sound, no questions after the clips), so that the script runs a
    Chromium participant causes can be compared with this client's.
    """
    from core import db
    from experiment import repository

    with db.session_scope() as session:
        _, current = repository.current_settings(session)
        if like_browser_load:
            from benchmarks.browser_load import study_settings

            settings = study_settings(n_trials, screening=True, base=current)
        else:
            settings = current.with_changes(
                prolific_enabled=False,
                n_trials=n_trials,
                screening="optional",
                listening_requirement=listening_requirement,
            )
        repository.save_settings(session, settings, note="benchmarks/participant_load.py")
        repository.set_study_open(session, repository.default_study_id(session), True)
    extra = [name for name in ("practice_trial", "attention_check", "repeat_check") if getattr(settings, name)]
    return (
        f"{n_trials} main trials + {', '.join(extra) or 'nothing else'}; screening {settings.screening} "
        f"({settings.screening_trials} sounds); listening requirement {listening_requirement:g}"
    )


@dataclass
class StoredCheck:
    lost: int = 0
    duplicated: int = 0
    incomplete: int = 0
    answers_per_participant: int = 0


def check_database(results: Sequence[ParticipantResult]) -> StoredCheck:
    """Every completed participant must have each stored trial answered exactly once."""
    from sqlalchemy import func, select

    from core import db
    from core.models import Participant as ParticipantRow
    from core.models import Response, Trial

    check = StoredCheck()
    with db.session_scope() as session:
        for result in results:
            if not result.completed or result.token is None:
                continue
            participant = session.scalars(
                select(ParticipantRow).where(ParticipantRow.resume_token == result.token)
            ).one()
            counts = dict(
                session.execute(
                    select(Trial.trial_index, func.count(Response.id))
                    .outerjoin(Response, Response.trial_id == Trial.id)
                    .where(Trial.participant_id == participant.id)
                    .group_by(Trial.trial_index)
                ).all()
            )
            check.lost += sum(1 for n in counts.values() if n == 0)
            check.duplicated += sum(n - 1 for n in counts.values() if n > 1)
            check.incomplete += participant.completed_at is None
            check.answers_per_participant = max(check.answers_per_participant, len(counts))
            check.lost += max(0, result.answers_sent - sum(counts.values()))
    return check


# ----------------------------------------------------------------------------------------------
# The run


def loopback_address(number: int) -> str:
    """Participant ``number``'s own loopback address (127.0.1.2, 127.0.1.3, ...; all of 127/8 is local)."""
    return f"127.0.{1 + number // 250}.{2 + number % 250}"


async def run_participants(
    url: str,
    n: int,
    think_s: float,
    ramp_s: float,
    seed: int = 1,
    timeout_s: float = 300.0,
    own_addresses: bool = False,
) -> list[ParticipantResult]:
    """Start ``n`` participants spread evenly over ``ramp_s`` seconds; wait for all of them.

    ``own_addresses``: each participant connects from its own loopback address
    (:func:`loopback_address`), as real participants come from their own: nginx allows 300
    websockets per client address (``deploy/nginx``), which 400 participants from 127.0.0.1 exceed.
    """
    # HTTP fetches (the page, the players' clips) run in threads: enough that none waits for another.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))

    async def one(number: int) -> ParticipantResult:
        await asyncio.sleep(ramp_s * number / max(n, 1))
        source = loopback_address(number) if own_addresses else None
        participant = Participant(number, url, think_s, random.Random(seed * 1_000_003 + number), timeout_s, source)
        return await participant.run()

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def warm_up(url: str) -> None:
    """One page load, so that the first participant does not pay for the server's first imports."""
    from benchmarks.streamlit_client import StreamlitTab

    tab = StreamlitTab(url)
    await tab.open()
    await tab.wait_for_page(lambda page: bool(page.find("button")), "the consent page")
    await tab.close()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


def report(results: list[ParticipantResult], check: StoredCheck, cpu_s: float | None, wall_s: float) -> None:
    completed = [r for r in results if r.completed]
    errors = [r for r in results if r.error]
    latencies = [s for r in results for s in r.clip_latencies_s]
    runs = sum(r.script_runs for r in results)
    print(
        f"started {len(results)}  completed {len(completed)}  errors {len(errors)}  "
        f"lost answers {check.lost}  duplicated answers {check.duplicated}  "
        f"completed but not marked complete {check.incomplete}"
    )
    for result in errors[:5]:
        print(f"  participant {result.number}: {result.error}")
    print(
        f"answers per completed participant {check.answers_per_participant}; script runs per participant "
        f"{runs / max(len(results), 1):.1f}; MB received per participant "
        f"{sum(r.bytes_received for r in results) / 1e6 / max(len(results), 1):.1f}"
    )
    if cpu_s is not None:
        per = cpu_s / len(completed) if completed else float("nan")
        print(
            f"server CPU {cpu_s:.1f} s: {per:.2f} s per completed participant, "
            f"{1000 * cpu_s / max(runs, 1):.0f} ms per script run"
        )
    print(
        f"answer -> next clip ready (n={len(latencies)}): p50 {percentile(latencies, 50):.2f} s  "
        f"p95 {percentile(latencies, 95):.2f} s  max {max(latencies, default=float('nan')):.2f} s"
    )
    print(f"wall {wall_s:.0f} s; machine load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8501")
    where.add_argument("--start-server", action="store_true", help="serve app.py on a free port, fresh data")
    parser.add_argument("-n", type=int, default=10, help="participants (default 10)")
    parser.add_argument("--think", type=float, default=15.0, help="mean pause before each answer, s (±50 %%)")
    parser.add_argument("--ramp", type=float, default=0.0, help="arrivals spread evenly over this many s")
    parser.add_argument("--trials", type=int, default=12, help="main trials (even; default 12 -> 15 answers)")
    parser.add_argument("--listening-requirement", type=float, default=1.0)
    parser.add_argument(
        "--like-browser-load",
        action="store_true",
        help="the study of browser_load.py --screening (main trials only, one headphone sound), to compare runs",
    )
    parser.add_argument("--server-pid", type=int, action="append", help="server process(es) for CPU")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="with --start-server: the checkout to serve")
    parser.add_argument("--data", type=Path, help="with --start-server: data folder (default: a fresh temp one)")
    parser.add_argument("--timeout", type=float, default=300.0, help="longest wait for one page, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--own-addresses",
        action="store_true",
        help="each participant from its own 127.0.x.y (nginx allows 300 websockets per address)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    process = None
    if args.start_server:
        data = args.data or Path(tempfile.mkdtemp(prefix="ht-load-")) / "data"
        data.mkdir(parents=True, exist_ok=True)
        os.environ["HUMAN_TOUCH_DATA"] = str(data)
        os.environ.pop("HUMAN_TOUCH_DATABASE_URL", None)
        print(f"starting the server on {data} (first demo build takes ~30 s; log {data.parent / 'server.log'})")
        process, url = start_server(args.app_dir.resolve(), data, data.parent / "server.log")
    else:
        url = args.url.rstrip("/")
        wait_healthy(url, None, timeout_s=10)
    try:
        study = configure_study(args.trials, args.listening_requirement, args.like_browser_load)
        pids = args.server_pid or ([process.pid] if process else pids_listening_on(int(url.rsplit(":", 1)[1])))
        print(
            f"participant_load: {url}  server pid(s) {pids or 'not found'}  n={args.n}  "
            f"think {args.think:g} s (x0.5..1.5)  ramp {args.ramp:g} s"
        )
        print(
            f"study: {study}. Clips play in real time (no report says more was heard than time has "
            f"passed); the player reports once, when the requirement is met, as player.js does."
        )
        asyncio.run(warm_up(url))  # not measured: a server in use has imported its pages already
        cpu_before = cpu_seconds(pids) if pids else None
        started = time.perf_counter()
        results = asyncio.run(
            run_participants(url, args.n, args.think, args.ramp, args.seed, args.timeout, args.own_addresses)
        )
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before if cpu_before is not None else None
        report(results, check_database(results), cpu, wall)
        return 0 if all(r.completed for r in results) else 1
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
