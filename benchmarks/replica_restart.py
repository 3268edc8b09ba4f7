"""How long a participant replica is gone after SIGKILL under ``deploy/serve.sh`` (issue 23: back within 10 s).

    HUMAN_TOUCH_TEST_PG_URL=postgresql+psycopg://... .venv/bin/python benchmarks/replica_restart.py [--kills 6]

Starts the deployment as ``make serve`` does (nginx + 2 participant replicas on PostgreSQL, a database of
its own created on the server ``HUMAN_TOUCH_TEST_PG_URL`` names and dropped at the end; free ports; its own
run folder), then SIGKILLs the replicas in turn, each only after it has served for more than serve.sh's
``MIN_UPTIME_S`` (60 s), so every restart takes the first back-off step (1 s), as a replica that crashes once
in a study would. Per kill it measures, polling every 0.05 s from this process:

- ``gone``: seconds from SIGKILL until the replica's port answers ``/_stcore/health`` with 200 again;
- ``serve.sh``: the "healthy N s after it died" that serve.sh logs for the same restart (its own clock,
  from the moment ``wait -n`` saw the death);
- ``start``: ``gone`` less the back-off: how long a new replica takes from exec to a healthy server;
- ``page``: seconds from SIGKILL until a new participant's consent page has been drawn by the new replica
  (over Streamlit's websocket straight to its port, :mod:`benchmarks.streamlit_client`): health answers
  before the app's first script run has imported the app, and nginx sends browsers to a replica as soon
  as it answers, so this is when the replica is really back for participants.

Prints each kill, then median / p95 / max of each with the load average before and after. The machine is
shared: a replica's start is CPU-bound (Python imports), so under load it takes longer; the load is printed
so the numbers can be read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.cold_start import first_participant_page  # noqa: E402 - needs REPO on sys.path
from benchmarks.participant_load import percentile  # noqa: E402

MIN_UPTIME_S = 60.0  # deploy/serve.sh: a replica that ran this long restarts after the first back-off step
FIRST_BACKOFF_S = 1.0
POLL_S = 0.05
BACK_LINE = re.compile(r"serve\.sh: replica (\d+) is back \(pid (\d+), healthy ([\d.]+) s after it died\)")


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 now (the machine is shared: no fixed ports)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def healthy(port: int) -> bool:
    """The replica on ``port`` answers its health check with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(condition, what: str, timeout_s: float = 600.0) -> float:
    """Poll ``condition`` every ``POLL_S`` until it holds; returns the monotonic time it first held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(POLL_S)
    raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")


def create_database(admin_url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``admin_url``; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop ``name`` (connections and all)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def start_deployment(base: Path, database_url: str) -> tuple[subprocess.Popen, list[int]]:
    """``prepare`` the database, then ``serve.sh --replicas 2 --no-staff``; returns (process, replica ports)."""
    replica_port, _second, listen = free_ports(3)
    env = {
        **os.environ,
        "HUMAN_TOUCH_DATA": str(base / "data"),
        "HUMAN_TOUCH_DATABASE_URL": database_url,
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".numba-cache")),
        "PYTHON": sys.executable,
        "RUN_DIR": str(base / "run"),
        "BASE_PORT": str(replica_port),
        "LISTEN": f"127.0.0.1:{listen}",
    }
    subprocess.run([sys.executable, "-m", "human_touch.cli", "prepare"], cwd=REPO, env=env, check=True)
    log = open(base / "serve.log", "wb")  # noqa: SIM115 - stays open for serve.sh's lifetime
    process = subprocess.Popen(
        ["bash", str(REPO / "deploy" / "serve.sh"), "--replicas", "2", "--no-prepare", "--no-staff"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    # serve.sh gives replicas consecutive ports from BASE_PORT.
    ports = [replica_port, replica_port + 1]
    wait_for(lambda: "serve.sh: ready" in (base / "serve.log").read_text(), "serve.sh ready")
    return process, ports


def kill_and_time(base: Path, port: int) -> dict[str, float]:
    """SIGKILL the replica on ``port`` and time its return (seconds; see the module docstring)."""
    pid_file = base / "run" / f"replica-{port}.pid"
    victim = int(pid_file.read_text())
    seen = len(BACK_LINE.findall((base / "serve.log").read_text()))
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)

    def new_and_healthy() -> bool:
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        return bool(text) and int(text) != victim and healthy(port)

    back_at = wait_for(new_and_healthy, f"replica {port} back after SIGKILL")
    wait_for(lambda: len(BACK_LINE.findall((base / "serve.log").read_text())) > seen, "serve.sh's log line")
    line = [m for m in BACK_LINE.findall((base / "serve.log").read_text()) if int(m[0]) == port][-1]
    asyncio.run(first_participant_page(f"http://127.0.0.1:{port}"))
    page_at = time.monotonic()
    gone = back_at - killed_at
    return {"gone": gone, "serve.sh": float(line[2]), "start": gone - FIRST_BACKOFF_S, "page": page_at - killed_at}


def summary(name: str, values: list[float]) -> str:
    """One line: median / p95 / max of ``values`` (seconds)."""
    return (
        f"{name:>9}: median {statistics.median(values):5.1f} s   p95 {percentile(values, 95):5.1f} s   "
        f"max {max(values):5.1f} s   (n = {len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=6, help="SIGKILLs, alternating between the two replicas")
    args = parser.parse_args()
    admin_url = os.environ.get("HUMAN_TOUCH_TEST_PG_URL")
    if not admin_url:
        print("error: set HUMAN_TOUCH_TEST_PG_URL (bash scripts/start_test_postgres.sh prints one)", file=sys.stderr)
        return 2
    name = f"ht_restart_{os.getpid()}"
    database_url = create_database(admin_url, name)
    with tempfile.TemporaryDirectory(prefix="ht-restart-") as folder:
        base = Path(folder)
        process, ports = start_deployment(base, database_url)
        load_before = os.getloadavg()
        started = {port: time.monotonic() for port in ports}
        rows: list[dict[str, float]] = []
        try:
            for k in range(args.kills):
                port = ports[k % 2]
                # Only a replica that served MIN_UPTIME_S restarts after the first back-off step.
                wait_for(lambda p=port: time.monotonic() - started[p] > MIN_UPTIME_S + 1, "uptime", 120)
                row = kill_and_time(base, port)
                started[port] = time.monotonic()
                rows.append(row)
                print(
                    f"kill {k + 1}: replica {port} healthy again {row['gone']:.1f} s after SIGKILL "
                    f"(serve.sh says {row['serve.sh']:.1f} s; new process to healthy {row['start']:.1f} s; "
                    f"consent page drawn {row['page']:.1f} s after SIGKILL), "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
            drop_database(admin_url, name)
    load_after = os.getloadavg()
    for key in ("gone", "serve.sh", "start", "page"):
        print(summary(key, [row[key] for row in rows]))
    print(f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f}; target: back within 10 s")
    # Without bytecode caches every replica start compiles its imports from source (~1.5 s more here).
    print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
