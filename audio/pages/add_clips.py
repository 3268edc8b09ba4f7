"""Staff page: upload clips with their catalogue metadata, and set how clips are processed."""

from audio.ui.add_clips import add_clips_page
from core.ui import require_staff

require_staff()
add_clips_page()
