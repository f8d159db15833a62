"""Cached drawings of the 1x1-through-depth view, keyed on the sizes and a seed."""

from __future__ import annotations

import numpy as np
import streamlit as st

import conv_engine as ce


@st.cache_data(max_entries=32, show_spinner=False)
def depth_data(c_in: int, c_out: int, h: int, w: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Small integer values and weights (-1..2), easy to multiply in one's head."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 4, (c_in, h, w)).astype(float),
            rng.integers(-1, 3, (c_out, c_in)).astype(float))


@st.cache_data(max_entries=32, show_spinner="Drawing the animation…")
def depth_gif(c_in: int, c_out: int, h: int, w: int, seed: int, numerical: bool) -> bytes:
    x, wt = depth_data(c_in, c_out, h, w, seed)
    return ce.depth_gif(x, wt, numerical=numerical)


@st.cache_data(max_entries=128, show_spinner=False)
def depth_png(c_in: int, c_out: int, h: int, w: int, seed: int, numerical: bool,
              step: int) -> bytes:
    x, wt = depth_data(c_in, c_out, h, w, seed)
    return ce.png_bytes(ce.draw_depth_step(x, wt, None, step, numerical=numerical))


@st.cache_data(max_entries=16, show_spinner="Animating the crop…")
def crop_gif(key: tuple, _x: np.ndarray, _w: np.ndarray, _b: np.ndarray,
             names: tuple[str, ...]) -> bytes:
    """Depth view of a crop of a user's stack, tinted by its real values; ``key`` identifies
    the image, stack and weights."""
    return ce.depth_gif(_x, _w, _b, channel_names=names, tint=True)
