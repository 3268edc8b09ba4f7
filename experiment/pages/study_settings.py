"""Staff: the study settings (every save is a new version), open/close, library status, share links."""

from core.ui import require_staff

require_staff()

import streamlit as st  # noqa: E402

from core import db  # noqa: E402
from experiment import repository  # noqa: E402
from experiment.ui import journey as ui_journey, study_settings as ui_settings  # noqa: E402

st.title("Study settings")
if st.session_state.pop("settings_saved", False):
    st.success("Saved as a new version.")
with db.session_scope() as session:
    version_id, settings = repository.current_settings(session)
    changed = ui_settings.status_section(session, version_id, settings)
    ui_settings.links_section(ui_journey.current_page_url())
    changed = ui_settings.settings_form(session, version_id, settings) or changed
    ui_settings.history_section(session)
if changed:
    st.rerun()
