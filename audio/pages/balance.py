"""Staff page: are human and AI clips comparable on everything except who made them?"""

from audio.ui.balance import balance_page
from core.ui import require_staff

require_staff()
balance_page()
