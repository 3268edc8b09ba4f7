"""Staff page: upload clips with their catalogue metadata, and set how clips are processed."""

from audio.ui.add_clips import add_clips_page
from core import ui
from core.access import Permission

ui.require_staff()
ui.require(Permission.ADD_CLIPS, None)
add_clips_page()
