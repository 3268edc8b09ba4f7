"""A participant's browser contacts no host but the app's, from the first page to the debrief.

Issue 12: every page asked fonts.gstatic.com for an icon (a Material Symbols page icon became a
favicon URL there), so participants' browsers contacted a third party, and offline the request
failed. Here Chromium records every request and websocket of a whole journey (consent,
questionnaire, calibration, headphone check, instructions, practice, the clips with an attention
and a repeat trial, debrief) and the test fails on any host other than the app's. On the way it
checks the neutral tab title and that the study's big title is not repeated on every step.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    n_trials=2,
    attention_check=True,
    repeat_check=True,
    practice_trial=True,
    screening="optional",
    screening_trials=1,
    screening_pass=1,
    listening_requirement=1.0,
    max_same_source_run=3,
)
N_CLIPS = 4  # 2 main, the repeat and the attention trial


def test_a_whole_journey_requests_nothing_from_another_host(e2e_data_dir, monkeypatch, chromium):
    drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=2, clip_seconds=1.5)
    server = drive.start_server(e2e_data_dir)
    urls: list[str] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda socket: urls.append(socket.url))
    try:
        page.goto(server.url)
        drive.consent(page)
        drive.answer_questionnaire(page)
        drive.pass_audio_check(page)
        wait_for_app(page, "Instructions")
        # A neutral tab title (the study setting's default), and the study's big title only on
        # the consent page, not repeated on every step.
        assert page.title() == STUDY.browser_title == "Listening study"
        assert page.locator("h1").count() == 0
        drive.read_instructions(page)
        drive.answer_current_trial(page, "Maybe AI", "Practice clip")
        for k in range(1, N_CLIPS + 1):
            drive.answer_current_trial(page, "Sure human", f"Clip {k} of {N_CLIPS}")
        wait_for_app(page, "Which clips were made by AI?")
        page.wait_for_timeout(500)  # late requests (favicon, fonts) after the last page
    finally:
        context.close()
        server.stop()

    app_host = urlsplit(server.url).netloc
    with_host = [url for url in urls if urlsplit(url).scheme in ("http", "https", "ws", "wss")]
    assert with_host, "no request was recorded"
    assert any("/_stcore/stream" in url for url in with_host)  # the websocket was seen too
    others = sorted({url for url in with_host if urlsplit(url).netloc != app_host})
    assert not others, f"requests to hosts other than the app's ({app_host}): {others}"
    # Everything else is inline: data: URLs (the page icon, the SAM figures) and the player's blob:.
    assert {urlsplit(url).scheme for url in urls} <= {"http", "ws", "data", "blob"}


def test_no_material_icon_names_in_the_app():
    """A ``:material/...:`` icon as page icon is fetched from fonts.gstatic.com; use emoji instead."""
    root = Path(__file__).resolve().parents[2]
    sources = [path for path in root.rglob("*.py") if not {"tests", ".venv"} & set(path.relative_to(root).parts)]

    def code_lines(path: Path) -> list[str]:  # comments may explain why it is not used
        return [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]

    assert sources
    offenders = [str(path.relative_to(root)) for path in sources if any(":material/" in x for x in code_lines(path))]
    assert not offenders
