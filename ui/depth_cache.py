"""Cached drawings of the 1x1-through-depth view, keyed on the sizes and a seed."""

from __future__ import annotations

import numpy as np
import streamlit as st

import conv_engine as ce
from ui.player import image_url, pack


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


@st.cache_data(max_entries=16, show_spinner="Drawing the animation…")
def depth_player(c_in: int, c_out: int, h: int, w: int, seed: int, numerical: bool,
                 title: str, png_name: str) -> bytes:
    """The player's payload of the depth view: every frame, caption and pixel outline."""
    x, wt = depth_data(c_in, c_out, h, w, seed)
    return pack(ce.depth_player_data(x, wt, numerical=numerical), title=title,
                png_name=png_name)


@st.cache_data(max_entries=16, show_spinner="Drawing the crop…")
def crop_player(key: tuple, _x: np.ndarray, _w: np.ndarray, _b: np.ndarray,
                names: tuple[str, ...], title: str) -> bytes:
    """The player's payload for a crop of a user's stack, tinted by its real values, each
    step's sums in its caption; ``key`` identifies the image, stack, weights and crop."""
    data = ce.depth_player_data(_x, _w, _b, channel_names=names, tint=True,
                                numerical_captions=True)
    return pack(data, title=title)


@st.cache_data(max_entries=16, show_spinner=False)
def picker_url(image_key: str, _rgb: np.ndarray) -> str:
    """The image the crop picker shows, as a data URL; ``image_key`` identifies it."""
    return image_url(_rgb)
