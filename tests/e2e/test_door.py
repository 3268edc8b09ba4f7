"""The door in a real browser: a fresh app shows participants the study, and staff pages are locked."""

from tests.e2e.conftest import wait_for_app


def test_empty_data_folder_shows_the_participant_landing_page(streamlit_server, page):
    page.goto(streamlit_server.url)
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')
    main.wait_for()
    assert main.inner_text().strip(), "the landing page is empty"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    # Participants get no navigation to staff pages.
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    # The first run created the admin account in the database, keeping only its password's hash.
    import sqlite3

    with sqlite3.connect(streamlit_server.data_dir / "human_touch.db") as connection:
        (stored,) = connection.execute("SELECT password_hash FROM staff_accounts WHERE username = 'admin'").fetchone()
    assert stored.startswith("scrypt$")


def test_staff_pages_need_login(streamlit_server, page):
    for path in ("library", "overview", "study_settings", "export"):
        page.goto(f"{streamlit_server.url}/{path}")
        wait_for_app(page)
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "Download" not in text and "Balance" not in text
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    page.goto(f"{streamlit_server.url}/staff")
    page.get_by_label("Password", exact=True).wait_for()
    assert page.get_by_role("button", name="Log in").count() == 1


def test_wrong_password_is_refused_and_right_one_opens_staff_pages(streamlit_server, page):
    streamlit_server.set_staff_password("correct horse battery")
    page.goto(f"{streamlit_server.url}/staff")
    wait_for_app(page, "Staff login")
    field = page.get_by_label("Password", exact=True)
    field.fill("wrong guess")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("That username or password is not right.").wait_for()
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    field.fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    # The sidebar arrives before the page's own title on a busy machine: wait for the
    # title, which only a logged-in session is shown.
    page.get_by_role("heading", name="Staff home").wait_for()
    assert page.locator('[data-testid="stSidebarNav"]').count() == 1
