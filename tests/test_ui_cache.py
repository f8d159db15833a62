"""The app, not the engine, remembers what it drew: one Animation per case and style."""

from __future__ import annotations

import pytest

import conv_engine as ce
from conv_engine.export import trace_to_gif
from conv_engine.render import draw_step
from ui import cached

pytestmark = pytest.mark.usefixtures("fresh_caches")


def test_one_drawn_animation_per_case_and_style_is_shared():
    key = cached.spec_key(ce.PRESETS["padding_strides"])
    first = cached._animation(key, None, None, True, "solarized")
    assert cached._animation(key, None, None, True, "solarized") is first
    other = cached._animation(key, None, None, True, "high-contrast")
    assert other is not first and other.style.palette == "high-contrast"


def test_stills_gif_and_mp4_come_from_the_shared_animation():
    spec = ce.PRESETS["no_padding_no_strides"]
    key = cached.spec_key(spec)
    gif = cached.gif(key, None, None, True, "solarized", 1000)
    assert gif == trace_to_gif(ce.trace(spec), duration=1000)  # what the engine alone makes
    png = cached.frame_png(key, None, None, True, "solarized", 2)
    assert png == ce.png_bytes(draw_step(ce.trace(spec), 2))
