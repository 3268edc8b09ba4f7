"""Staff: could listeners tell human from AI, and how did the clips make them feel?"""

from core.ui import require_staff
from results.ui.overview import overview_page

require_staff()
overview_page()
