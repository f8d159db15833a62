"""Cached feature-stack pipeline for the image pages.

Keys are the image's identity (a sample name or the upload's sha256) plus small parameters;
arrays travel as underscore arguments, which Streamlit does not hash.
"""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

import conv_engine as ce
from conv_engine.reductions import ReductionQuality
from conv_engine.render.maps import colorize, maps_grid
from conv_engine.render.plots import fig_png, mlp_diagram, retained_figure

METHOD_LABELS = {
    "pca": "PCA (best for reconstruction)",
    "learned": "Learned by SGD (autoencoder)",
    "random": "Random",
    "mean": "Channel mean (cross-channel pooling)",
    "hand": "Set by hand",
}
SPATIAL = {"none": "none", "s2": "stride 2", "s3": "stride 3", "pool": "2x2 max pooling"}
STRIDES = {"s2": 2, "s3": 3}  # the strided choices of SPATIAL
# Channel scale of the data-driven weights and of "Variance kept": the URL holds the short name.
# The channel scales: URL value -> (label, caption).
SCALES = {
    "std": ("Standardised", "every channel z-scored (mean 0, variance 1): each counts once"),
    "raw": ("Raw", "channel values as computed: channels with large values dominate"),
}


@st.cache_resource(max_entries=6, show_spinner="Computing the feature stack…")
def stack(image_key: str, _rgb: np.ndarray, orientations: int, scales: int) -> ce.FeatureStack:
    """Feature stack of an image (kept once per server, never copied: it is read-only)."""
    return ce.feature_stack(_rgb, orientations=orientations, scales=scales)


@st.cache_data(max_entries=32, show_spinner=False)
def weights(stack_key: tuple, _stack: ce.FeatureStack, k: int, method: str, seed: int,
            standardize: bool = False):
    return ce.reduction_weights(_stack, k, method, seed=seed, standardize=standardize)


@st.cache_data(max_entries=16, show_spinner="Measuring what each reduction keeps…")
def curve(stack_key: tuple, _stack: ce.FeatureStack, standardize: bool) -> ce.ReductionCurve:
    return ce.reduction_curve(_stack, standardize=standardize)


# No Streamlit element inside: a cache hit would replay it into a container of an earlier run
# (CacheReplayClosureError). Streamlit's own spinner shows while a miss trains.
@st.cache_data(max_entries=16, show_spinner="Training the 1x1 convolution by SGD…")
def learned(stack_key: tuple, _stack: ce.FeatureStack, k: int, steps: int, lr: float, seed: int,
            standardize: bool) -> ce.LearnedReduction:
    return ce.learn_pointwise(_stack, k, steps=steps, lr=lr, seed=seed, standardize=standardize)


def loss_curve(loss: np.ndarray, points: int = 100) -> dict[str, np.ndarray]:
    """Per-step losses averaged over ``points`` equal runs of steps, for a readable chart.

    Returns columns "step" (the last step of each run) and "loss" (the run's mean loss).
    """
    every = max(1, len(loss) // points)
    n = len(loss) // every
    means = loss[: n * every].reshape(n, every).mean(axis=1)
    return {"step": np.arange(1, n + 1) * every, "loss": means}


def apply(maps: np.ndarray, w: np.ndarray, b: np.ndarray, relu: bool, spatial: str) -> np.ndarray:
    """The 1x1 convolution, optional ReLU, then the chosen spatial reduction."""
    stride = STRIDES.get(spatial, 1)
    if stride > 1:  # a strided 1x1 convolution only ever reads every s-th pixel
        y = ce.conv2d(maps, w[:, :, None, None], b, stride=stride)
    else:
        y = ce.pointwise(maps, w, b)
    if relu:
        y = ce.relu(y)
    if spatial == "pool":
        y = ce.max_pool2d(y, 2)
    return y


@st.cache_data(max_entries=16, show_spinner="Applying the 1x1 convolution…")
def reduced(stack_key: tuple, _stack: ce.FeatureStack, w_key: bytes, _w: np.ndarray,
            _b: np.ndarray, relu: bool, spatial: str) -> np.ndarray:
    """``apply`` cached on the stack and a digest of the weights."""
    return apply(_stack.maps, _w, _b, relu, spatial)


@st.cache_data(max_entries=32, show_spinner=False)
def curve_png(stack_key: tuple, _curve: ce.ReductionCurve, channels: int, k: int,
              standardize: bool) -> bytes:
    """The retained-variance plot as PNG bytes (matplotlib takes a few hundred ms to draw)."""
    of = "z-scored channels" if standardize else "raw channels"
    return fig_png(retained_figure(_curve.ks, _curve.retained, channels + 1, k,
                                   ylabel=f"variance kept (%), {of}"))


# Shown and downloaded from the same cached bytes: a rerun neither redraws nor re-encodes the
# grid (pass them to st.image with output_format="PNG", or Streamlit re-encodes as JPEG). The
# download gets its bytes with the page: a file made on click (a callable) or released by a
# rerun can be swept before the browser fetches it when the server is busy.
@st.cache_data(max_entries=16, show_spinner=False)
def maps_png(maps_key: tuple, _maps: np.ndarray, names: tuple[str, ...], cmap: str,
             tile: int) -> bytes:
    """A labelled grid of the maps (``maps_grid``) as PNG bytes; ``maps_key``
    identifies the maps."""
    return ce.png_bytes(maps_grid(_maps, names, cmap=cmap, tile=tile))


@st.cache_data(max_entries=16, show_spinner=False)
def photo(image_key: str, _rgb: np.ndarray) -> bytes:
    """The image at its working size as JPEG bytes, encoded once (st.image encodes an array
    anew on every run)."""
    buf = io.BytesIO()
    Image.fromarray(_rgb).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


@st.cache_data(max_entries=16, show_spinner=False)
def quality(stack_key: tuple, _stack: ce.FeatureStack, w_key: str, _w: np.ndarray,
            _b: np.ndarray, relu: bool, standardize: bool) -> ReductionQuality:
    """``reduction_quality`` cached on the stack and a digest of the weights."""
    return ce.reduction_quality(_stack, _w, _b, relu=relu, standardize=standardize)


@st.cache_data(max_entries=16, show_spinner=False)
def channels_gif(maps_key: tuple, _maps: np.ndarray, cmap: str) -> bytes:
    """A GIF stepping through the channels of ``_maps``."""
    return ce.gif_bytes([Image.fromarray(colorize(m, cmap)) for m in _maps],
                        duration=700)


@st.cache_data(max_entries=16, show_spinner=False)
def mlp_both_ways(stack_key: tuple, _stack: ce.FeatureStack, hidden: int, k: int, seed: int):
    """A random C -> hidden -> k MLP run as 1x1 convolutions and per pixel: the 1x1 result
    and the largest difference between the two."""
    weights, biases = ce.random_mlp([_stack.shape[0], hidden, k], seed=seed)
    as_conv, as_mlp = ce.mlp_as_1x1(_stack.maps.astype(np.float64), weights, biases)
    return as_conv, float(np.abs(as_conv - as_mlp).max())


@st.cache_data(max_entries=64, show_spinner=False)
def mlp_png(stack_key: tuple, _stack: ce.FeatureStack, hidden: int, k: int, seed: int,
            row: int, col: int) -> bytes:
    """The MLP diagram of one pixel, as PNG bytes."""
    weights, biases = ce.random_mlp([_stack.shape[0], hidden, k], seed=seed)
    v0 = _stack.maps[:, row, col].astype(np.float64)
    h1 = np.maximum(weights[0] @ v0 + biases[0], 0)
    return fig_png(
        mlp_diagram([v0, h1, weights[1] @ h1 + biases[1]], weights, list(_stack.names)))
