"""Staff: the lens model — which acoustic features gave the source away, and which listeners went by."""

from core.ui import require_staff
from results.ui.features import features_page

require_staff()
features_page()
