"""Real-browser fixtures: a `streamlit run app.py` server on a free port and Debian's Chromium.

``streamlit_server`` starts the real app on a temporary data folder (SQLite unless the test sets
``HUMAN_TOUCH_DATABASE_URL``); it can be restarted mid-test to prove nothing is lost.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require_or_skip
from tests.waiting import GENEROUS_S, wait_until

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """A real Streamlit process serving app.py; ``restart()`` simulates a server restart."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HUMAN_TOUCH_DATA": str(data_dir), **(env or {})}
        self.env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba-cache"))
        self.log_path = data_dir.parent / f"streamlit-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = GENEROUS_S) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._healthy, f"streamlit on port {self.port} answers its health check", timeout_s)

    def _healthy(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{self.log()}")
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def set_staff_password(self, password: str) -> None:
        """Set the staff password of this server's database the way an organiser does.

        Through ``human-touch staff set-password --stdin``: on standard input (never argv).
        """
        human_touch = Path(sys.executable).parent / "human-touch"
        subprocess.run(
            [str(human_touch), "staff", "set-password", "--stdin"],
            input=password + "\n",
            text=True,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def e2e_data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    return data


@pytest.fixture
def streamlit_server(e2e_data_dir: Path):
    """The app served from an empty data folder (the demo build starts in the background)."""
    server = StreamlitServer(e2e_data_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download)."""
    require_or_skip(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def wait_for_app(page, text: str | None = None, timeout_ms: int = 60_000) -> None:
    """Wait until the app has rendered (and shows ``text``, when given) and is idle.

    Streamlit marks the app view container ``data-test-script-state="running"`` while the
    script runs; waiting for "notRunning" avoids acting on a page that is about to change.
    """
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    if text is not None:
        page.get_by_text(text).first.wait_for(timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning';
        }""",
        timeout=timeout_ms,
    )
