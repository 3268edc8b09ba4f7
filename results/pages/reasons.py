"""Staff: the reasons listeners gave for their guesses, coded by the study's cue words."""

from core.ui import require_staff
from results.ui.reasons import reasons_page

require_staff()
reasons_page()
