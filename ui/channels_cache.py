"""Cached drawings, captions and charts of the channels page, keyed on small tuples.

A case is ``(C_in, C_out, side, kernel, stride, padding, groups)``: the convolution drawn,
without bias (its sums stay short), over a ``C_in x side x side`` input of small integers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import streamlit as st

import conv_engine as ce
from ui.figures import fig_png

Case = tuple[int, int, int, int, int, int, int]

# Colours of the layer kinds in the charts: the guide's blue and cyan, Solarized accents.
KIND_COLORS = {"1x1 conv": "#268BD2", "3x3 depthwise conv": "#2AA198", "3x3 conv": "#B58900",
               "dense": "#D33682", "avg pool": "#93A1A1"}


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
    return ce.channels_caption(x, w, layer(case), filter, step)


@st.cache_data(max_entries=16, show_spinner=False)
def mobilenet_png(alpha: float, resolution: int) -> bytes:
    """Bar chart of MobileNet v1's multiply-adds, layer by layer, coloured by kind."""
    cost = ce.mobilenet_v1(alpha, resolution).cost()
    rows = [r for r in cost.rows if r.mult_adds]
    fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=120)
    xs = np.arange(len(rows))
    ax.bar(xs, [r.mult_adds / 1e6 for r in rows],
           color=[KIND_COLORS.get(r.kind, "#586E75") for r in rows], width=0.8)
    ax.set_xticks(xs, [r.name for r in rows], rotation=90, fontsize=7)
    ax.set_ylabel("multiply-adds (millions)", fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    kinds = list(dict.fromkeys(r.kind for r in rows))
    handles = [plt.Rectangle((0, 0), 1, 1, color=KIND_COLORS.get(k, "#586E75")) for k in kinds]
    # Above the bars, under the title: the tall 1x1 bars fill the plot's upper corners.
    ax.legend(handles, kinds, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=len(kinds), frameon=False, handlelength=1.0, columnspacing=1.0)
    fig.suptitle(f"MobileNet v1, α = {alpha:g}, {resolution}x{resolution}: "
                 f"{ce.si(cost.mult_adds)} multiply-adds", fontsize=10)
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.2, top=0.84)
    return fig_png(fig)


@st.cache_data(max_entries=16, show_spinner=False)
def resnet_png(stage: str) -> bytes:
    """Multiply-adds of ResNet's bottleneck block beside two 3x3 layers of the same width."""
    c, w, side = ce.RESNET_STAGES[stage]
    blocks = [("bottleneck", ce.resnet_bottleneck(c, w, side).cost()),
              (f"two 3x3, {c} channels", ce.resnet_basic(c, side).cost())]
    fig, ax = plt.subplots(figsize=(6.4, 2.2), dpi=120)
    for y, (_, cost) in enumerate(blocks):
        left = 0.0
        for r in cost.rows:
            v = r.mult_adds / 1e6
            ax.barh(y, v, left=left, color=KIND_COLORS.get(r.kind, "#586E75"),
                    edgecolor="white", height=0.6)
            if v > 0.06 * max(b.mult_adds for _, b in blocks) / 1e6:
                ax.text(left + v / 2, y, r.name, ha="center", va="center", fontsize=8,
                        color="white")
            left += v
    ax.set_yticks(range(len(blocks)), [b for b, _ in blocks], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("multiply-adds (millions)", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(f"ResNet-50 {stage}, {side}x{side}x{c}", fontsize=10)
    fig.subplots_adjust(left=0.25, right=0.97, bottom=0.24, top=0.86)
    return fig_png(fig)
