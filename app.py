"""Human Touch: the door. Configuration, staff authentication and navigation, nothing else.

Participants see only the study page (no sidebar). Staff log in at ``/staff``; then the
organiser and researcher pages appear in the navigation.
"""

from pathlib import Path

import streamlit as st

from core import config

config.configure_numba_cache()  # before anything imports librosa

from core import bootstrap, ui  # noqa: E402

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="Human Touch", page_icon="🎧", layout="centered")


@st.cache_resource(show_spinner=False)
def _start_once() -> None:
    """Migrate, ensure a staff credential, and build the demo clips in the background if empty."""
    secrets = ui.secrets_dict()
    bootstrap.prepare(build_demo=False, secret_hash=secrets.get("staff_password_hash"),
                      oidc="auth" in secrets)
    bootstrap.build_demo_in_background()


_start_once()


def _page(relative: str, title: str, icon: str, **kwargs) -> st.Page | None:
    """A page from its file, or None while that package has not shipped the page yet."""
    path = ROOT / relative
    return st.Page(str(path), title=title, icon=icon, **kwargs) if path.exists() else None


def _section(*pages: st.Page | None) -> list[st.Page]:
    return [p for p in pages if p is not None]


participant_pages = _section(
    _page("experiment/pages/participate.py", "Listening study", "🎧", default=True, url_path="study"),
)

if ui.is_staff():
    navigation = {
        "Study": participant_pages + _section(
            _page("experiment/pages/study_settings.py", "Study settings", "⚙️"),
            _page("experiment/pages/preview.py", "Preview", "👀"),
        ),
        "Clip library": _section(
            _page("audio/pages/add_clips.py", "Add clips", "➕"),
            _page("audio/pages/library.py", "Library", "🎼"),
            _page("audio/pages/balance.py", "Balance report", "⚖️"),
        ),
        "Results": _section(
            _page("results/pages/overview.py", "Overview", "📊"),
            _page("results/pages/clips.py", "Per clip", "🎵"),
            _page("results/pages/features.py", "Features", "🔬"),
            _page("results/pages/export.py", "Export", "📦"),
        ),
        "Account": [st.Page(ui.staff_home, title="Staff home", icon="🔑", url_path="staff")],
    }
    st.navigation(navigation, position="sidebar").run()
else:
    # Participants get no sidebar at all; staff reach the login page by its URL (/staff).
    st.navigation(
        participant_pages + [st.Page(ui.login_page, title="Staff login", icon="🔑", url_path="staff")],
        position="hidden",
    ).run()
