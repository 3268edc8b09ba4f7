"""Staff preview: walk through the participant journey under the study's current settings, never counted."""

import streamlit as st

from core import ui
from core.access import Permission
from experiment.ui import journey as ui_journey
from experiment.ui import preview as ui_preview
from experiment.ui.study_context import require_study

ui.require_staff()
study = require_study()
ui.require(Permission.PREVIEW, study.id)
st.set_page_config(layout="centered")  # what participants see: their centred column, not the staff width
ui_preview.jump_control(study.id)
ui_journey.preview_page(study.id)
