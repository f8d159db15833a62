"""Pillow drawings of traces in the guide's style: the slanted 2.5D arithmetic view and the
flat numerical view, and the multi-channel view of a (grouped) convolution. Pure functions of
(trace or layer, step, style); no numerics here.

The pictures of the image pages are submodules of their own, imported where used (they bring
in matplotlib): :mod:`~conv_engine.render.maps` (feature maps as labelled grids, colour maps)
and :mod:`~conv_engine.render.plots` (matplotlib charts as PNG bytes)."""

from .channels import (
    ChannelsAnimation,
    ChannelsGeometry,
    channels_animation,
    channels_geometry,
)
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
    "ChannelsAnimation",
    "ChannelsGeometry",
    "Colors",
    "Geometry",
    "Style",
    "TextLabel",
    "animation",
    "cell_text",
    "channels_animation",
    "channels_geometry",
    "draw",
    "draw_step",
    "hex_rgb",
    "make_geometry",
    "output_text",
    "render_frames",
]
