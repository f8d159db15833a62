"""Cached drawings, captions and charts of the channels page, keyed on small tuples.

A case is ``(C_in, C_out, side, kernel, stride, padding, groups)``: the convolution drawn,
without bias (its sums stay short), over a ``C_in x side x side`` input of small integers.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import conv_engine as ce
from conv_engine.captions import channels_caption
from conv_engine.render.plots import blocks_figure, fig_png, mobilenet_figure

Case = tuple[int, int, int, int, int, int, int]


def layer(case: Case) -> ce.Conv:
    """The case's convolution (no bias)."""
    _, c_out, _, k, s, p, g = case
    return ce.Conv(c_out, k, s, p, groups=g, bias=False)


def shape(case: Case) -> tuple[int, int, int]:
    """The case's input shape (C_in, side, side)."""
    return (case[0], case[2], case[2])


@st.cache_resource(max_entries=16, show_spinner=False)
def _animation(case: Case, filter: int) -> ce.ChannelsAnimation:
    """One animation per case and filter, shared, so its static layers are drawn once for every
    step the slider shows. Each holds a few MB of layers: 16 bound that to ~50 MB."""
    return ce.channels_animation(layer(case), shape(case), filter)


@st.cache_data(max_entries=32, show_spinner="Drawing the animation…")
def gif(case: Case, filter: int) -> bytes:
    """GIF bytes of the filter sliding over every output cell."""
    anim = _animation(case, filter)
    return ce.animation_gif(anim, colors=anim.extra_colors)


@st.cache_data(max_entries=128, show_spinner=False)
def frame_png(case: Case, filter: int, step: int) -> bytes:
    """PNG bytes of one step (the slider's still)."""
    return ce.png_bytes(_animation(case, filter).frame(step))


@st.cache_data(max_entries=32, show_spinner=False)
def data(case: Case, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The case's input and weights (small integers)."""
    return ce.channels_data(layer(case), shape(case), seed)


@st.cache_data(max_entries=128, show_spinner=False)
def caption(case: Case, seed: int, filter: int, step: int) -> str:
    x, w = data(case, seed)
    return channels_caption(x, w, layer(case), filter, step)


@st.cache_data(max_entries=16, show_spinner=False)
def mobilenet_png(alpha: float, resolution: int) -> bytes:
    """Bar chart of MobileNet v1's multiply-adds, layer by layer, coloured by kind."""
    cost = ce.mobilenet_v1(alpha, resolution).cost()
    return fig_png(mobilenet_figure(cost, alpha, resolution))


@st.cache_data(max_entries=16, show_spinner=False)
def resnet_png(stage: str) -> bytes:
    """Multiply-adds of ResNet's bottleneck block beside two 3x3 layers of the same width."""
    c, w, side = ce.RESNET_STAGES[stage]
    blocks = [("bottleneck", ce.resnet_bottleneck(c, w, side).cost()),
              (f"two 3x3, {c} channels", ce.resnet_basic(c, side).cost())]
    return fig_png(blocks_figure(blocks, f"ResNet-50 {stage}, {side}x{side}x{c}"))
