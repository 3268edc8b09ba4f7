"""Staff page: are human and AI clips comparable on everything except who made them?"""

from audio.ui.balance import balance_page
from core import ui
from core.access import Permission

ui.require_staff()
ui.require(Permission.VIEW_LIBRARY, None)
balance_page()
