"""Pillow drawings of traces in the guide's style: the slanted 2.5D arithmetic view and the
flat numerical view. Pure functions of (trace, step, style); no numerics here."""

from .geometry import SLANT, Geometry, make_geometry
from .scene import (
    Animation,
    TextLabel,
    animation,
    cell_text,
    draw,
    draw_step,
    output_text,
    render_frames,
)
from .style import DEFAULT_STYLE, HIGH_CONTRAST, PALETTES, SOLARIZED, Colors, Style, hex_rgb

__all__ = [
    "DEFAULT_STYLE",
    "HIGH_CONTRAST",
    "PALETTES",
    "SLANT",
    "SOLARIZED",
    "Animation",
    "Colors",
    "Geometry",
    "Style",
    "TextLabel",
    "animation",
    "cell_text",
    "draw",
    "draw_step",
    "hex_rgb",
    "make_geometry",
    "output_text",
    "render_frames",
]
