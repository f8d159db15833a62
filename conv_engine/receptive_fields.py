"""Receptive fields: which input pixels feed a cell after a stack of layers, and how much of
the input a 1x1 convolution with a stride or a max pool lets through.

Fields are one-dimensional per axis (layers have square kernels) and use the convention that
input pixel centres sit at integer coordinates ``0 .. N-1``. :func:`receptive_field` gives
the closed-form size, jump and start of every layer; :func:`input_mask`,
:func:`input_region` and :func:`data_kept` follow the pixels themselves, one mask per axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .arithmetic import output_size
from .checks import ParameterError, at_least, integer, pair
from .layers import Conv, Dense, Pool
from .limits import MAX_RECEPTIVE_FIELD, MAX_TRACED_SIDE

# A layer of a receptive-field stack: a Conv or a Pool, or the shorthand of a convolution's
# geometry, an int kernel or a (kernel, stride, padding, dilation) tuple (1 to 4 entries).
LayerLike = Conv | Pool | int | tuple[int, ...] | list[int]
SpatialLayer = Conv | Pool


def _layers(layers: Sequence[LayerLike]) -> list[SpatialLayer]:
    """Conv and Pool layers from layers or shorthands (``k`` or ``(k, s, p, d)``).

    A shorthand is a convolution of that geometry, ``Conv(1, k, s, p, d)``: its channel count
    does not change a receptive field. A Dense layer has no window to follow (it sees its
    whole input) and is refused.
    """
    if isinstance(layers, str | bytes) or not isinstance(layers, Sequence) or not layers:
        raise ParameterError(
            "layers", f"layers must be a non-empty sequence of layers, got {layers!r}"
        )
    out: list[SpatialLayer] = []
    for i, spec in enumerate(layers):
        if isinstance(spec, Conv | Pool):
            out.append(spec)
            continue
        if isinstance(spec, Dense):
            raise ParameterError(
                "layers",
                f"layers[{i}] is a Dense layer: it sees its whole input, so it has no "
                "receptive-field geometry to follow (use a Conv covering the input instead)"
            )
        if isinstance(spec, tuple | list):
            if not 1 <= len(spec) <= 4:
                raise ParameterError(
                    "layers",
                    f"layers[{i}] must be (kernel, stride, padding, dilation), got {spec!r}",
                )
            args = tuple(spec)
        else:
            args = (spec,)
        try:
            out.append(Conv(1, *args))
        except ValueError as e:
            raise ParameterError("layers", f"layers[{i}]: {e}") from None
    return out


def _lengths(layers: list[SpatialLayer], n: int, name: str) -> list[int]:
    """Map length before the first layer and after each layer along one axis."""
    lens = [n]
    for i, lay in enumerate(layers):
        try:
            lens.append(output_size(lens[-1], lay.kernel, stride=lay.stride, padding=lay.padding,
                                    dilation=lay.dilation))
        except ValueError as e:
            raise ParameterError("layers", f"layers[{i}] on {name} {n}: {e}") from None
    return lens


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of the cells after one layer, in input pixel coordinates.

    Output cell ``n`` of this layer is centred at input coordinate ``c = start + n * jump``
    and its field spans the ``size`` pixels from ``c - (size - 1) / 2`` to ``c + (size - 1) / 2``
    (every one of them feeds it unless dilation, or a stride larger than a kernel, leaves
    holes). ``layer`` is the Conv or Pool (a shorthand becomes ``Conv(1, k, s, p, d)``);
    ``out_size`` is the (h, w) of this layer's output when an input size was given.
    """

    layer: SpatialLayer
    size: int
    jump: int
    start: float
    out_size: tuple[int, int] | None = field(default=None)


def receptive_field(
    layers: Sequence[LayerLike], input_size: int | tuple[int, int] | None = None
) -> list[ReceptiveField]:
    """Receptive field size, jump and start after each layer of a stack.

    With input pixel centres at integer coordinates (``size_0 = 1``, ``jump_0 = 1``,
    ``start_0 = 0``), layer ``l`` with kernel ``k``, stride ``s``, padding ``p`` and
    dilation ``d`` (``k_eff = d (k - 1) + 1``) gives::

        jump_l  = jump_{l-1} * s
        size_l  = size_{l-1} + (k_eff - 1) * jump_{l-1}
        start_l = start_{l-1} + ((k_eff - 1) / 2 - p) * jump_{l-1}

    Parameters
    ----------
    layers : sequence of Conv, Pool, int (a kernel) or (kernel, stride, padding, dilation)
        The shorthands are convolutions of that geometry; a pool's dilation is 1. Channel
        counts and groups do not change a receptive field.
    input_size : int or (h, w), optional
        When given, each row also carries its output size and layers that do not fit raise.

    Returns
    -------
    list of ReceptiveField
        One row per layer, in order; ``start`` is a float (a half for even ``k_eff``).
        Sizes and starts past ``MAX_RECEPTIVE_FIELD`` (2**52, where a float start stops
        being exact) are refused, naming ``layers``.
    """
    stack = _layers(layers)
    sizes: list[tuple[int, int] | None] = [None] * len(stack)
    if input_size is not None:
        h, w = pair(input_size, "input_size", lo=1)
        lh, lw = _lengths(stack, h, "height"), _lengths(stack, w, "width")
        sizes = list(zip(lh[1:], lw[1:], strict=True))
    rows = []
    size, jump, start = 1, 1, 0.0
    twice_start = 0  # 2 * start, exact: checked before the float can lose it or overflow
    for i, (lay, out) in enumerate(zip(stack, sizes, strict=True)):
        size += (lay.k_eff - 1) * jump
        twice_start += (lay.k_eff - 1 - 2 * lay.padding) * jump
        if max(size, abs(twice_start) // 2) > MAX_RECEPTIVE_FIELD:
            raise ParameterError(
                "layers",
                f"layers[{i}] takes the receptive field's size or start past "
                f"{MAX_RECEPTIVE_FIELD:,} pixels; use smaller kernels, strides, paddings or "
                "dilations",
            )
        start += ((lay.k_eff - 1) / 2 - lay.padding) * jump
        jump *= lay.stride
        rows.append(ReceptiveField(lay, size, jump, start, out))
    return rows


def _axis_span(layers: list[SpatialLayer], n: int) -> tuple[int, int]:
    """Unclipped input range [lo, hi) feeding output index ``n``: integer back-propagation."""
    lo, hi = n, n
    for lay in reversed(layers):
        # A window of outputs [lo, hi] reads inputs lo*s - p .. hi*s - p + k_eff - 1.
        lo, hi = lo * lay.stride - lay.padding, hi * lay.stride - lay.padding + lay.k_eff - 1
    return lo, hi + 1


def _axis_mask(layers: list[SpatialLayer], lens: list[int], out_mask: np.ndarray) -> np.ndarray:
    """Boolean (lens[0],) mask of the input positions that feed any True output position."""
    mask = out_mask
    for lay, n_in in zip(reversed(layers), reversed(lens[:-1]), strict=True):
        idx = np.flatnonzero(mask)
        taps = idx[:, None] * lay.stride - lay.padding + lay.dilation * np.arange(lay.kernel)
        taps = taps[(taps >= 0) & (taps < n_in)]  # taps outside are padding: they feed nothing
        mask = np.zeros(n_in, dtype=bool)
        mask[taps] = True
    return mask


def _check_traceable(layers: list[SpatialLayer], lens: list[int], name: str,
                     param: str) -> None:
    """ParameterError when an axis, padding included, is longer than the masks follow: it
    names ``layers`` when a layer's padding is most of the length, else ``param``, the
    argument that gave the axis its length."""
    for lay, n in zip(layers, lens, strict=False):
        if n + 2 * lay.padding > MAX_TRACED_SIDE:
            raise ParameterError(
                "layers" if 2 * lay.padding > n else param,
                f"{name} {n} with padding {lay.padding} is too long to follow pixel by pixel "
                f"(at most {MAX_TRACED_SIDE:,} including padding)",
            )


def _cell_masks(layers, out_row, out_col, input_size):
    """Validated layers, row and column masks of the input pixels feeding one output cell."""
    stack = _layers(layers)
    h, w = pair(input_size, "input_size", lo=1)
    lh, lw = _lengths(stack, h, "height"), _lengths(stack, w, "width")
    _check_traceable(stack, lh, "height", "input_size")
    _check_traceable(stack, lw, "width", "input_size")
    masks = []
    for v, name, lens in ((out_row, "out_row", lh), (out_col, "out_col", lw)):
        n = integer(v, name)
        if not 0 <= n < lens[-1]:
            raise ParameterError(
                name, f"{name} must be in 0..{lens[-1] - 1} (the output size), got {n}"
            )
        one = np.zeros(lens[-1], dtype=bool)
        one[n] = True
        masks.append(_axis_mask(stack, lens, one))
    return stack, masks


def input_mask(
    layers: Sequence[LayerLike], out_row: int, out_col: int, input_size: int | tuple[int, int]
) -> np.ndarray:
    """Which input pixels feed output cell (out_row, out_col) of the last layer.

    Parameters
    ----------
    layers : as in :func:`receptive_field`
    out_row, out_col : int
        A cell of the last layer's output.
    input_size : int or (h, w)
        Each side, with any layer's padding, at most ``MAX_TRACED_SIDE`` (4096).

    Returns
    -------
    (h, w) bool array
        True where a change of the input pixel can change the cell (for generic weights).
        Separable: the outer product of a row mask and a column mask; dilation and strides
        larger than kernels leave holes, padding leaves the parts outside the image out.
    """
    _, (rows, cols) = _cell_masks(layers, out_row, out_col, input_size)
    return rows[:, None] & cols[None, :]


def input_region(
    layers: Sequence[LayerLike],
    out_row: int,
    out_col: int,
    input_size: int | tuple[int, int],
    *,
    clip: bool = True,
) -> tuple[int, int, int, int]:
    """Input rectangle feeding output cell (out_row, out_col) of the last layer.

    Parameters
    ----------
    layers, out_row, out_col, input_size : as in :func:`input_mask`
    clip : bool
        True: the bounding box of the input pixels that feed the cell (:func:`input_mask`),
        empty (``r0 == r1`` or ``c0 == c1``) when only padding does. False: the whole
        receptive field, ``size`` pixels a side, which may reach past the image.

    Returns
    -------
    (r0, r1, c0, c1)
        Half-open, so ``x[:, r0:r1, c0:c1]`` is the region;
        unclipped ``r0 = out_row * jump + start - (size - 1) / 2`` and ``r1 - r0 = size``.
    """
    stack, masks = _cell_masks(layers, out_row, out_col, input_size)
    if not clip:
        return (*_axis_span(stack, int(out_row)), *_axis_span(stack, int(out_col)))
    out: list[int] = []
    for m, n in zip(masks, (out_row, out_col), strict=True):
        idx = np.flatnonzero(m)
        if idx.size:
            out += [int(idx[0]), int(idx[-1]) + 1]
        else:
            lo, hi = _axis_span(stack, int(n))
            edge = min(max(lo, 0), m.size)  # the image edge the cell's padding-only field is on
            out += [edge, edge]
    return (out[0], out[1], out[2], out[3])


# ---------------------------------------------------------------------------------------------
# 1x1 with strides or max pooling: how much data each keeps, and which pixels reach the output


@dataclass(frozen=True)
class DataKept:
    """Tensor sizes through a 1x1 convolution to ``k`` channels and a spatial reduction.

    ``in_shape`` (C, H, W) -> ``reduced_shape`` after the 1x1 (with its stride) ->
    ``out_shape`` after the max pool. ``pixels_seen`` counts input positions that reach the
    output at all: a strided 1x1 skips the others, a max pool looks at every one it covers.
    """

    in_shape: tuple[int, int, int]
    reduced_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    pixels_seen: int

    @property
    def in_values(self) -> int:
        """``C * H * W``."""
        return int(np.prod(self.in_shape))

    @property
    def reduced_values(self) -> int:
        """Values after the 1x1 convolution."""
        return int(np.prod(self.reduced_shape))

    @property
    def out_values(self) -> int:
        """Values after the pooling."""
        return int(np.prod(self.out_shape))

    @property
    def fraction_kept(self) -> float:
        """``out_values / in_values``."""
        return self.out_values / self.in_values

    @property
    def fraction_seen(self) -> float:
        """Share of the ``H * W`` input positions that influence the output."""
        return self.pixels_seen / (self.in_shape[1] * self.in_shape[2])


def data_kept(
    channels: int, height: int, width: int, k: int, *, stride: int = 1, pool: int = 1
) -> DataKept:
    """How much data a 1x1 convolution to ``k`` channels with ``stride``, then a max pool, keeps.

    The 1x1 gives ``(k, ceil(H / s), ceil(W / s))`` (``floor((H - 1) / s) + 1``); the
    ``pool x pool`` max pool with stride ``pool`` then gives ``floor(H' / pool)`` (PyTorch's
    floor mode). ``pool = 1`` means no pooling.

    Parameters
    ----------
    channels, height, width : int, >= 1
        The input map (C, H, W); H and W at most ``MAX_TRACED_SIDE`` (4096).
    k : int, >= 1
        Output channels of the 1x1 convolution.
    stride, pool : int, >= 1

    Returns
    -------
    DataKept
        Shapes, value counts, ``fraction_kept`` and the input positions seen.
    """
    c = at_least(channels, 1, "channels")
    h, w = at_least(height, 1, "height"), at_least(width, 1, "width")
    kk = at_least(k, 1, "k")
    s, p = at_least(stride, 1, "stride"), at_least(pool, 1, "pool")
    for n, name in ((h, "height"), (w, "width")):
        if p > (n - 1) // s + 1:
            raise ParameterError(
                "pool",
                f"pool must be at most the strided {name} ceil({n}/{s}) = {(n - 1) // s + 1}, "
                f"got {p}",
            )
    stack = [Conv(kk, 1, s), Pool(p)]
    lh, lw = _lengths(stack, h, "height"), _lengths(stack, w, "width")
    _check_traceable(stack, lh, "height", "height")
    _check_traceable(stack, lw, "width", "width")
    seen = [
        int(_axis_mask(stack, lens, np.ones(lens[-1], dtype=bool)).sum()) for lens in (lh, lw)
    ]
    return DataKept((c, h, w), (kk, lh[1], lw[1]), (kk, lh[2], lw[2]), seen[0] * seen[1])


__all__ = [
    "DataKept",
    "ReceptiveField",
    "data_kept",
    "input_mask",
    "input_region",
    "receptive_field",
]
