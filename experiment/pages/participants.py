"""Staff: who is in the study now (status, progress, flags, Prolific ids) and the Prolific lists."""

from core.ui import require_staff
from experiment.ui import participants as ui_participants

require_staff()
ui_participants.participants_page()
