"""Staff: plan a sample size by simulating the design and the headline analysis."""

from core.ui import require_staff
from results.ui.plan import plan_page

require_staff()
plan_page()
