"""What every results chart shares: colours, sizes, the title with its n, layering and SVG rendering.

:mod:`results.rendering.charts` (detection and emotion) and :mod:`results.rendering.clip_charts` (clips and their
acoustic features) draw with these, so that the app and the report look alike.
"""

from __future__ import annotations

import math
import textwrap

import altair as alt
import numpy as np
import pandas as pd

HUMAN_COLOUR = "#1b7837"
AI_COLOUR = "#762a83"
SOURCE_SCALE = alt.Scale(domain=["human", "ai"], range=[HUMAN_COLOUR, AI_COLOUR])
# Below the plot: a legend to the right of a chart in a half-width column is cut at the column's edge.
SOURCE_LEGEND = alt.Legend(
    title="True source", labelExpr="datum.value == 'ai' ? 'AI' : 'Human'", orient="bottom", direction="horizontal"
)
NEUTRAL = "#555555"
WIDTH = 420
# Sizes below are of the plotting area; titles, axes and legends are added around it. Without
# "pad", Streamlit squeezes the whole chart (three-line title included) into width x height.
PAD = alt.AutoSizeParams(type="pad", contains="padding")


def rests_on(n_participants: int, n_trials: int) -> str:
    """The subtitle line every chart carries: how many participants and trials it rests on."""
    return f"{n_participants} participant{'s' if n_participants != 1 else ''}, {n_trials} trials"


def layered(*charts: alt.Chart) -> alt.LayerChart:
    """The charts drawn over each other in one panel.

    Same spec as ``alt.layer(*charts)``, which is typed to return a FacetChart as well because it hoists
    facet encodings the layers share; these charts never facet.
    """
    return alt.LayerChart(layer=list(charts))


SUBTITLE_CHAR_PX = 6.2  # mean width of an 11 px subtitle character; keeps lines inside the chart
TITLE_CHAR_PX = 7.8  # mean width of a 13 px bold title character


def chart_title(text: str, *subtitle: str, width: int = WIDTH) -> alt.TitleParams:
    """A title and subtitle lines, both wrapped to the chart's ``width`` (px).

    Vega wraps neither: a long line runs past the chart into its neighbour when two charts stand
    side by side, or is cut at the edge of a narrow column. Each line is wrapped at the width of
    the plotting area.
    """
    chars = max(30, int(width / SUBTITLE_CHAR_PX))
    lines = [wrapped for line in subtitle for wrapped in (textwrap.wrap(line, chars) or [""])]
    title = textwrap.wrap(text, max(24, int(width / TITLE_CHAR_PX))) or [text]
    return alt.TitleParams(text=title if len(title) > 1 else title[0], subtitle=lines, anchor="start")


def sensible_domain(
    values: pd.Series | np.ndarray, floor: tuple[float, float], cap: tuple[float, float]
) -> list[float]:
    """An axis domain that shows ``values`` and at least ``floor``, never wider than ``cap``.

    Interval ends far outside any plausible value (a d′ interval of [−10, 9] from three
    participants) would otherwise squeeze every estimate into a sliver; they are clipped at the
    axis instead and marked (:func:`clip_intervals`). Ends are rounded out to whole units.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    low = min(floor[0], float(finite.min())) if finite.size else floor[0]
    high = max(floor[1], float(finite.max())) if finite.size else floor[1]
    return [max(cap[0], float(math.floor(low))), min(cap[1], float(math.ceil(high)))]


def clip_intervals(data: pd.DataFrame, domain: list[float], low: str = "ci_low", high: str = "ci_high") -> pd.DataFrame:
    """Add ``<low>_shown``/``<high>_shown`` (clipped to ``domain``) and ``clipped`` ("", "◀", "▶", "◀▶").

    Tooltips keep the full interval; marks draw the shown one, and the arrow says which end runs
    past the axis.
    """
    out = data.copy()
    lo, hi = domain
    out[f"{low}_shown"] = out[low].clip(lower=lo, upper=hi)
    out[f"{high}_shown"] = out[high].clip(lower=lo, upper=hi)
    left = out[low] < lo
    right = out[high] > hi
    out["clipped"] = np.where(left, "◀", "") + np.where(right, "▶", "")
    return out


def clipped_note(data: pd.DataFrame, low: str = "ci_low", high: str = "ci_high") -> str:
    """A subtitle line naming the intervals cut at the axis ('' when none are)."""
    cut = data[data["clipped"] != ""] if "clipped" in data else data.iloc[0:0]
    if cut.empty:
        return ""
    return f"◀ ▶ interval cut at the axis; widest [{cut[low].min():.1f}, {cut[high].max():.1f}]"


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string with vl-convert (offline; no browser needed)."""
    import vl_convert

    version = "v" + alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0].replace(".", "_")
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=version)
