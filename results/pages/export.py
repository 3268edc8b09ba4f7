"""Staff: one-click downloads of the data (CSV/Parquet), the codebook and the HTML report."""

from core.ui import require_staff
from results.ui.export import export_page

require_staff()
export_page()
