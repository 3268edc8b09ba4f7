"""Staff preview: walk through the participant journey under the current settings, never counted."""

from core.ui import require_staff

require_staff()

from experiment.ui import journey as ui_journey  # noqa: E402

ui_journey.preview_page()
