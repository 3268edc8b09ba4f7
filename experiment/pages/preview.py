"""Staff preview: walk through the participant journey under the current settings, never counted."""

import streamlit as st

from core.ui import require_staff
from experiment.ui import journey as ui_journey
from experiment.ui import preview as ui_preview

require_staff()
st.set_page_config(layout="centered")  # what participants see: their centred column, not the staff width
ui_preview.jump_control()
ui_journey.preview_page()
