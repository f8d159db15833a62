"""Convolution arithmetic: sizes, padding rules, the ConvSpec and the one geometry function.

Everything that knows how stride, padding and dilation move a window lives here; the ops,
the step traces, the renderer and the UI all ask this module rather than re-deriving it.
Bad sizes raise :class:`~conv_engine.checks.ParameterError`; the animation limits are in
:mod:`conv_engine.limits`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import ParameterError, at_least, flag, integer, one_of, pair, require
from .limits import MAX_GRID_CELLS, MAX_KERNEL_TAPS, MAX_STEPS

Pair = tuple[int, int]
Pads = tuple[int, int, int, int]  # top, bottom, left, right

PADDING_MODES = ("valid", "same", "full")
OPS = ("conv", "max", "avg")


def effective_kernel(k: int, dilation: int = 1) -> int:
    """Extent of a dilated kernel: ``k_eff = d (k - 1) + 1``."""
    k, dilation = integer(k, "kernel_size"), integer(dilation, "dilation")
    if k < 1 or dilation < 1:
        raise ParameterError("kernel_size" if k < 1 else "dilation",
                             f"kernel_size and dilation must be >= 1, got {k} and {dilation}")
    return dilation * (k - 1) + 1


def output_size(i: int, k: int, *, stride: int = 1, padding: int = 0, dilation: int = 1,
                padding_after: int | None = None) -> int:
    """Output length of a direct convolution (or pooling) along one axis.

    ``o = floor((i + 2p - k_eff) / s) + 1`` with ``k_eff = d (k - 1) + 1``.

    Parameters
    ----------
    i, k : int, >= 1
        Input length and kernel size.
    stride, dilation : int, >= 1
    padding : int, >= 0
        Zeros before the input (and after it, unless ``padding_after`` is given).
    padding_after : int, >= 0, optional
        Zeros after the input when they differ, as "same" padding of an even kernel has:
        ``o = floor((i + padding + padding_after - k_eff) / s) + 1``.

    Returns
    -------
    int, >= 1
        ParameterError when the dilated kernel is larger than the padded input.
    """
    i, k = integer(i, "input_size"), integer(k, "kernel_size")
    s, p, d = integer(stride, "stride"), integer(padding, "padding"), integer(dilation, "dilation")
    after = p if padding_after is None else integer(padding_after, "padding")
    return _direct_len(i, k, s, p, after, d)


def transposed_output_size(
    i: int, k: int, *, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution along one axis (PyTorch semantics).

    ``o = (i - 1) s - 2p + k_eff + output_padding``.
    """
    i, k = integer(i, "input_size"), integer(k, "kernel_size")
    s, p, d = integer(stride, "stride"), integer(padding, "padding"), integer(dilation, "dilation")
    a = integer(output_padding, "output_padding")
    return _transposed_len(i, k, s, p, a, d)


def _check_basic(i: int, k: int, s: int, d: int) -> None:
    """The rules shared by every axis of every op."""
    for v, name in ((i, "input_size"), (k, "kernel_size"), (s, "stride"), (d, "dilation")):
        at_least(v, 1, name)


def _direct_len(i: int, k: int, s: int, before: int, after: int, d: int) -> int:
    """Output length of a direct op over one axis padded by ``before``/``after``."""
    _check_basic(i, k, s, d)
    at_least(min(before, after), 0, "padding")
    k_eff = effective_kernel(k, d)
    padded = i + before + after
    if k_eff > padded:
        what = f"kernel_size {k}" + (f" with dilation {d} (extent {k_eff})" if d > 1 else "")
        raise ParameterError("kernel_size", f"{what} is larger than the padded input ({padded})")
    return (padded - k_eff) // s + 1


def _transposed_len(i: int, k: int, s: int, p: int, a: int, d: int) -> int:
    """Output length of a transposed convolution over one axis."""
    _check_basic(i, k, s, d)
    k_eff = effective_kernel(k, d)
    at_least(p, 0, "padding")
    if a < 0 or a >= max(s, d):
        raise ParameterError(
            "output_padding",
            f"output_padding must be >= 0 and smaller than stride or dilation "
            f"(< {max(s, d)}), got {a}",
        )
    o = (i - 1) * s - 2 * p + k_eff + a
    if o < 1:
        raise ParameterError(
            "padding",
            f"padding {p} crops the whole output of the transposed convolution: "
            f"(i-1)·s - 2p + k_eff + a = ({i}-1)·{s} - 2·{p} + {k_eff} + {a} = {o} < 1",
        )
    return o


def _check_drawable_transposed(k: int, p: int, d: int) -> None:
    """The guide's drawing pads the zero-inserted input by ``k_eff - 1 - p``: it must be >= 0."""
    k_eff = effective_kernel(k, d)
    if p > k_eff - 1:
        raise ParameterError(
            "padding",
            f"padding must be <= dilation*(kernel_size-1) = {k_eff - 1} to draw a transposed "
            f"convolution, got {p}",
        )


def check_pool_padding(pads: Pads, kernel_size: Pair) -> None:
    """Refuse pooling padding over half the kernel on any side (PyTorch's rule: past it a
    window could cover padding alone).

    Parameters
    ----------
    pads : (top, bottom, left, right)
    kernel_size : (kh, kw)

    Raises
    ------
    ParameterError
        Naming ``padding``: "padding must be at most half the pooling kernel (1), got 2".
    """
    t, b, left, right = pads
    for p, k in ((max(t, b), kernel_size[0]), (max(left, right), kernel_size[1])):
        if p > k // 2:
            raise ParameterError(
                "padding", f"padding must be at most half the pooling kernel ({k // 2}), got {p}"
            )


def resolve_padding(
    padding: int | tuple[int, int] | str, kernel_size: Pair, dilation: Pair, stride: Pair = (1, 1)
) -> Pads:
    """(top, bottom, left, right) padding for an int, an (h, w) pair or a mode name.

    "valid" is no padding; "same" keeps the size at stride 1, an odd total going to the
    bottom/right as PyTorch does; "full" pads ``k_eff - 1`` on each side.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in PADDING_MODES:
            raise ParameterError(
                "padding",
                f"padding must be an int, an (h, w) pair or one of {PADDING_MODES}, "
                f"got {padding!r}",
            )
        k_eff = [effective_kernel(k, d) for k, d in zip(kernel_size, dilation, strict=True)]
        if mode == "valid":
            return (0, 0, 0, 0)
        if mode == "full":
            return (k_eff[0] - 1, k_eff[0] - 1, k_eff[1] - 1, k_eff[1] - 1)
        if stride != (1, 1):
            raise ParameterError("padding", f"padding='same' needs stride 1, got stride {stride}")
        th, tw = k_eff[0] - 1, k_eff[1] - 1
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = pair(padding, "padding", lo=0)
    return (ph, ph, pw, pw)


@dataclass(frozen=True)
class ConvSpec:
    """One animated case: a convolution, transposed convolution or pooling on one channel.

    Sizes are (h, w); an int means a square. For ``transposed=True`` the fields are those of
    PyTorch's ``ConvTranspose2d``: ``input_size`` is the small map that gets upsampled and
    ``padding`` is the padding of the direct convolution it transposes. ``data`` and
    ``kernel_data`` optionally carry fixed values (nested tuples, so a spec stays hashable).
    """

    input_size: Pair | int = 5
    kernel_size: Pair | int = 3
    stride: Pair | int = 1
    padding: Pair | int | str = 0
    dilation: Pair | int = 1
    transposed: bool = False
    output_padding: Pair | int = 0
    op: str = "conv"
    numerical: bool = False
    data: tuple[tuple[float, ...], ...] | None = None
    kernel_data: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        norm = {
            "input_size": pair(self.input_size, "input_size", lo=1),
            "kernel_size": pair(self.kernel_size, "kernel_size", lo=1),
            "stride": pair(self.stride, "stride", lo=1),
            "dilation": pair(self.dilation, "dilation", lo=1),
            "output_padding": pair(self.output_padding, "output_padding", lo=0),
        }
        padding = self.padding
        if isinstance(padding, str):
            padding = padding.lower()
        else:
            padding = pair(padding, "padding", lo=0)
        norm["padding"] = padding
        for name, value in norm.items():
            object.__setattr__(self, name, value)
        for name in ("transposed", "numerical"):  # "no" or 2 must not pass as True
            object.__setattr__(self, name, flag(getattr(self, name), name))
        one_of(self.op, OPS, "op")
        if self.op != "conv":
            self._check_pooling()
        if self.transposed and isinstance(self.padding, str):
            raise ParameterError(
                "padding", "padding of a transposed convolution must be a number, not a mode"
            )
        if self.transposed:
            for k, p, d in zip(self.kernel_size, self.padding, self.dilation, strict=True):
                _check_drawable_transposed(k, p, d)
        if not self.transposed and self.output_padding != (0, 0):
            raise ParameterError(
                "output_padding", "output_padding applies only to a transposed convolution"
            )
        for name, arr in (("data", self.data), ("kernel_data", self.kernel_data)):
            if arr is not None:
                object.__setattr__(self, name, _as_tuple_grid(arr, name))
        if self.data is not None and np.shape(self.data) != self.input_size:
            raise ParameterError(
                "data", f"data has shape {np.shape(self.data)}, input_size is {self.input_size}"
            )
        if self.kernel_data is not None and np.shape(self.kernel_data) != self.kernel_size:
            raise ParameterError(
                "kernel_data",
                f"kernel_data has shape {np.shape(self.kernel_data)}, "
                f"kernel_size is {self.kernel_size}",
            )
        self.output_shape  # noqa: B018 - validates every size rule once, at construction

    def _check_pooling(self) -> None:
        if self.transposed:
            raise ParameterError("op", f"op {self.op!r} cannot be transposed; only 'conv' can")
        if self.op == "avg" and self.dilation != (1, 1):
            raise ParameterError("dilation", "dilation must be 1 for average pooling")
        check_pool_padding(self.pads, self.kernel_size)

    @property
    def pads(self) -> Pads:
        """(top, bottom, left, right) padding of the direct op (for transposed: ``p`` each side)."""
        if self.transposed:
            ph, pw = self.padding
            return (ph, ph, pw, pw)
        return resolve_padding(self.padding, self.kernel_size, self.dilation, self.stride)

    @property
    def output_shape(self) -> Pair:
        """(h, w) of the op's output."""
        if self.transposed:
            return tuple(  # type: ignore[return-value]
                _transposed_len(i, k, s, p, a, d)
                for i, k, s, p, a, d in zip(
                    self.input_size, self.kernel_size, self.stride, self.padding,
                    self.output_padding, self.dilation, strict=True,
                )
            )
        t, b, left, right = self.pads
        return (
            _direct_len(self.input_size[0], self.kernel_size[0], self.stride[0], t, b,
                        self.dilation[0]),
            _direct_len(self.input_size[1], self.kernel_size[1], self.stride[1], left, right,
                        self.dilation[1]),
        )

    @property
    def output_size(self) -> Pair:
        """Alias of :attr:`output_shape`: the (h, w) output size."""
        return self.output_shape

    @property
    def steps(self) -> int:
        """Number of animation frames: one per output cell."""
        h, w = self.output_shape
        return h * w

    def check_animatable(self) -> None:
        """Raise ParameterError when the case has too many steps, grid cells or taps to animate.

        Too many steps is the whole case's doing (named ``"spec"``); a grid too large names
        what makes up most of it (see :func:`_check_grid`), too many taps ``kernel_size``.
        """
        if self.steps > MAX_STEPS:
            h, w = self.output_shape
            raise ParameterError(
                "spec",
                f"output of {h}x{w} = {self.steps:,} cells is too large to animate "
                f"(at most {MAX_STEPS:,} steps); use smaller sizes",
            )
        _check_grid(self)
        kh, kw = self.kernel_size
        if kh * kw > MAX_KERNEL_TAPS:
            raise ParameterError(
                "kernel_size",
                f"kernel of {kh}x{kw} = {kh * kw:,} taps is too large to animate "
                f"(at most {MAX_KERNEL_TAPS:,}); use a smaller kernel_size",
            )


def _as_tuple_grid(arr: object, name: str) -> tuple[tuple[float, ...], ...]:
    """A 2-D numeric array as nested tuples (hashable)."""
    a = np.asarray(arr)
    if a.ndim != 2 or a.dtype.kind not in "biuf":
        raise ParameterError(
            name, f"{name} must be a 2-D numeric array, got shape {a.shape}, dtype {a.dtype}"
        )
    return tuple(tuple(float(v) for v in row) for row in a.tolist())


# ---------------------------------------------------------------------------------------------
# Geometry: the drawn grid and the window of one output cell. The animation, the scrubber,
# the captions and the numbers all come from here.


@dataclass(frozen=True)
class GridLayout:
    """The grid the kernel slides over, as drawn.

    For a direct op it is the input with its padding; for a transposed convolution it is the
    input with ``s - 1`` zeros inserted between units, padded by ``p' = k_eff - 1 - p`` on
    each side plus ``output_padding`` extra zeros at the bottom/right, as in the guide.
    ``rows``/``cols``: the grid coordinate of each input row/column. The kernel then moves
    over the grid with ``step`` and ``dilation``.
    """

    shape: Pair
    rows: np.ndarray
    cols: np.ndarray
    step: Pair
    dilation: Pair
    kernel_size: Pair

    def kind(self) -> np.ndarray:
        """(H_g, W_g) array: 1 where an input unit sits, 0 for padding and inserted zeros."""
        k = np.zeros(self.shape, dtype=np.uint8)
        k[np.ix_(self.rows, self.cols)] = 1
        return k

    def input_index(self, gr: int, gc: int) -> tuple[int, int] | None:
        """The input (row, col) drawn at grid cell (gr, gc), or None for padding/zeros."""
        r = np.flatnonzero(self.rows == gr)
        c = np.flatnonzero(self.cols == gc)
        return (int(r[0]), int(c[0])) if r.size and c.size else None

    def embed(self, x: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """``x`` (H, W) placed on the grid, other cells ``fill``."""
        g = np.full(self.shape, fill, dtype=np.result_type(x.dtype, np.float64))
        g[np.ix_(self.rows, self.cols)] = x
        return g


def _grid_plan(spec: ConvSpec) -> tuple[Pair, Pair, Pair]:
    """(shape, (top, left), (row step, column step)) of the drawn grid: its size, where input
    unit (0, 0) sits and how far apart the units are; computed without building anything."""
    if spec.transposed:  # the guide's zero insertion: q = k_eff - 1 - p cells before unit 0
        q = tuple(effective_kernel(k, d) - 1 - p
                  for k, d, p in zip(spec.kernel_size, spec.dilation, spec.padding, strict=True))
        shape = tuple((i - 1) * st + 1 + 2 * qq + a for i, st, qq, a in zip(
            spec.input_size, spec.stride, q, spec.output_padding, strict=True))
        return shape, q, spec.stride
    (ih, iw), (t, b, left, right) = spec.input_size, spec.pads
    return (ih + t + b, iw + left + right), (t, left), (1, 1)


def _check_grid(spec: ConvSpec) -> None:
    """ParameterError when the drawn grid has more than MAX_GRID_CELLS cells."""
    h, w = _grid_plan(spec)[0]
    if h * w > MAX_GRID_CELLS:
        raise ParameterError(
            _grid_culprit(spec),
            f"the drawn grid of {h}x{w} = {h * w:,} cells (input with padding or inserted "
            f"zeros) is too large (at most {MAX_GRID_CELLS:,}); use smaller sizes",
        )


def _grid_culprit(spec: ConvSpec) -> str:
    """The parameter behind most of the drawn grid's longer side: ``input_size`` (its
    cells), ``padding`` (a direct op's), ``stride`` (a transposed one's inserted zeros) or
    ``kernel_size`` (the rings of ``k_eff - 1 - p`` zeros around them)."""
    shape, _, _ = _grid_plan(spec)
    axis = 0 if shape[0] >= shape[1] else 1
    i = spec.input_size[axis]
    if spec.transposed:
        zeros = (i - 1) * (spec.stride[axis] - 1)
        parts = {"input_size": i, "stride": zeros, "kernel_size": shape[axis] - i - zeros}
    else:
        parts = {"input_size": i, "padding": shape[axis] - i}
    return max(parts, key=parts.get)  # the first listed wins a tie


def grid_layout(spec: ConvSpec) -> GridLayout:
    """The drawn grid of ``spec`` (see :class:`GridLayout`); at most ``MAX_GRID_CELLS`` cells."""
    require(spec, ConvSpec, "spec")
    _check_grid(spec)
    shape, (top, left), (sr, sc) = _grid_plan(spec)
    (ih, iw) = spec.input_size
    # A transposed convolution slides its kernel one cell at a time over the zero-inserted grid.
    stride = (1, 1) if spec.transposed else spec.stride
    return GridLayout(shape, top + sr * np.arange(ih), left + sc * np.arange(iw), stride,
                      spec.dilation, spec.kernel_size)


def window(spec: ConvSpec, r: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid rows and columns of the kernel taps for output cell (r, c).

    ``rows[i] = r * step + i * dilation`` (and likewise for columns) in the coordinates of
    :func:`grid_layout`; the taps are the outer product of the two.
    """
    layout = grid_layout(spec)
    return window_in(layout, *_out_cell(spec, r, c))


def window_in(layout: GridLayout, r: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`window` for an already built layout (no recomputation per step)."""
    (sh, sw), (dh, dw), (kh, kw) = layout.step, layout.dilation, layout.kernel_size
    return r * sh + dh * np.arange(kh), c * sw + dw * np.arange(kw)


def receptive_cells(spec: ConvSpec, r: int, c: int) -> list[tuple[int, int] | None]:
    """Input (row, col) of each kernel tap of output (r, c), row-major; None on padding/zeros."""
    layout = grid_layout(spec)
    rows, cols = window_in(layout, *_out_cell(spec, r, c))
    return [layout.input_index(int(gr), int(gc)) for gr in rows for gc in cols]


def _out_cell(spec: ConvSpec, r: object, c: object) -> Pair:
    """(r, c) checked to be a cell of the output, or ParameterError."""
    cell = (integer(r, "r"), integer(c, "c"))
    for v, n, name in zip(cell, spec.output_shape, ("r", "c"), strict=True):
        if not 0 <= v < n:
            raise ParameterError(
                name, f"{name} must be from 0 to {n - 1} (the output size), got {v}"
            )
    return cell


def describe(spec: ConvSpec) -> str:
    """The output-size formula with the spec's numbers substituted, one line per axis.

    A transposed convolution gets a third line saying how it is drawn: as in the guide, a
    direct convolution over the input with ``s - 1`` zeros between cells, padded by
    ``k_eff - 1 - p`` (plus ``a`` at the bottom/right), with the kernel rotated 180°.
    """
    require(spec, ConvSpec, "spec")
    lines = []
    for axis, name in ((0, "height"), (1, "width")):
        i, k = spec.input_size[axis], spec.kernel_size[axis]
        s, d = spec.stride[axis], spec.dilation[axis]
        o = spec.output_shape[axis]
        k_eff = effective_kernel(k, d)
        keff = f"k_eff = {d}·({k}-1)+1 = {k_eff}; " if d > 1 else ""
        if spec.transposed:
            p, a = spec.padding[axis], spec.output_padding[axis]
            lines.append(
                f"{name}: {keff}o = (i-1)·s - 2p + k_eff + a = ({i}-1)·{s} - 2·{p} + {k_eff}"
                f" + {a} = {o}"
            )
        else:
            lo, hi = spec.pads[2 * axis], spec.pads[2 * axis + 1]
            ptxt = f"2·{lo}" if lo == hi else f"({lo}+{hi})"
            lines.append(
                f"{name}: {keff}o = ⌊(i + 2p - k_eff)/s⌋ + 1 = ⌊({i} + {ptxt} - {k_eff})/{s}⌋ + 1"
                f" = {o}"
            )
    if spec.transposed:
        lines.append(_drawn_as(spec))
    return "\n".join(lines)


def _axes(values: tuple[object, object]) -> str:
    """One value for both axes when they agree, else 'h (height), w (width)'."""
    h, w = map(str, values)
    return h if h == w else f"{h} (height), {w} (width)"


def _drawn_as(spec: ConvSpec) -> str:
    """How the guide draws a transposed convolution, with the spec's numbers."""
    k_eff = [effective_kernel(k, d) for k, d in zip(spec.kernel_size, spec.dilation, strict=True)]
    (ka, kb), (pa, pb) = k_eff, spec.padding
    ring = _axes((f"{ka}-1-{pa} = {ka - 1 - pa}", f"{kb}-1-{pb} = {kb - 1 - pb}"))
    gaps = (spec.stride[0] - 1, spec.stride[1] - 1)
    zeros = "zero" if gaps == (1, 1) else "zeros"
    extra = ""
    if spec.output_padding != (0, 0):
        extra = f", plus a = {_axes(spec.output_padding)} at the bottom/right"
    return (f"Drawn as the guide does: a direct convolution over the input with s-1 = "
            f"{_axes(gaps)} {zeros} between neighbouring cells, padded by k_eff-1-p = {ring} on "
            f"each side{extra}, with the kernel rotated 180°.")


# ``pair`` is a check (conv_engine.checks); it is listed here, as it always was, for the
# package's namespace.
__all__ = [
    "OPS",
    "PADDING_MODES",
    "ConvSpec",
    "GridLayout",
    "describe",
    "effective_kernel",
    "grid_layout",
    "output_size",
    "pair",
    "receptive_cells",
    "resolve_padding",
    "transposed_output_size",
    "window",
    "window_in",
]
