"""Staff security in a real server and browser: sessions end everywhere, the client address cannot be forged.

- An open staff page (its own websocket) is refused at its next click after the account logs out in
  another tab, and after ``human-touch staff set-password``.
- Login failures are counted against the address nginx saw, whatever ``X-Forwarded-For`` or
  ``X-Real-IP`` the browser sends; only a trusted proxy's ``X-Real-IP`` names the client.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require_or_skip
from tests.e2e.conftest import ROOT, _free_port, wait_for_app
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


def _log_in(page, url: str, password: str = PASSWORD) -> None:
    page.goto(url)
    wait_for_app(page, "Staff login")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password", exact=True).press("Enter")  # Enter submits the form


def _open_staff_home(context, url: str):
    page = context.new_page()
    page.goto(f"{url}/staff")
    wait_for_app(page, "Staff home")
    return page


def _click_sidebar(page, name: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()


def _refused(page) -> bool:
    return page.get_by_text("Your staff session was ended").count() > 0 and (
        page.locator('[data-testid="stSidebarNav"]').count() == 0
    )


def test_an_open_staff_page_is_refused_after_a_log_out_elsewhere_and_after_a_new_password(streamlit_server, chromium):
    streamlit_server.set_staff_password(PASSWORD)
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    try:
        first = context.new_page()
        _log_in(first, f"{streamlit_server.url}/staff")
        first.locator('[data-testid="stSidebarNav"]').wait_for()
        wait_until(lambda: any(c["name"] == "ht_staff_session" for c in context.cookies()), "the session cookie")
        second = _open_staff_home(context, streamlit_server.url)  # same browser, another tab: its own websocket
        second.get_by_role("button", name="Log out").click()
        second.get_by_text("You are logged out.").wait_for()

        _click_sidebar(first, "Library")  # the first tab's next script run
        wait_for_app(first, "Staff login")
        wait_until(lambda: _refused(first), "the first tab shows the login, without staff navigation")

        # A new password set at the command line ends a session that is open at that moment.
        _log_in(first, f"{streamlit_server.url}/staff")
        first.locator('[data-testid="stSidebarNav"]').wait_for()
        streamlit_server.set_staff_password("another long password")
        _click_sidebar(first, "Library")
        wait_for_app(first, "Staff login")
        wait_until(lambda: _refused(first), "the open tab is refused after the new password")
    finally:
        context.close()


# ------------------------------------------------------------------------------------------------
# The client address behind nginx


@pytest.fixture
def nginx_in_front(streamlit_server, tmp_path: Path):
    """deploy/'s nginx configuration in front of the one test server; yields nginx's URL."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    require_or_skip(nginx is not None, "nginx (Debian package)")
    run_dir = tmp_path / "nginx"
    listen, staff_listen = _free_port(), _free_port()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "deploy" / "render_nginx.py"),
            "--out",
            str(run_dir),
            "--standalone",
            str(run_dir),
            "--replica",
            f"127.0.0.1:{streamlit_server.port}",
            "--listen",
            f"127.0.0.1:{listen}",
            "--staff-listen",
            f"127.0.0.1:{staff_listen}",
        ],
        check=True,
        capture_output=True,
    )
    (run_dir / "nginx-tmp").mkdir()
    if os.geteuid() == 0:
        shutil.chown(run_dir / "nginx-tmp", "www-data")
    process = subprocess.Popen(
        [nginx, "-p", str(run_dir), "-e", str(run_dir / "nginx-error.log"), "-c", str(run_dir / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{listen}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError((run_dir / "nginx-error.log").read_text())
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_until(answers, "nginx answers through to the app")
    yield url
    process.terminate()
    process.wait(timeout=15)


def _failed_login_with_headers(chromium, url: str, headers: dict[str, str]) -> str:
    """One wrong password from a fresh browser sending ``headers`` (also on its websocket); the message shown."""
    context = chromium.new_context(extra_http_headers=headers)
    try:
        page = context.new_page()
        _log_in(page, f"{url}/staff", "a wrong guess")
        alert = page.locator('[data-testid="stAlertContentError"]')
        alert.wait_for()
        return alert.inner_text()
    finally:
        context.close()


def _failure_clients(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "human_touch.db") as connection:
        return [row[0] for row in connection.execute("SELECT client FROM login_failures ORDER BY id")]


def test_forged_forwarding_headers_through_nginx_do_not_escape_the_throttle(streamlit_server, nginx_in_front, chromium):
    streamlit_server.set_staff_password(PASSWORD)
    # Straight to the app from loopback (a trusted proxy by default): X-Real-IP names the client,
    # X-Forwarded-For never does (uvicorn would otherwise take the peer from it).
    _failed_login_with_headers(chromium, streamlit_server.url, {"X-Real-IP": "203.0.113.50"})
    _failed_login_with_headers(chromium, streamlit_server.url, {"X-Forwarded-For": "203.0.113.51"})
    assert _failure_clients(streamlit_server.data_dir) == ["203.0.113.50", "127.0.0.1"]

    # Through nginx, rotating both headers changes nothing: every failure is the address nginx saw.
    messages = [
        _failed_login_with_headers(
            chromium, nginx_in_front, {"X-Forwarded-For": f"198.51.100.{i}", "X-Real-IP": f"192.0.2.{i}"}
        )
        for i in range(7)
    ]
    through_nginx = _failure_clients(streamlit_server.data_dir)[2:]
    assert through_nginx == ["127.0.0.1"] * 7, through_nginx
    # The one address has used its 5 free failures (one of them direct): it is throttled.
    assert any("Too many failed attempts" in message for message in messages[4:]), messages
