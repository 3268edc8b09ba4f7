"""Staff page: the clip library, one clip's audio and features, metadata edits, retire/unretire."""

from audio.ui.library import library_page
from core import ui
from core.access import Permission

ui.require_staff()
ui.require(Permission.VIEW_LIBRARY, None)
library_page()
