"""Staff: who is in the study now (status, progress, flags, Prolific ids) and the Prolific lists."""

from core import ui
from core.access import Permission
from experiment.ui import participants as ui_participants
from experiment.ui.study_context import require_study

ui.require_staff()
study = require_study()
ui.require(Permission.MANAGE_PARTICIPANTS, study.id)
ui_participants.participants_page(study)
