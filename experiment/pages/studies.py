"""Staff: the studies of this server, a new study, the current study's audit trail."""

from core.ui import require_staff
from experiment.ui import studies as ui_studies
from experiment.ui.study_context import current_study

require_staff()
ui_studies.studies_page(current_study())
