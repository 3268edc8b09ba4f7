"""Staff: the current study as one archive (and its replication package); importing an archive as a new study."""

import streamlit as st

from core.ui import require_staff
from experiment.ui.study_context import current_study
from results.ui.archive import archive_section, import_section

require_staff()
st.title("Archive and import")
study = current_study()
if study is None:
    import_section()
else:
    archive_section(study)
