"""Vectorised convolution, transposed convolution, pooling and the 1x1 convolution.

Semantics follow PyTorch: cross-correlation (no kernel flip), channel-first arrays,
weights (C_out, C_in / groups, kH, kW) and transposed weights (C_in, C_out / groups, kH, kW).
With ``groups = g`` the channels split into g consecutive blocks: output block j sees input
block j only (g = 1: the standard convolution; g = C_in: depthwise).

Bad arguments raise :class:`~conv_engine.checks.ParameterError`. The arrays one call creates
are bounded together (``MAX_OP_VALUES`` in :mod:`conv_engine.limits`) before any work.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .arithmetic import (
    check_pool_padding,
    effective_kernel,
    output_size,
    resolve_padding,
    transposed_output_size,
)
from .checks import ParameterError, array, at_least, bias_vector, numeric, pair
from .limits import CONV_BAND_BYTES, DEPTHWISE_BLOCK_BYTES, MAX_OP_VALUES, MAX_POOL_TAPS

# Read at call time under these names, so that a test can shrink them to one row a band or
# one channel a block (see conv_engine.limits for the sizes and why).
_BAND_BYTES = CONV_BAND_BYTES
_DEPTHWISE_BLOCK_BYTES = DEPTHWISE_BLOCK_BYTES


def _check_budget(arrays: list[tuple[int, str]], axis: dict[str, int]) -> None:
    """ParameterError when the arrays ``(values, what)`` an op would create hold more than
    MAX_OP_VALUES together, naming the parameter behind most of the longer spatial axis of
    the largest grid it builds (``axis``: that axis's cells by parameter, the input first)."""
    total = sum(n for n, _ in arrays)
    if total > MAX_OP_VALUES:
        names = [what for _, what in arrays]
        what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        raise ParameterError(
            max(axis, key=axis.get),  # the first listed wins a tie
            f"{what} would hold {total:,} values together, more than the {MAX_OP_VALUES:,} "
            "allowed; use smaller padding, stride, dilation or kernel",
        )


def _padded_axis(x: np.ndarray, pads: tuple[int, int, int, int]) -> dict[str, int]:
    """Cells of the padded input's longer side that are the input's and the padding's."""
    h, w = x.shape[1], x.shape[2]
    if h + pads[0] + pads[1] >= w + pads[2] + pads[3]:
        return {"x": h, "padding": pads[0] + pads[1]}
    return {"x": w, "padding": pads[2] + pads[3]}


def _padded_values(x: np.ndarray, pads: tuple[int, int, int, int]) -> list[tuple[int, str]]:
    """The padded copy of ``x`` an op makes, if any, as a ``(values, what)`` entry."""
    if not any(pads):
        return []
    c, h, w = x.shape
    return [(c * (h + pads[0] + pads[1]) * (w + pads[2] + pads[3]), "the padded input")]


def _groups(groups: object, c_in: int, c_out: int | None, what: str = "") -> int:
    """``groups`` as an int >= 1 that divides both channel counts, or ParameterError."""
    g = at_least(groups, 1, "groups")
    if c_in % g:
        raise ParameterError(
            "groups",
            f"groups must divide the input channels: x has {c_in} channels, not a multiple of "
            f"groups={g}",
        )
    if c_out is not None and c_out % g:
        raise ParameterError(
            "groups",
            f"groups must divide the output channels: {what} gives {c_out}, not a multiple of "
            f"groups={g}",
        )
    return g


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype the ops compute in: float32 when every float input is float32 (or smaller),
    else float64, so float32 maps stay float32 and everything else keeps full precision.

    Parameters
    ----------
    *arrays : numpy.ndarray
        The numeric inputs of one computation.

    Returns
    -------
    numpy.dtype
        ``float32`` or ``float64``.
    """
    dt = np.result_type(*(a.dtype for a in arrays))
    return np.dtype(np.float32) if dt in (np.float16, np.float32) else np.dtype(np.float64)


def _bias(bias: object, c_out: int, dtype: np.dtype) -> np.ndarray | None:
    """The checked bias (or None) in the computation's dtype."""
    b = bias_vector(bias, c_out)
    return None if b is None else b.astype(dtype, copy=False)


def _pad(x: np.ndarray, pads: tuple[int, int, int, int], value: float = 0.0) -> np.ndarray:
    t, b, left, right = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (t, b), (left, right)), constant_values=value)


def _windows(
    xp: np.ndarray, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int], out: tuple[int, int]
) -> np.ndarray:
    """View (C, H_out, W_out, kH, kW) of every kernel window of padded ``xp``; no copy."""
    keff = (effective_kernel(k[0], d[0]), effective_kernel(k[1], d[1]))
    v = sliding_window_view(xp, keff, axis=(1, 2))
    return v[:, :: s[0], :: s[1], :: d[0], :: d[1]][:, : out[0], : out[1]]


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """2-D cross-correlation of a multi-channel map, as PyTorch's ``conv2d``.

    Parameters
    ----------
    x : (C_in, H, W) array
    w : (C_out, C_in / groups, kH, kW) array
    bias : (C_out,) array, optional
    stride, dilation : int or (h, w)
    padding : int, (h, w), or "valid" / "same" (stride 1 only) / "full"
    groups : int, >= 1, dividing C_in and C_out
        Filter ``o`` sees only the input channels of its group ``j = o // (C_out / groups)``,
        ``j * C_in/groups .. (j + 1) * C_in/groups - 1``. ``groups = C_in``: depthwise.

    Returns
    -------
    (C_out, H_out, W_out) array with ``H_out = floor((H + 2p - k_eff) / s) + 1``,
    ``k_eff = d (k - 1) + 1``; float32 when the inputs are float32. With ``G = C_in / groups``
    input channels a group, filter ``o`` of group ``q = o // (C_out / groups)`` gives
    ``out[o, r, c] = bias[o] + sum_{g<G, i<kH, j<kW} w[o, g, i, j] xp[qG + g, rs + id, cs + jd]``
    (``xp``: ``x`` zero-padded).
    """
    x, w = array(x, "x", 3), array(w, "w", 4)
    g = _groups(groups, x.shape[0], w.shape[0], "w.shape[0]")
    if w.shape[1] * g != x.shape[0]:
        per = "" if g == 1 else f" per group x {g} groups = {w.shape[1] * g}"
        raise ParameterError(
            "w",
            f"channel mismatch: x has {x.shape[0]} channels, w expects {w.shape[1]}{per} "
            f"(w.shape[1]{' * groups' if g > 1 else ''})",
        )
    k = (w.shape[2], w.shape[3])
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    pads = resolve_padding(padding, k, d, s)
    out_hw = _out_hw(x, k, s, pads, d)
    needs = _padded_values(x, pads) + _conv_values(w.shape[0], x.shape[0] * k[0] * k[1], out_hw)
    _check_budget(needs, _padded_axis(x, pads))
    dtype = float_dtype(x, w)
    b = _bias(bias, w.shape[0], dtype)
    return _conv2d(x.astype(dtype, copy=False), w.astype(dtype, copy=False), b, s, pads, d,
                   out_hw, g)


def _out_hw(x: np.ndarray, k, s, pads, d) -> tuple[int, int]:
    """(H_out, W_out) of a direct op on ``x`` with kernel ``k`` padded by ``pads``."""
    return tuple(  # type: ignore[return-value]
        output_size(x.shape[ax + 1], k[ax], stride=s[ax], padding=pads[2 * ax],
                    padding_after=pads[2 * ax + 1], dilation=d[ax])
        for ax in (0, 1)
    )


def _conv_values(c_out: int, taps: int, out_hw: tuple[int, int]) -> list[tuple[int, str]]:
    """The output and one output row's im2col buffer (``taps = C_in kH kW`` values a pixel)."""
    return [(c_out * out_hw[0] * out_hw[1], "the output"),
            (taps * out_hw[1], "one output row's im2col buffer")]


def _conv2d(x, w, b, s, pads, d, out_hw, groups=1) -> np.ndarray:
    """conv2d on validated arrays: one batched matrix product over the groups per row band
    (im2col), or, depthwise at stride 1, one multiply-add a kernel tap over blocks of channels."""
    c_out, cg_in, kh, kw = w.shape
    c_in = x.shape[0]
    ho, wo = out_hw
    out = np.empty((c_out, ho, wo), dtype=x.dtype)
    # (groups, C_out/groups, taps of one group): each group's filters as one matrix.
    wmat = w.reshape(groups, c_out // groups, cg_in * kh * kw)
    if kh == kw == 1 and s == (1, 1) and not any(pads):
        np.matmul(wmat, x.reshape(groups, cg_in, -1), out=out.reshape(groups, c_out // groups, -1))
    elif cg_in == 1 and c_out == groups > 1 and s == (1, 1):
        _depthwise(_pad(x, pads), w, d, out)
    else:
        win = _windows(_pad(x, pads), (kh, kw), s, d, out_hw)
        win = win.reshape(groups, cg_in, *win.shape[1:])  # splits an axis: still a view
        taps = cg_in * kh * kw
        flat = out.reshape(groups, c_out // groups, ho * wo)
        rows = max(1, min(ho, _BAND_BYTES // (c_in * kh * kw * wo * x.itemsize)))
        buf = np.empty(c_in * kh * kw * rows * wo, dtype=x.dtype)  # one buffer for every band
        for r0 in range(0, ho, rows):  # bands of output rows, not pixels
            n = min(rows, ho - r0)
            cols = buf[: c_in * kh * kw * n * wo].reshape(groups, cg_in, kh, kw, n, wo)
            np.copyto(cols, win[:, :, r0 : r0 + n].transpose(0, 1, 4, 5, 2, 3))
            np.matmul(wmat, cols.reshape(groups, taps, n * wo),
                      out=flat[:, :, r0 * wo : (r0 + n) * wo])
    if b is not None:
        out += b[:, None, None]
    return out


def _depthwise(xp: np.ndarray, w: np.ndarray, d, out: np.ndarray) -> None:
    """Depthwise at stride 1, one filter a channel: ``out[c] = sum_ij w[c, 0, i, j] xp[c, ...]``.

    Each of the k*k kernel taps multiplies a shifted view of the padded input by one weight a
    channel and adds it in: no im2col copy, which here would be k*k times the input for a
    matrix product of a single row per channel (1.4x slower at 256x112x112). Blocks of
    channels keep the accumulator in cache (about 2x faster than whole-map passes). With a
    stride or several filters a channel, the batched im2col of :func:`_conv2d` is faster.
    """
    c, _, kh, kw = w.shape
    ho, wo = out.shape[1:]
    block = max(1, min(c, _DEPTHWISE_BLOCK_BYTES // (ho * wo * out.itemsize)))
    tmp = np.empty((block, ho, wo), dtype=out.dtype)
    for c0 in range(0, c, block):  # blocks of channels, then kernel taps: never pixels
        acc, t = out[c0 : c0 + block], tmp[: min(block, c - c0)]
        for i in range(kh):
            for j in range(kw):
                src = xp[c0 : c0 + block, i * d[0] : i * d[0] + ho, j * d[1] : j * d[1] + wo]
                wt = w[c0 : c0 + block, 0, i, j, None, None]
                if i == j == 0:
                    np.multiply(src, wt, out=acc)
                else:
                    np.multiply(src, wt, out=t)
                    acc += t


def _matmul_channels(wm: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(C_out, C_in) @ (C_in, H, W) -> (C_out, H, W) as a single matrix product."""
    c, h, wd = x.shape
    return (wm @ x.reshape(c, h * wd)).reshape(wm.shape[0], h, wd)


def conv_transpose2d(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> np.ndarray:
    """Transposed convolution, as PyTorch's ``conv_transpose2d``.

    Computed, as the guide draws it, as a direct convolution with stride 1 over ``x`` with
    ``s - 1`` zeros inserted between units, padded by ``k_eff - 1 - p`` (plus
    ``output_padding`` at the bottom/right), with the kernel flipped and its channel axes swapped
    (within each group).

    Parameters
    ----------
    x : (C_in, H, W) array
    w : (C_in, C_out / groups, kH, kW) array
    bias : (C_out,) array, optional
    groups : int, >= 1, dividing C_in and C_out
        Input block j (``C_in / groups`` channels) feeds output block j only: the adjoint of
        ``conv2d`` with the same ``groups``.

    Returns
    -------
    (C_out, H_out, W_out) with ``H_out = (H - 1) s - 2p + k_eff + output_padding``.
    """
    x, w = array(x, "x", 3), array(w, "w", 4)
    if w.shape[0] != x.shape[0]:
        raise ParameterError(
            "w",
            f"channel mismatch: x has {x.shape[0]} channels, w expects {w.shape[0]} (w.shape[0])",
        )
    g = _groups(groups, x.shape[0], None)  # C_out = w.shape[1] * groups: always a multiple
    c_out = w.shape[1] * g
    k = (w.shape[2], w.shape[3])
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    p, a = pair(padding, "padding"), pair(output_padding, "output_padding")
    out_hw = tuple(
        transposed_output_size(x.shape[ax + 1], k[ax], stride=s[ax], padding=p[ax],
                               output_padding=a[ax], dilation=d[ax])
        for ax in (0, 1)
    )
    dtype = float_dtype(x, w)
    b = _bias(bias, c_out, dtype)
    # The guide's grid: input unit r at row q + r*s, q = k_eff - 1 - p, a extra rows at the
    # bottom. PyTorch also allows p > k_eff - 1; q < 0 then crops units off the grid's edges.
    keff = [effective_kernel(k[ax], d[ax]) for ax in (0, 1)]
    side = [out_hw[ax] + keff[ax] - 1 for ax in (0, 1)]
    long = 0 if side[0] >= side[1] else 1
    zeros = (x.shape[long + 1] - 1) * (s[long] - 1)  # inserted between the input's cells
    _check_budget(
        [(x.shape[0] * side[0] * side[1], "the zero-inserted input grid"),
         *_conv_values(c_out, w.shape[0] * k[0] * k[1], out_hw)],
        {"x": x.shape[long + 1], "stride": zeros,
         "dilation" if d[long] > 1 else "w": side[long] - x.shape[long + 1] - zeros},
    )
    q = [keff[ax] - 1 - p[ax] for ax in (0, 1)]
    grid = np.zeros((x.shape[0], side[0], side[1]), dtype=dtype)
    first = [max(0, -(q[ax] // s[ax])) for ax in (0, 1)]
    last = [min(x.shape[ax + 1] - 1, (grid.shape[ax + 1] - 1 - q[ax]) // s[ax]) for ax in (0, 1)]
    if last[0] >= first[0] and last[1] >= first[1]:
        rows = slice(q[0] + s[0] * first[0], q[0] + s[0] * last[0] + 1, s[0])
        cols = slice(q[1] + s[1] * first[1], q[1] + s[1] * last[1] + 1, s[1])
        grid[:, rows, cols] = x[:, first[0] : last[0] + 1, first[1] : last[1] + 1]
    # Per group, (C_in/g, C_out/g) weights become (C_out/g, C_in/g): the direct conv's layout.
    cg_in, cg_out = x.shape[0] // g, w.shape[1]
    wg = w[:, :, ::-1, ::-1].reshape(g, cg_in, cg_out, *k).transpose(0, 2, 1, 3, 4)
    wf = np.ascontiguousarray(wg.reshape(c_out, cg_in, *k), dtype=dtype)
    return _conv2d(grid, wf, b, (1, 1), (0, 0, 0, 0), d, out_hw, g)


def _pool_args(x, kernel_size, stride, padding, dilation):
    x = array(x, "x", 3)
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    d = pair(dilation, "dilation")
    pads = resolve_padding(padding, k, d, s)
    check_pool_padding(pads, k)
    out_hw = _out_hw(x, k, s, pads, d)
    if k[0] * k[1] > MAX_POOL_TAPS:
        raise ParameterError(
            "kernel_size",
            f"kernel_size {k[0]}x{k[1]} has {k[0] * k[1]:,} taps, more than the "
            f"{MAX_POOL_TAPS:,} pooling allows",
        )
    needs = _padded_values(x, pads) + [(x.shape[0] * out_hw[0] * out_hw[1], "the output")]
    _check_budget(needs, _padded_axis(x, pads))
    return x, k, s, d, pads, out_hw


def max_pool2d(
    x: np.ndarray,
    kernel_size: int | tuple[int, int],
    *,
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
) -> np.ndarray:
    """Max pooling of (C, H, W), as PyTorch's ``max_pool2d`` (padding never wins the max).

    ``stride`` defaults to ``kernel_size``; padding is at most half the kernel. Output
    (C, H_out, W_out) with the convolution's size formula.
    """
    x, k, s, d, pads, out_hw = _pool_args(x, kernel_size, stride, padding, dilation)
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min if x.dtype.kind in "iu" else 0
    win = _windows(_pad(x, pads, fill), k, s, d, out_hw)
    return _reduce_windows(win, np.max, x.dtype)


def avg_pool2d(
    x: np.ndarray,
    kernel_size: int | tuple[int, int],
    *,
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """Average pooling of (C, H, W), as PyTorch's ``avg_pool2d`` (padded zeros are counted).

    ``stride`` defaults to ``kernel_size``. Output (C, H_out, W_out), float.
    """
    x, k, s, d, pads, out_hw = _pool_args(x, kernel_size, stride, padding, 1)
    dtype = float_dtype(x)
    win = _windows(_pad(x.astype(dtype, copy=False), pads), k, s, d, out_hw)
    return _reduce_windows(win, np.mean, dtype)


def _reduce_windows(win: np.ndarray, fn, dtype) -> np.ndarray:
    """fn over each window; taps are reduced one at a time to avoid a strided-view copy."""
    kh, kw = win.shape[-2:]
    if fn is np.max:
        acc = win[..., 0, 0].copy()
        for i in range(kh):  # loops over kernel taps, never over pixels
            for j in range(kw):
                np.maximum(acc, win[..., i, j], out=acc)
        return acc.astype(dtype, copy=False)
    acc = np.zeros(win.shape[:3], dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            acc += win[..., i, j]
    acc /= kh * kw
    return acc


def pointwise(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """The 1x1 convolution: one linear map of each pixel's channel vector.

    Parameters
    ----------
    x : (C_in, H, W) array
    w : (C_out, C_in) array
    bias : (C_out,) array, optional

    Returns
    -------
    (C_out, H, W): ``out[:, i, j] = w @ x[:, i, j] + bias``.
    """
    x, w = array(x, "x", 3), array(w, "w", 2)
    if w.shape[1] != x.shape[0]:
        raise ParameterError(
            "w",
            f"channel mismatch: x has {x.shape[0]} channels, w expects {w.shape[1]} (w.shape[1])",
        )
    dtype = float_dtype(x, w)
    b = _bias(bias, w.shape[0], dtype)
    out = _matmul_channels(w.astype(dtype, copy=False), x.astype(dtype, copy=False))
    if b is not None:
        out += b[:, None, None]
    return out


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` elementwise."""
    return np.maximum(numeric(x, "x"), 0)


__all__ = [
    "avg_pool2d",
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
    "pointwise",
    "relu",
]
