"""Staff: the study settings (every save is a new version), open/close, clip selection, share links."""

from core.ui import require_staff
from experiment.ui import journey as ui_journey
from experiment.ui import study_settings as ui_settings

require_staff()
ui_settings.study_settings_page(ui_journey.current_page_url())
