"""Self-Assessment Manikin figures (Bradley & Lang 1994) drawn as SVG in the project, no external assets.

The SAM shows five figures above each 9-point scale, on points 1, 3, 5, 7 and 9: for **valence**
the figure's mouth runs from a deep frown to a broad smile; for **arousal**
the figure goes from sleepy (eyes closed, a small dot on its body) to wide awake with a large
"explosion" bursting from its body. These are simple re-drawings in that spirit, generated here as
SVG strings (no drawing is fetched from anywhere), each with a text alternative. No Streamlit here:
:mod:`experiment.ui.trial_page` places them.

Reference: Bradley, M. M., & Lang, P. J. (1994). Measuring emotion: the Self-Assessment Manikin
and the semantic differential. Journal of Behavior Therapy and Experimental Psychiatry, 25(1), 49-59.
"""

from __future__ import annotations

import base64
import html
import math
from functools import lru_cache

from babel.numbers import format_decimal

from core.i18n import N_, _, active_language
from core.vocabulary import Scale

N_FIGURES = 5
"""Figures per scale, as in the original SAM."""
INK = "#31333F"
"""Line colour (Streamlit's light-theme text colour); fixed, as an <img> inherits no CSS colour."""
_WIDTH, _HEIGHT = 100, 120
SAM_SCALES: tuple[str, ...] = (Scale.VALENCE, Scale.AROUSAL)
"""The scales that get manikins (the SAM has none for "moved" or "liking")."""
FIGURE_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    Scale.VALENCE: (
        N_("a figure with a deep frown"),
        N_("a figure frowning"),
        N_("a figure with a neutral face"),
        N_("a figure smiling"),
        N_("a figure with a broad smile"),
    ),
    Scale.AROUSAL: (
        N_("a sleepy figure with closed eyes"),
        N_("a calm figure"),
        N_("a moderately alert figure"),
        N_("an excited figure"),
        N_("a very excited figure, wide awake and shaking"),
    ),
}
"""Each figure's text alternative, lowest level first (what a screen reader says instead of the picture)."""


def manikin_svg(scale: str, level: int) -> str:
    """One manikin as an SVG document.

    Parameters
    ----------
    scale : {"valence", "arousal"}
    level : int
        0 .. 4, from the scale's low end (very unpleasant / very calm) to its high end.

    Returns
    -------
    str
        An ``<svg>`` element, 100 x 120 user units.
    """
    if scale not in SAM_SCALES:
        raise ValueError(f"no manikins for scale {scale!r}; SAM draws {list(SAM_SCALES)}")
    if not 0 <= level < N_FIGURES:
        raise ValueError(f"level must be 0..{N_FIGURES - 1}, got {level}")
    t = level / (N_FIGURES - 1)  # 0..1 along the scale
    parts = [_body()]
    if scale == Scale.VALENCE:
        parts += [_open_eyes(3.2), _mouth(curve=-13 + 26 * t)]
    else:
        parts += [_burst(level), _arousal_eyes(t), _mouth(curve=0, width=12 if level < 3 else 9, open_=level >= 3)]
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'fill="none" stroke="{INK}" stroke-width="3" stroke-linecap="round" stroke-linejoin="round">{body}</svg>'
    )


def manikin_data_uri(scale: str, level: int) -> str:
    """:func:`manikin_svg` as a ``data:`` URI for an ``<img>`` (Streamlit's HTML sanitiser drops inline SVG)."""
    encoded = base64.b64encode(manikin_svg(scale, level).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def manikin_row_html(scale: str, scale_points: int) -> str:
    """The five manikins of ``scale`` as one HTML row, each centred over its point of the scale.

    The row is as wide as the rating buttons under it, which share the width equally (the page's
    CSS), so figure ``i`` sits over point ``1 + i * (scale_points - 1) / 4``: 1, 3, 5, 7, 9 on the
    SAM's 9 points. Each figure has a text alternative in the active language
    (:data:`FIGURE_DESCRIPTIONS`, with the point it stands over).

    Made once per scale, points and language (about 0.8 ms each, twice on every trial page run).
    """
    return _manikin_row_html(scale, scale_points, active_language())


@lru_cache(maxsize=32)
def _manikin_row_html(scale: str, scale_points: int, language: str) -> str:
    """:func:`manikin_row_html` in ``language``, the active one when it is called."""
    figures = []
    for level in range(N_FIGURES):
        point = level * (scale_points - 1) / (N_FIGURES - 1)  # 0-based point under the figure
        left = (point + 0.5) / scale_points * 100
        alt = _("{figure} (at {point} on the scale)").format(
            figure=_(FIGURE_DESCRIPTIONS[scale][level]), point=format_decimal(point + 1, locale=active_language())
        )
        figures.append(
            f'<img class="ht-sam-figure" src="{manikin_data_uri(scale, level)}" alt="{html.escape(alt)}" '
            f'style="left:{left:.3f}%">'
        )
    return f'<div class="ht-sam">{"".join(figures)}</div>'


# ----------------------------------------------------------------------------------------------
# Parts of a figure (coordinates in the 100 x 120 box)


def _body() -> str:
    """Head, a rounded body with short arms and feet."""
    return (
        '<circle cx="50" cy="34" r="22"/>'
        '<path d="M30 112 C26 86 32 64 50 62 C68 64 74 86 70 112 Z"/>'
        '<path d="M33 76 L18 90 M67 76 L82 90"/>'
        '<path d="M40 112 L36 117 M60 112 L64 117"/>'
    )


def _open_eyes(radius: float) -> str:
    return "".join(f'<circle cx="{x}" cy="30" r="{radius:.1f}" fill="{INK}"/>' for x in (42, 58))


def _mouth(curve: float, width: float = 16, open_: bool = False) -> str:
    """A mouth centred at (50, 44): ``curve`` > 0 smiles, < 0 frowns (control-point offset, units)."""
    if open_:
        return f'<ellipse cx="50" cy="45" rx="{width / 2:.1f}" ry="4.5"/>'
    y = 44 - curve / 4  # keep the curve's middle near the same height
    return f'<path d="M{50 - width:.1f} {y:.1f} Q50 {y + curve:.1f} {50 + width:.1f} {y:.1f}"/>'


def _arousal_eyes(t: float) -> str:
    """Closed (sleepy arcs) at the calm end, then ever wider open eyes."""
    if t == 0:
        return '<path d="M37 31 Q42 34 47 31 M53 31 Q58 34 63 31" stroke-width="2.5"/>'
    return _open_eyes(1.8 + 2.6 * t)


def _burst(level: int) -> str:
    """The body's "explosion": a dot when calm, then a star that grows past the body's edges."""
    if level == 0:
        return f'<circle cx="50" cy="88" r="2.5" fill="{INK}"/>'
    outer = (0, 9, 15, 22, 32)[level]
    spikes = 8 + 2 * level
    points = []
    for k in range(2 * spikes):
        radius = outer if k % 2 == 0 else outer * 0.45
        angle = math.pi * k / spikes - math.pi / 2
        points.append(f"{50 + radius * math.cos(angle):.1f},{88 + radius * math.sin(angle):.1f}")
    star = f'<polygon points="{" ".join(points)}" fill="{INK}" fill-opacity="0.7" stroke-width="1.5"/>'
    if level < 4:
        return star
    # The top figure also shakes: short strokes beside the head.
    return star + '<path d="M14 26 L22 30 M12 38 L21 38 M86 26 L78 30 M88 38 L79 38" stroke-width="2.5"/>'
