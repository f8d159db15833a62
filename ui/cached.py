"""Cached engine calls. Keys are small hashable values (spec tuples, data tuples, style
names), never image arrays: Streamlit hashes big arrays only from a sample."""

from __future__ import annotations

import threading
from dataclasses import astuple, fields

import numpy as np
import streamlit as st

import conv_engine as ce
from ui.player import pack

Grid = tuple[tuple[float, ...], ...] | None


def spec_key(spec: ce.ConvSpec) -> tuple:
    """A spec as a plain tuple (what the caches below are keyed on)."""
    return astuple(spec)


def spec_from_key(key: tuple) -> ce.ConvSpec:
    return ce.ConvSpec(**{f.name: v for f, v in zip(fields(ce.ConvSpec), key, strict=True)})


@st.cache_resource(max_entries=16, show_spinner=False)
def _trace(key: tuple, x: Grid, w: Grid) -> ce.Trace:
    """One Trace per case, shared by every view of it (its steps are computed lazily)."""
    spec = spec_from_key(key)
    return ce.trace(spec, None if x is None else np.array(x), None if w is None else np.array(w))


@st.cache_resource(max_entries=16, show_spinner=False)
def _animation(key: tuple, x: Grid, w: Grid, labels: bool, palette: str) -> ce.Animation:
    """One drawn Animation per case and style, shared: its static layers (up to ~9 MiB for a
    32x32 case) are drawn once for the GIF, the MP4 and every still; 16 bound the total."""
    return ce.animation(_trace(key, x, w), _style(labels, palette))


def _style(labels: bool, palette: str) -> ce.Style:
    return ce.Style(labels=labels, palette=palette)


# A long animation's encoder holds every frame for a moment (a few hundred MB for 400 large
# frames): a class clicking "Download" together encodes two at a time, the others wait.
_ENCODES = threading.BoundedSemaphore(2)


@st.cache_data(max_entries=64, show_spinner="Drawing the animation…")
def gif(key: tuple, x: Grid, w: Grid, labels: bool, palette: str, duration: int) -> bytes:
    """GIF bytes of the whole animation."""
    anim = _animation(key, x, w, labels, palette)
    with _ENCODES:
        return ce.animation_gif(anim, duration)


@st.cache_data(max_entries=16, show_spinner="Encoding the video…")
def mp4(key: tuple, x: Grid, w: Grid, labels: bool, palette: str, duration: int) -> bytes:
    """MP4 (H.264) bytes of the whole animation, for slides."""
    anim = _animation(key, x, w, labels, palette)
    with _ENCODES:
        return ce.animation_mp4(anim, duration)


@st.cache_data(max_entries=256, show_spinner=False)
def frame_png(key: tuple, x: Grid, w: Grid, labels: bool, palette: str, step: int) -> bytes:
    """PNG bytes of one frame (the still shown beyond the player's steps)."""
    return ce.png_bytes(_animation(key, x, w, labels, palette).frame(step))


@st.cache_data(max_entries=256, show_spinner=False)
def caption(key: tuple, x: Grid, w: Grid, step: int) -> str:
    return ce.step_caption(_trace(key, x, w), step)


@st.cache_data(max_entries=64, show_spinner=False)
def output(key: tuple, x: Grid, w: Grid) -> np.ndarray:
    return _trace(key, x, w).output


@st.cache_data(max_entries=64, show_spinner=False)
def data(key: tuple, x: Grid, w: Grid) -> tuple[np.ndarray, np.ndarray]:
    """The input and kernel a trace uses (defaults filled in)."""
    t = _trace(key, x, w)
    return t.x, t.w


@st.cache_resource(max_entries=8, show_spinner=False)
def _player_data(key: tuple, x: Grid, w: Grid, labels: bool, palette: str) -> ce.PlayerData:
    """The player's frames, captions and cell geometry: shared and read-only. The largest
    case allowed (400 steps over a 32x32 input) holds about 3 MB: 8 bound them to ~25 MB."""
    return ce.player_data(_trace(key, x, w), ce.player_style(_style(labels, palette)))


@st.cache_data(max_entries=16, show_spinner="Drawing the animation…")
def player_payload(key: tuple, x: Grid, w: Grid, labels: bool, palette: str, speed: int,
                   title: str, png_name: str) -> bytes:
    """The player's payload (``ui.player.pack``): every frame, caption and cell polygon, so
    the browser plays the whole animation without asking the server again."""
    data = _player_data(key, x, w, labels, palette)
    return pack(data, title=title, speed=speed, png_name=png_name)
