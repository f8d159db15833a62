"""Pillow drawings of traces in the guide's style: the slanted 2.5D arithmetic view and the
flat numerical view, and the multi-channel view of a (grouped) convolution. Pure functions of
(trace or layer, step, style); no numerics here."""

from .channels import (
    MAX_CHANNEL_VIEW,
    ChannelsAnimation,
    ChannelsGeometry,
    channels_animation,
    channels_geometry,
    check_channel_case,
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
    "MAX_CHANNEL_VIEW",
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
    "check_channel_case",
    "draw",
    "draw_step",
    "hex_rgb",
    "make_geometry",
    "output_text",
    "render_frames",
]
