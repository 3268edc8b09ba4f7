"""Staff: every clip's judgements and ratings, a player, its features, and the clips that fooled listeners."""

from core.ui import require_staff
from results.ui.clips import clips_page

require_staff()
clips_page()
