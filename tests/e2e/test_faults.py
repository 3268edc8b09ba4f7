"""A full disk mid-study, in Chromium against `streamlit run app.py`: the fault explains itself.

The data folder is a small file system of its own (tmpfs) that the test fills to the last byte
right before the participant submits an answer: SQLite cannot write its journal and raises
SQLITE_FULL, for real. The participant must see the retry page in their language (not Streamlit's
error), the health check and a new visitor's page load must answer 503 (so nginx sends new
participants to another replica), and after space is freed a retry must store the answer exactly once.
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from core import db
from core.i18n import translate
from core.models import Response
from experiment.settings import StudySettings
from tests.conftest import require_or_skip
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import StreamlitServer, wait_for_app
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    ai_questions_before=True,
    n_trials=2,
    screening="off",
    practice_trial=False,
    attention_check=False,
    repeat_check=False,
    listening_requirement=1.0,
    min_answer_seconds=0.0,
)
RETRY_TITLE = "We cannot save answers at the moment"


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 64 MB file system of its own (tmpfs) for the data folder; needs root to mount."""
    require_or_skip(os.geteuid() == 0, "root (to mount a small tmpfs as the data folder)")
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(data)], check=True)
    try:
        yield data
    finally:
        db.dispose_engines()
        subprocess.run(["umount", "--lazy", str(data)], check=True)


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until the file system says it is full (ENOSPC); returns it."""
    filler = folder / "filler"
    block = b"\0" * (1 << 16)
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError:
            pass
        while True:  # the last partial block
            try:
                out.write(b"\0" * 512)
            except OSError:
                break
    return filler


def status_and_text(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def stored_answers() -> list[tuple[int, int]]:
    with db.session_scope() as session:
        rows = session.execute(select(Response.trial_index, Response.confidence).order_by(Response.id)).all()
    return [(row.trial_index, row.confidence) for row in rows]


def clip_heading(number: int, lang: str) -> str:
    return translate("Clip {position} of {total}", lang).format(position=number, total=2)


def test_a_full_disk_shows_the_retry_page_and_the_answer_is_stored_once_after_space_is_freed(
    small_disk, monkeypatch, chromium
):
    drive.prepare_study(small_disk, monkeypatch, STUDY, n_per_source=2)
    server = drive.start_server(small_disk)
    context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(60_000)
    filler: list[Path] = []

    def fill_the_disk_once_drafts_are_stored() -> None:
        wait_for_app(page)
        filler.append(fill(small_disk))

    try:
        page.goto(f"{server.url}/?lang=de")
        drive.consent(page, lang="de")
        drive.answer_questionnaire(page, lang="de", settings=STUDY)
        drive.read_instructions(page, lang="de")
        drive.answer_current_trial(
            page,
            "Sure AI",
            clip_heading(1, "de"),
            lang="de",
            # Each rating click stores a draft (issue 24 item 8): let those runs finish before the disk
            # fills, or the last one meets the full disk first and the retry page replaces the button.
            before_submit=fill_the_disk_once_drafts_are_stored,
        )
        wait_for_app(page, translate(RETRY_TITLE, "de"))
        shown = page.locator('[data-testid="stMain"]').inner_text()
        assert "Ihre bisherigen Antworten sind gespeichert" in shown
        assert "This app has encountered an error" not in shown and "Traceback" not in shown
        assert page.get_by_role("button", name=translate("Save and continue", "de")).count() == 0  # no half trial
        assert stored_answers() == []

        # New visitors are turned away (nginx tries another replica on a 503), in their language.
        health, reason = status_and_text(f"{server.url}/_stcore/health")
        assert (health, reason) == (503, "unhealthy: disk full")
        status, text = status_and_text(f"{server.url}/", Accept="text/html", **{"Accept-Language": "en-GB,en"})
        assert status == 503 and RETRY_TITLE in text and "Your answers so far are saved" in text
        assert server.log().count("Storage fault:") == 1 and "Traceback" not in server.log()

        filler.pop().unlink()  # space freed: the health check finds out by itself
        wait_until(lambda: status_and_text(f"{server.url}/_stcore/health")[0] == 200, "the health check is 200 again")
        assert "Storage works again" in server.log()

        drive.click_button(page, translate("Try again", "de"))  # the participant retries
        wait_for_app(page, clip_heading(1, "de"))
        submit = page.get_by_role("button", name=translate("Save and continue", "de"))
        if submit.is_disabled():  # the player starts afresh: listen again
            drive.play_through(page)
            page.wait_for_function("b => !b.disabled", arg=submit.element_handle())
        scales = page.locator('[data-testid="stButtonGroup"]')
        for i in range(scales.count()):
            buttons = scales.nth(i).locator("button")
            buttons.nth(buttons.count() // 2).click()
        page.locator('[data-testid="stRadio"]').get_by_text(translate("Sure AI", "de"), exact=True).click()
        submit.click()
        wait_for_app(page, clip_heading(2, "de"))
        assert stored_answers() == [(0, 6)], "the answer that met the full disk is stored exactly once"
    finally:
        context.close()
        server.stop()


def test_a_lost_database_shows_the_retry_page_and_an_unhealthy_health_check(e2e_data_dir, page):
    """The database file is not a database (overwritten, a broken restore): SQLite cannot read it."""
    broken = e2e_data_dir / "human_touch.db"
    broken.write_bytes(b"this is not a SQLite database " * 1000)
    server = StreamlitServer(e2e_data_dir, env={"HUMAN_TOUCH_DATABASE_URL": f"sqlite:///{broken}"})
    server.start()  # the server itself starts: the database is first needed by a visitor's page
    try:
        page.goto(server.url)
        wait_for_app(page, RETRY_TITLE)
        shown = page.locator('[data-testid="stMain"]').inner_text()
        assert "Your answers so far are saved" in shown and "Traceback" not in shown
        assert status_and_text(f"{server.url}/_stcore/health") == (503, "unhealthy: database unreachable")
        assert server.log().count("Storage fault: The database") == 1 and "Traceback" not in server.log()
    finally:
        server.stop()
