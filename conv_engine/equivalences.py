"""Two equivalences behind 1x1 convolutions, computed both ways so they can be compared.

- Network in Network: cascaded 1x1 convolutions with ReLUs between them are one MLP applied
  to every pixel's channel vector (:func:`mlp_pointwise` against :func:`mlp_per_pixel`).
- A fully connected layer on a 1x1 map is a 1x1 convolution, and the same weights slid over
  a larger map give a map of class scores (:func:`dense_scores` against :func:`score_map`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from .checks import ParameterError, array, at_least, bias_vector
from .limits import MAX_OP_VALUES
from .ops import float_dtype, pointwise, relu

# ---------------------------------------------------------------------------------------------
# Network in Network: cascaded 1x1 convolutions are a per-pixel MLP


def _mlp_args(x, weights, biases):
    """Validated (C, H, W) map, weight matrices and biases (None entries allowed) of an MLP."""
    x = array(x, "x", 3)
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or not weights:
        raise ParameterError(
            "weights", "weights must be a non-empty sequence of (C_out, C_in) matrices"
        )
    ws = [array(w, f"weights[{i}]", 2) for i, w in enumerate(weights)]
    if biases is None:
        biases = [None] * len(ws)
    if isinstance(biases, np.ndarray) or len(biases) != len(ws):
        raise ParameterError(
            "biases", f"biases must be None or a sequence of {len(ws)} vectors (one per layer)"
        )
    c = x.shape[0]
    bs = []
    for i, (w, b) in enumerate(zip(ws, biases, strict=True)):
        if w.shape[1] != c:
            src = "x has" if i == 0 else f"weights[{i - 1}] gives"
            raise ParameterError(
                f"weights[{i}]",
                f"weights[{i}] must have {c} columns ({src} {c} channels), got shape {w.shape}",
            )
        if b is not None:
            b = array(b, f"biases[{i}]", 1)
            if b.shape[0] != w.shape[0]:
                raise ParameterError(
                    f"biases[{i}]", f"biases[{i}] must have {w.shape[0]} entries, got {b.shape[0]}"
                )
        bs.append(b)
        c = w.shape[0]
    return x, ws, bs


def mlp_pointwise(
    x: np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None] | None = None
) -> np.ndarray:
    """A per-pixel MLP as cascaded 1x1 convolutions (Network in Network's "mlpconv").

    ``h_0 = x``, ``h_l = relu(pointwise(h_{l-1}, W_l, b_l))``, no ReLU after the last layer.

    Parameters
    ----------
    x : (C, H, W) array
    weights : sequence of (C_l, C_{l-1}) arrays, ``C_0 = C``
    biases : sequence of (C_l,) arrays or None (per layer or for all)

    Returns
    -------
    (C_L, H, W) array
    """
    h, ws, bs = _mlp_args(x, weights, biases)
    for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
        h = pointwise(h, w, b)
        if i < len(ws) - 1:
            h = relu(h)
    return h


def mlp_per_pixel(
    x: np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None] | None = None
) -> np.ndarray:
    """The same MLP applied to each pixel's channel vector, as a batch of ``H * W`` rows.

    ``X = x.reshape(C, H*W).T`` (one row per pixel), ``X_l = relu(X_{l-1} @ W_l.T + b_l)``,
    no ReLU after the last layer; the result is reshaped back to a map.

    Parameters
    ----------
    x : (C, H, W) array
    weights, biases : as in :func:`mlp_pointwise`

    Returns
    -------
    (C_L, H, W) array; ``out.reshape(C_L, -1).T`` is the per-pixel (H*W, C_L) table.
    """
    x, ws, bs = _mlp_args(x, weights, biases)
    dtype = float_dtype(x, *ws, *(b for b in bs if b is not None))
    c, hh, ww = x.shape
    rows = x.reshape(c, hh * ww).T.astype(dtype, copy=False)
    for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
        rows = rows @ w.T.astype(dtype, copy=False)
        if b is not None:
            rows = rows + b.astype(dtype, copy=False)
        if i < len(ws) - 1:
            rows = np.maximum(rows, 0)
    return rows.T.reshape(-1, hh, ww)


def mlp_as_1x1(
    x: np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Both views of a per-pixel MLP: ``(mlp_pointwise(...), mlp_per_pixel(...))``.

    Both are (C_L, H, W) and agree to rounding error; see those functions for the shapes.
    """
    return mlp_pointwise(x, weights, biases), mlp_per_pixel(x, weights, biases)


def random_mlp(
    sizes: Sequence[int], *, seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Random weights and biases of an MLP with layer widths ``sizes = (C, h, ..., k)``.

    He-normal weights (``std = sqrt(2 / C_in)``, so activations neither vanish nor explode
    through the ReLUs) and small normal biases (std 0.1), float64, from ``default_rng(seed)``.

    Returns
    -------
    (weights, biases)
        ``weights[l]`` is (sizes[l+1], sizes[l]), ``biases[l]`` is (sizes[l+1],); at most
        ``MAX_OP_VALUES`` values together, or ParameterError naming ``sizes``.
    """
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ParameterError("sizes", f"sizes must list at least two layer widths, got {sizes!r}")
    ns = [at_least(n, 1, f"sizes[{i}]") for i, n in enumerate(sizes)]
    values = sum(a * b + b for a, b in pairwise(ns))
    if values > MAX_OP_VALUES:
        raise ParameterError(
            "sizes", f"sizes {ns} make {values:,} weights and biases, more than the "
                     f"{MAX_OP_VALUES:,} allowed; use narrower layers"
        )
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, np.sqrt(2.0 / a), (b, a)) for a, b in pairwise(ns)]
    biases = [rng.normal(0.0, 0.1, b) for b in ns[1:]]
    return weights, biases


# ---------------------------------------------------------------------------------------------
# A fully connected layer is a 1x1 convolution


def dense_scores(
    x: np.ndarray, weights: np.ndarray, bias: np.ndarray | None = None
) -> np.ndarray:
    """A dense classifier head on a 1x1xC map (or a C-vector): ``weights @ x.ravel() + bias``.

    Parameters
    ----------
    x : (C,) or (C, 1, 1) array
    weights : (n_classes, C) array
    bias : (n_classes,) array, optional

    Returns
    -------
    (n_classes,) array of scores
    """
    v = np.asarray(x)
    if v.ndim == 3 and v.shape[1:] != (1, 1):
        raise ParameterError(
            "x",
            f"x must be a (C,) vector or a (C, 1, 1) map for a dense layer, got shape {v.shape}; "
            "use score_map for larger maps",
        )
    v = array(v.reshape(-1) if v.ndim == 3 else v, "x", 1)
    w = array(weights, "weights", 2)
    if w.shape[1] != v.shape[0]:
        raise ParameterError(
            "weights", f"weights must have {v.shape[0]} columns (one per channel), got {w.shape}"
        )
    dtype = float_dtype(v, w)
    out = w.astype(dtype, copy=False) @ v.astype(dtype, copy=False)
    b = bias_vector(bias, w.shape[0])
    return out if b is None else out + b.astype(dtype, copy=False)


def score_map(x: np.ndarray, weights: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """The dense head's weights used as a 1x1 convolution: it slides over any map.

    Parameters
    ----------
    x : (C, H, W) array
    weights : (n_classes, C) array, the dense layer's weights unchanged
    bias : (n_classes,) array, optional

    Returns
    -------
    (n_classes, H, W) array: ``out[:, i, j] = dense_scores(x[:, i, j], weights, bias)``.
    On a 1x1 map it is the dense layer; on a larger map it is a map of class scores (a fully
    convolutional classifier), and by linearity its spatial mean is the dense layer applied to
    the globally average-pooled features.
    """
    return pointwise(x, weights, bias)


def dense_as_1x1(
    x: np.ndarray, weights: np.ndarray, bias: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Both views of a classifier head on a (C, 1, 1) map: ``(dense, 1x1 conv)``, each (n,).

    See :func:`dense_scores` and :func:`score_map`; they agree to rounding error.
    """
    return dense_scores(x, weights, bias), score_map(x, weights, bias).reshape(-1)


__all__ = [
    "dense_as_1x1",
    "dense_scores",
    "mlp_as_1x1",
    "mlp_per_pixel",
    "mlp_pointwise",
    "random_mlp",
    "score_map",
]
