"""Staff login in Chromium: a refresh keeps you logged in; an ended session says "please log in again"."""

import sqlite3

from tests.e2e.conftest import wait_for_app

PASSWORD = "correct horse battery"


def _log_in_at(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, "Staff login")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator('[data-testid="stSidebarNav"]').wait_for()
    # The ticket is traded for the cookie in the background right after the login.
    for _ in range(50):
        if any(c["name"] == "ht_staff_session" for c in page.context.cookies()):
            break
        page.wait_for_timeout(100)


def test_a_refresh_keeps_staff_on_their_page_and_the_cookie_is_httponly(streamlit_server, page):
    streamlit_server.set_staff_password(PASSWORD)
    # Logging in at a staff page's own address opens that page.
    _log_in_at(page, f"{streamlit_server.url}/study_settings")
    page.get_by_role("heading", name="Study settings").wait_for()
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "ht_staff_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("ht_staff_session") == -1  # page scripts cannot read it

    page.reload()
    wait_for_app(page, "Study settings")
    assert page.url.split("?")[0].endswith("/study_settings")  # (the study picker adds ?study=SLUG)
    page.get_by_role("heading", name="Study settings").wait_for()
    assert page.locator('[data-testid="stSidebarNav"]').count() == 1

    # Logging out ends the session on the server and expires the cookie: a refresh shows the login.
    page.goto(f"{streamlit_server.url}/staff")
    wait_for_app(page, "Staff home")
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()
    page.reload()
    wait_for_app(page, "Staff login")
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0


def test_an_expired_session_asks_to_log_in_again_instead_of_showing_the_consent_page(streamlit_server, page):
    streamlit_server.set_staff_password(PASSWORD)
    _log_in_at(page, f"{streamlit_server.url}/staff")
    with sqlite3.connect(streamlit_server.data_dir / "human_touch.db") as connection:
        connection.execute("UPDATE staff_sessions SET expires_at = '2000-01-01 00:00:00' WHERE kind = 'session'")
    page.goto(f"{streamlit_server.url}/overview")
    wait_for_app(page, "Staff login")
    page.get_by_text("Your staff session has expired. Please log in again.").wait_for()
    # The notice is drawn before the form under it: wait for the field (strict: exactly one) rather than count now.
    page.get_by_label("Password", exact=True).wait_for()
    assert page.get_by_label("Password", exact=True).count() == 1
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
