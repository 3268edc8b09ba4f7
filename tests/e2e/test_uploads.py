"""No memory for strangers: Streamlit's upload endpoint takes files only from logged-in staff.

Anyone with the study link holds a Streamlit session; without the guard, a PUT to
``/_stcore/upload_file/<session>/<file>`` parks the file in the server's memory until that session
ends. The test uses a real participant session and a real staff session in Chromium and speaks
to the endpoint exactly as the browser's uploader would (multipart body, XSRF cookie and header).
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for_app
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


def _listen_for_session_id(page) -> list[str]:
    """Collect the Streamlit session id of the page's next websocket (from its NewSession message).

    Returns the list it fills: empty until that message arrives, then one id.
    """
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    found: list[str] = []

    def on_frame(payload) -> None:
        if isinstance(payload, (bytes, bytearray)) and not found:
            message = ForwardMsg()
            try:
                message.ParseFromString(bytes(payload))
            except Exception:
                return
            if message.WhichOneof("type") == "new_session":
                found.append(message.new_session.initialize.session_id)

    page.on("websocket", lambda socket: socket.on("framereceived", on_frame))
    return found


def _wait_for_session_id(page, found: list[str]) -> str:
    # Playwright delivers websocket frames only while it runs: each check lets it run for 50 ms.
    wait_until(lambda: found or page.wait_for_timeout(50) or found, "the session's NewSession message")
    return found[0]


def _session_id_of(page, url: str) -> str:
    """Load ``url`` and return the Streamlit session id the server sent over the websocket."""
    found = _listen_for_session_id(page)
    page.goto(url)
    wait_for_app(page)
    return _wait_for_session_id(page, found)


def _put_file(server_url: str, page, session_id: str, size: int) -> int:
    """PUT one file of ``size`` bytes as the browser's uploader does; return the HTTP status.

    A connection reset mid-body counts as 400: the server refused and closed without reading on.
    """
    xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf"), "")
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.wav"\r\n'
            f"Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + b"\0" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{server_url}/_stcore/upload_file/{session_id}/{uuid.uuid4()}",
        data=body,
        method="PUT",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": xsrf,
            "Cookie": f"_streamlit_xsrf={xsrf}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError as error:
        # The server answered 400 and closed before taking the rest of the body: depending on when the
        # close reaches this client, its next write fails with a reset or a broken pipe.
        if isinstance(error.reason, (ConnectionResetError, BrokenPipeError)):
            return 400
        raise


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_participant_session_cannot_park_uploads_in_server_memory(streamlit_server, page):
    session_id = _session_id_of(page, streamlit_server.url)
    before = _rss_mb(streamlit_server.process.pid)
    statuses = [_put_file(streamlit_server.url, page, session_id, 20 * 1024 * 1024) for _ in range(3)]
    assert all(status == 400 for status in statuses), statuses
    # 60 MB offered; the guard refuses before reading the body, so the process did not grow by it.
    assert _rss_mb(streamlit_server.process.pid) - before < 20


def test_a_logged_in_staff_session_can_upload(streamlit_server, page):
    streamlit_server.set_staff_password("correct horse battery")
    session_id = _session_id_of(page, f"{streamlit_server.url}/staff")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.locator('[data-testid="stSidebarNav"]').wait_for()
    assert _put_file(streamlit_server.url, page, session_id, 64 * 1024) == 204


def test_an_anonymous_upload_to_a_fresh_process_is_refused_before_any_page_has_run(streamlit_server, page):
    """The guard is installed when the server starts (st.App's lifespan), not by the first page run.

    The session id is taken from the very first message of the very first websocket, while the
    first script run (migrations, start-up) is still going; before, uploads were accepted then.
    """
    found = _listen_for_session_id(page)
    page.goto(streamlit_server.url, wait_until="commit")
    session_id = _wait_for_session_id(page, found)
    pid = streamlit_server.process.pid
    statuses, grown = [], 0.0
    for _ in range(3):
        # Growth is summed over each request alone: the start-up running beside it grows the process too.
        before = _rss_mb(pid)
        statuses.append(_put_file(streamlit_server.url, page, session_id, 50 * 1024 * 1024))
        grown += _rss_mb(pid) - before
    print(f"fresh process: 3 x 50 MB anonymous uploads -> {statuses}, RSS +{grown:.1f} MB during them")
    assert statuses == [400, 400, 400]
    assert grown < 20  # 150 MB offered, none of it kept
