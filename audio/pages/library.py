"""Staff page: the clip library, one clip's audio and features, metadata edits, retire/unretire."""

from audio.ui.library import library_page
from core.ui import require_staff

require_staff()
library_page()
