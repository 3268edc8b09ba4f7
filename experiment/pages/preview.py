"""Staff preview: walk through the participant journey under the current settings, never counted."""

from core.ui import require_staff
from experiment.ui import journey as ui_journey

require_staff()
ui_journey.preview_page()
