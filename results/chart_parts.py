"""What every results chart shares: colours, sizes, the title with its n, layering and SVG rendering.

:mod:`results.charts` (detection and emotion) and :mod:`results.clip_charts` (clips and their
acoustic features) draw with these, so that the app and the report look alike.
"""

from __future__ import annotations

import altair as alt

HUMAN_COLOUR = "#1b7837"
AI_COLOUR = "#762a83"
SOURCE_SCALE = alt.Scale(domain=["human", "ai"], range=[HUMAN_COLOUR, AI_COLOUR])
SOURCE_LEGEND = alt.Legend(title="True source", labelExpr="datum.value == 'ai' ? 'AI' : 'Human'")
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


def chart_title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=list(subtitle), anchor="start")


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to an SVG string with vl-convert (offline; no browser needed)."""
    import vl_convert

    version = "v" + alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0].replace(".", "_")
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=version)
