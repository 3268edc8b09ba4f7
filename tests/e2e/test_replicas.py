"""A real study deployment: nginx + 2 replicas + PostgreSQL started by ``deploy/serve.sh``.

Participants in Chromium go through nginx (websocket, sticky cookie) into their trials; the
replica one of them is on is killed with SIGKILL mid-study. That participant must continue on
the other replica through their resume link to the debrief, the other participant must not
notice, and every answer must be stored exactly once. Strangers must not be able to upload.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core import db
from core.models import Participant, Response
from experiment import repository
from experiment.settings import StudySettings
from tests.conftest import PG_URL, require_or_skip
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import ROOT, wait_for_app
from tests.waiting import GENEROUS_S, wait_until

pytestmark = pytest.mark.e2e

# The demo library's clips are 20 s long; a short listening requirement keeps the test short.
STUDY = StudySettings(
    ai_questions_before=True,  # the journey ends at the debrief right after the last clip
    n_trials=4,
    screening="off",
    practice_trial=False,
    attention_check=False,
    repeat_check=False,
    listening_requirement=0.05,
    min_answer_seconds=0.0,
)
REPLICA_HEADER = "x-human-touch-replica"
STICKY_COOKIE = "ht_replica"


def human_touch_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the ``human-touch`` command line (the one place that names its module)."""
    return subprocess.run(
        [sys.executable, "-m", "human_touch.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3 * GENEROUS_S,  # the demo build: minutes on a loaded 2-core machine
        check=True,
    )


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    """``count`` consecutive free ports (serve.sh numbers replicas from BASE_PORT)."""
    for _ in range(200):
        base = secrets.randbelow(20_000) + 20_000
        if all(_port_is_free(base + i) for i in range(count)):
            return [base + i for i in range(count)]
    raise RuntimeError("no free ports")


@dataclass
class Deployment:
    url: str  # the participant site (nginx)
    staff_url: str  # the staff site (nginx)
    database_url: str
    run_dir: Path
    replicas: dict[str, int]  # "127.0.0.1:PORT" -> pid

    def replica_for(self, cookie: str | None) -> tuple[str, str | None]:
        """Ask nginx which replica serves a browser with ``cookie``: (replica, cookie it sets)."""
        request = urllib.request.Request(f"{self.url}/_stcore/health")
        if cookie:
            request.add_header("Cookie", f"{STICKY_COOKIE}={cookie}")
        with urllib.request.urlopen(request, timeout=10) as response:
            set_cookie = " ".join(response.headers.get_all("Set-Cookie") or [])
            match = re.search(rf"{STICKY_COOKIE}=([0-9a-f]+)", set_cookie)
            return response.headers[REPLICA_HEADER], match.group(1) if match else None


def _create_database(name: str) -> str:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _wait_until_ready(process: subprocess.Popen, log: Path, timeout_s: float = GENEROUS_S) -> None:
    def ready() -> bool:
        if "serve.sh: ready" in log.read_text(errors="replace"):
            return True
        if process.poll() is not None:
            raise RuntimeError(f"serve.sh exited with {process.returncode}:\n{log.read_text()}")
        return False

    wait_until(ready, "serve.sh prints 'ready'", timeout_s)


def _stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as an organiser would; the whole group is killed if that did not work."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    require_or_skip(bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), "nginx (Debian package)")
    require_or_skip(bool(PG_URL), "PostgreSQL (HUMAN_TOUCH_TEST_PG_URL)")
    base = tmp_path_factory.mktemp("deployment")
    name = f"ht_replicas_{os.getpid()}"
    database_url = _create_database(name)
    *replica_ports, staff_port, listen, staff_listen = _free_ports(5)
    env = {
        **os.environ,
        "HUMAN_TOUCH_DATA": str(base / "data"),
        "HUMAN_TOUCH_DATABASE_URL": database_url,
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba-cache")),
        "PYTHON": sys.executable,
        "RUN_DIR": str(base / "run"),
        "BASE_PORT": str(replica_ports[0]),
        "STAFF_PORT": str(staff_port),
        "LISTEN": f"127.0.0.1:{listen}",
        "STAFF_LISTEN": f"127.0.0.1:{staff_listen}",
    }
    human_touch_cli("prepare", env=env)  # once per database: migrations, staff password, demo clips
    engine = db.get_engine(database_url)
    with db.session_scope(engine) as session:
        repository.save_settings(session, STUDY)

    log = base / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                "bash",
                str(ROOT / "deploy" / "serve.sh"),
                "--replicas",
                "2",
                "--no-prepare",
                "--expose-upstream",
                "--data-per-replica",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run_dir = base / "run"
    replicas: dict[str, int] = {}
    nginx_pid = None
    try:
        _wait_until_ready(process, log)
        replicas = {f"127.0.0.1:{port}": int((run_dir / f"replica-{port}.pid").read_text()) for port in replica_ports}
        nginx_pid = int((run_dir / "nginx.pid").read_text())
        yield Deployment(
            f"http://127.0.0.1:{listen}", f"http://127.0.0.1:{staff_listen}", database_url, run_dir, replicas
        )
    finally:
        restarted = _replica_pids(run_dir)  # replicas serve.sh restarted have new pids
        _stop(process)
        db.dispose_engines()
        _drop_database(name)
    leftovers = [pid for pid in {nginx_pid, *replicas.values(), *restarted} if pid and _alive(pid)]
    assert process.returncode is not None and not leftovers, f"Ctrl-C left processes running: {leftovers}"


def _replica_pids(run_dir: Path) -> list[int]:
    """The pids serve.sh wrote for its replicas now (a restarted replica has a new one)."""
    return [int(text) for path in run_dir.glob("replica-*.pid") if (text := path.read_text().strip())]


def _request(url: str, method: str, body: bytes = b"", source: str = "127.0.0.1") -> tuple[int, bytes]:
    """(status, body) of one plain HTTP request sent from the local address ``source``."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, parts.path or "/", body=body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _status(url: str, method: str, body: bytes = b"") -> int:
    return _request(url, method, body)[0]


def test_strangers_cannot_upload_and_browsers_stick_to_a_replica(deployment):
    upload = f"{deployment.url}/_stcore/upload_file/some-session/some-file"
    assert _status(upload, "PUT", b"x" * 1000) == 403
    assert _status(upload, "POST", b"x" * 1000) == 403
    big = b"\0" * (2 * 1024 * 1024)
    assert _status(upload, "PUT", big) == 413
    assert _status(f"{deployment.url}/", "POST", big) == 413

    # Organisers upload through the staff site: it lets large bodies through to the staff replica
    # (which then asks for Streamlit's XSRF token) and answers only the allowed addresses.
    staff_upload = f"{deployment.staff_url}/_stcore/upload_file/some-session/some-file"
    status, answer = _request(staff_upload, "PUT", big)
    assert status != 413 and b"nginx" not in answer, (status, answer[:200])
    assert _request(f"{deployment.staff_url}/staff", "GET", source="127.0.0.2")[0] == 403

    replica, cookie = deployment.replica_for(None)
    assert replica in deployment.replicas and cookie, "a new browser gets a sticky cookie"
    for _ in range(5):
        assert deployment.replica_for(cookie) == (replica, None), "the cookie keeps it on its replica"
    with urllib.request.urlopen(f"{deployment.url}/", timeout=10) as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"


def _cookie_for_each_replica(deployment: Deployment) -> dict[str, str]:
    """One sticky-cookie value per replica, found by asking nginx (its hash decides)."""
    found: dict[str, str] = {}
    while len(found) < len(deployment.replicas):
        candidate = secrets.token_hex(16)
        replica, _ = deployment.replica_for(candidate)
        found.setdefault(replica, candidate)
    return found


def _open_participant(chromium, deployment: Deployment, cookie: str):
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    context.add_cookies([{"name": STICKY_COOKIE, "value": cookie, "url": deployment.url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(deployment.url)
    wait_for_app(page, timeout_ms=120_000)
    return context, page


def _replica_of(context, deployment: Deployment) -> str:
    """The replica nginx sends this browser's requests to (same cookie jar as its page)."""
    return context.request.get(f"{deployment.url}/_stcore/health").headers[REPLICA_HEADER]


def _start(page) -> str:
    token = drive.consent(page)
    drive.answer_questionnaire(page)
    drive.read_instructions(page)
    return token


def _answer(page, number: int, confidence: str) -> None:
    drive.answer_current_trial(page, confidence, f"Clip {number} of 4", whole_clip=False)


def test_participant_survives_sigkill_of_their_replica(deployment, chromium):
    cookies = _cookie_for_each_replica(deployment)
    doomed, survivor = sorted(cookies)
    opened = [_open_participant(chromium, deployment, cookies[r]) for r in (doomed, survivor)]
    (moved_context, moved), (staying_context, staying) = opened
    try:
        tokens = [_start(moved), _start(staying)]
        for number, confidence in ((1, "Sure AI"), (2, "Probably human")):
            _answer(moved, number, confidence)
            _answer(staying, number, confidence)
        wait_for_app(moved, "Clip 3 of 4")
        assert _replica_of(moved_context, deployment) == doomed
        assert _replica_of(staying_context, deployment) == survivor

        os.kill(deployment.replicas[doomed], signal.SIGKILL)  # mid-study, no goodbye
        wait_until(lambda: not _alive(deployment.replicas[doomed]), f"the SIGKILLed replica {doomed} is gone")

        moved.goto(f"{deployment.url}/?resume={tokens[0]}")  # the resume link
        _answer(moved, 3, "Maybe AI")
        # On the survivor, or on the doomed replica once serve.sh has restarted it.
        assert _replica_of(moved_context, deployment) in (survivor, doomed)
        _answer(moved, 4, "Sure human")
        _answer(staying, 3, "Maybe AI")
        _answer(staying, 4, "Sure human")
        for page in (moved, staying):
            wait_for_app(page, "Which clips were made by AI?")
    finally:
        for context, _ in opened:
            context.close()

    with db.session_scope(db.get_engine(deployment.database_url)) as session:
        rows = session.execute(
            select(Participant.resume_token, Response.trial_index, Response.confidence, func.count())
            .join(Response, Response.participant_id == Participant.id)
            .group_by(Participant.resume_token, Response.trial_index, Response.confidence)
            .order_by(Participant.resume_token, Response.trial_index)
        ).all()
        completed = session.scalars(select(Participant.resume_token).where(Participant.completed_at.is_not(None))).all()
    assert sorted(completed) == sorted(tokens)
    for token in tokens:
        answers = [(index, confidence, count) for t, index, confidence, count in rows if t == token]
        # Every trial answered exactly once, with what was clicked, before and after the kill.
        assert answers == [(0, 6, 1), (1, 2, 1), (2, 4, 1), (3, 1, 1)], answers


def _healthy(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_healthy(port: str) -> None:
    wait_until(lambda: _healthy(port), f"replica {port} serves /_stcore/health")


def _kill_and_see_it_back(deployment: Deployment, address: str, cookie: str) -> None:
    port = address.rsplit(":", 1)[1]
    pid_file = deployment.run_dir / f"replica-{port}.pid"
    log = deployment.run_dir.parent / "serve.log"
    killed = int(pid_file.read_text())
    os.kill(killed, signal.SIGKILL)
    wait_until(lambda: not _alive(killed), f"the SIGKILLed replica {port} is gone")

    def back() -> bool:
        pid = int(pid_file.read_text() or 0)
        return pid != killed and _alive(pid) and _healthy(port)

    wait_until(back, f"serve.sh restarted replica {port} and it serves /_stcore/health")
    wait_until(lambda: f"serve.sh: replica {port} is back" in log.read_text(), f"the log says {port} is back")
    assert f"serve.sh: replica {port} (pid {killed}) killed by signal 9; restarting in" in log.read_text()
    # nginx takes it back once its fail_timeout has passed: its sticky browsers land on it again.
    wait_until(lambda: deployment.replica_for(cookie)[0] == address, f"nginx sends {address}'s browsers to it again")


def test_serve_restarts_a_sigkilled_replica(deployment):
    """Each replica in turn is SIGKILLed; serve.sh starts a new one, logs both, and nginx uses it again."""
    # The test before killed a replica: serve.sh may still be starting it again (a starting replica
    # accepts connections some 20 s before it answers them, and nginx would wait on it).
    for address in deployment.replicas:
        _wait_healthy(address.rsplit(":", 1)[1])
    cookies = _cookie_for_each_replica(deployment)
    for address in sorted(deployment.replicas):
        _kill_and_see_it_back(deployment, address, cookies[address])
