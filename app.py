"""Human Touch: the door. Configuration, staff authentication and navigation, nothing else.

Participants see only the study page (no sidebar). Staff log in at ``/staff``; then the
organiser and researcher pages appear in the navigation.
"""

import gc
from pathlib import Path

import streamlit as st

from core import config

config.configure_numba_cache()  # before anything imports librosa

from core import ui  # noqa: E402
from human_touch import startup  # noqa: E402

ROOT = Path(__file__).resolve().parent


@st.cache_resource(show_spinner=False)
def _start_once() -> None:
    """Wire the packages, migrate, ensure a staff credential, and build the demo clips in the background if empty."""
    startup.wire_packages()
    secrets = ui.secrets_dict()
    ui.refuse_anonymous_uploads()
    startup.prepare(build_demo=False, secret_hash=secrets.get("staff_password_hash"), oidc="auth" in secrets)
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


def main() -> None:
    # A neutral tab title; the participant page sets the study's own (``browser_title``).
    st.set_page_config(page_title="Listening study", page_icon=PAGE_ICON, layout="centered")
    _start_once()
    study = _page("experiment/pages/participate.py", "Listening study", PAGE_ICON, default=True)

    if ui.is_staff():
        navigation = {
            "Study": [
                study,
                _page("experiment/pages/study_settings.py", "Study settings", "⚙️"),
                _page("experiment/pages/preview.py", "Preview", "👁️"),
            ],
            "Clip library": [
                _page("audio/pages/add_clips.py", "Add clips", "➕"),
                _page("audio/pages/library.py", "Library", "🎵"),
                _page("audio/pages/balance.py", "Balance report", "⚖️"),
            ],
            "Results": [
                _page("results/pages/overview.py", "Overview", "📊"),
                _page("results/pages/clips.py", "Per clip", "🎼"),
                _page("results/pages/features.py", "Features", "🔬"),
                _page("results/pages/export.py", "Export", "⬇️"),
                _page("results/pages/plan.py", "Plan", "📈"),
            ],
            "Account": [st.Page(ui.staff_home, title="Staff home", icon="🔑", url_path="staff")],
        }
        st.navigation(navigation, position="sidebar").run()
    else:
        # Participants get no sidebar at all; staff reach the login page by its URL (/staff).
        login = st.Page(ui.login_page, title="Staff login", icon="🔑", url_path="staff")
        st.navigation([study, login], position="hidden").run()


# Worker processes started with multiprocessing's "spawn" (bulk ingest) import this file as
# __mp_main__; they must not start a second app, migrations or demo build.
if __name__ != "__mp_main__":
    main()
