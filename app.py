"""Human Touch: the door. Configuration, staff authentication and navigation, nothing else.

Participants see only the study page (no sidebar). Staff log in at ``/staff`` (or at any staff
page's address, which shows the login while logged out); then the organiser and researcher pages
appear in the navigation.

``streamlit run app.py`` finds ``app = st.App(...)`` at the bottom and serves this file through
Streamlit's Starlette server with extra routes: two (:mod:`core.staff_routes`) that set and clear
the HttpOnly staff session cookie, and the one-time URLs of the blind player's sounds
(:mod:`core.handoff`); every session then runs this file as ``__main__``.
"""

import gc
from pathlib import Path

import streamlit as st

from core import config

config.configure_numba_cache()  # before anything imports librosa

from core import ui  # noqa: E402
from experiment.ui.study_context import study_picker  # noqa: E402
from human_touch import startup  # noqa: E402

ROOT = Path(__file__).resolve().parent


@st.cache_resource(show_spinner=False)
def _start_once() -> None:
    """Wire the packages, migrate, ensure a staff credential, and build the demo clips in the background if empty."""
    startup.wire_packages()
    secrets = ui.secrets_dict()
    ui.refuse_anonymous_uploads()
    startup.prepare(
        build_demo=False,
        secret_hash=secrets.get("staff_password_hash"),
        oidc="auth" in secrets,
        staff_url=ui.staff_url(),
    )
    startup.build_demo_in_background()
    # Everything loaded so far (numpy, librosa, SQLAlchemy, the packages) lives as long as the
    # process: keep it out of the garbage collector's full scans, which otherwise walk ~160,000
    # long-lived objects each time.
    gc.freeze()


# Icons are emoji characters, never ``:material/...:`` names: a Material icon as the page icon
# makes the browser fetch the favicon from fonts.gstatic.com (a third party; it fails offline),
# and nothing a participant loads may come from another host (issue 12). An emoji page icon
# becomes a data: URL.
PAGE_ICON = "🎧"


def _page(relative: str, title: str, icon: str, **kwargs) -> st.Page:
    return st.Page(str(ROOT / relative), title=title, icon=icon, **kwargs)


STAFF_PAGES = {
    "Study": [
        ("experiment/pages/studies.py", "Studies", "🗂️"),
        ("experiment/pages/study_settings.py", "Study settings", "⚙️"),
        ("experiment/pages/participants.py", "Participants", "👥"),
        ("experiment/pages/preview.py", "Preview", "👁️"),
        ("results/pages/archive.py", "Archive and import", "📦"),
    ],
    "Clip library": [
        ("audio/pages/add_clips.py", "Add clips", "➕"),
        ("audio/pages/library.py", "Library", "🎵"),
        ("audio/pages/balance.py", "Balance report", "⚖️"),
    ],
    "Results": [
        ("results/pages/overview.py", "Overview", "📊"),
        ("results/pages/clips.py", "Per clip", "🎼"),
        ("results/pages/features.py", "Features", "🔬"),
        ("results/pages/reasons.py", "Reasons", "💬"),
        ("results/pages/export.py", "Export", "⬇️"),
        ("results/pages/plan.py", "Plan", "📈"),
    ],
}


def main() -> None:
    _start_once()
    staff = ui.is_staff()
    # A neutral tab title (the participant page sets the study's own, ``browser_title``). Staff
    # pages hold wide tables and charts; participants keep the calm centred column.
    st.set_page_config(page_title="Listening study", page_icon=PAGE_ICON, layout="wide" if staff else "centered")
    study = _page("experiment/pages/participate.py", "Listening study", PAGE_ICON, default=True)

    if staff:
        navigation = {
            section: ([study] if section == "Study" else []) + [_page(*entry) for entry in entries]
            for section, entries in STAFF_PAGES.items()
        }
        navigation["Account"] = [st.Page(ui.staff_home, title="Staff home", icon="🔑", url_path="staff")]
        with st.sidebar:
            ui.keep_login_cookie()
        study_picker()  # which study every study page shows (kept in the address as ?study=SLUG)
        st.navigation(navigation, position="sidebar").run()
    else:
        # Participants get no sidebar at all; staff reach the login page by its URL (/staff), and
        # every staff page's address shows the login too (a refresh after the session ended says
        # so, and logging in there opens the page asked for), never the participant's consent.
        login = st.Page(ui.login_page, title="Staff login", icon="🔑", url_path="staff")
        doors = [
            st.Page(ui.login_page, title="Staff login", url_path=Path(entry[0]).stem)
            for entries in STAFF_PAGES.values()
            for entry in entries
        ]
        st.navigation([study, login, *doors], position="hidden").run()


# Worker processes started with multiprocessing's "spawn" (bulk ingest) import this file as
# __mp_main__; they must not start a second app, migrations or demo build.
if __name__ == "__main__":  # each script run of a Streamlit session
    main()
elif __name__ == "app":  # `streamlit run app.py` imports this file as the server (st.App, Starlette)
    from starlette.middleware import Middleware

    from core import handoff, health, proxies, staff_routes
    from core.ui import faults

    proxies.keep_real_peer()  # the client address comes only from trusted proxies (X-Real-IP), never X-Forwarded-For
    # Streamlit's own routes, the one-time URLs the blind player fetches its sounds from (core.handoff),
    # and the two that set and clear the HttpOnly staff session cookie; the
    # lifespan guards uploads and cache clears before the server accepts its first connection. A
    # storage fault (disk full, read-only, database lost) shows the retry page, turns the health
    # check and new page loads into 503 (nginx sends new participants elsewhere) and logs one line.
    base_path = st.get_option("server.baseUrlPath") or ""
    app = st.App(
        __file__,
        routes=[*staff_routes.routes(base_path), *handoff.routes(base_path)],
        lifespan=ui.server_lifespan,
        middleware=[Middleware(health.FaultGate)],
        on_script_error=faults.explain_fault,
    )
    health.log_faults_in_one_line()
