"""Step traces: what each animation frame shows, computed lazily from one geometry function."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .arithmetic import ConvSpec, GridLayout, grid_layout, window_in
from .checks import ParameterError, integer, numeric, pair, require
from .limits import MAX_GRID_CELLS
from .ops import avg_pool2d, conv2d, conv_transpose2d, max_pool2d

DEFAULT_SEED = 1234


@dataclass(frozen=True)
class Step:
    """One frame: output cell ``out_pos`` and the window of grid cells that produce it.

    ``cells``: (row, col) grid coordinates of the kernel taps, row-major (only the taps, so a
    dilated kernel skips cells); ``taps``: the matching kernel indices; ``values``: the grid
    values under the taps (0 for padding and inserted zeros); ``weights``: the kernel values
    applied (flipped for a transposed convolution; None for pooling); ``products``: values x
    weights (None for pooling); ``result``: the output value (-inf, as in PyTorch, for a
    max-pooling window that covers only padding).
    """

    index: int
    out_pos: tuple[int, int]
    cells: tuple[tuple[int, int], ...]
    taps: tuple[tuple[int, int], ...]
    values: np.ndarray
    weights: np.ndarray | None
    products: np.ndarray | None
    result: float

    @property
    def footprint(self) -> tuple[int, int, int, int]:
        """(row0, col0, row1, col1) inclusive bounding box of the covered cells."""
        rs = [r for r, _ in self.cells]
        cs = [c for _, c in self.cells]
        return (min(rs), min(cs), max(rs), max(cs))


class _Steps(Sequence):
    """Steps made on demand, so a large trace costs nothing until a frame is asked for."""

    def __init__(self, trace: Trace) -> None:
        self._t = trace

    def __len__(self) -> int:
        return self._t.spec.steps

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = operator.index(i)  # TypeError for a non-integer index, as for a list
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"step {i} out of range (0..{n - 1})")
        return self._t.step(i % n)


class Trace:
    """The animation of one :class:`ConvSpec` on one channel.

    ``x`` (H, W) input and ``w`` (kH, kW) kernel; when omitted, the spec's own data or the
    guide's (legacy RNG, seed 1234: ``randint(0, 4, input)`` then ``randint(0, 3, kernel)``).
    ``grid``: the drawn grid's values (padding and inserted zeros are 0); ``output``: the op's
    result, equal to the steps' results.
    """

    def __init__(self, spec: ConvSpec, x: np.ndarray | None = None, w: np.ndarray | None = None):
        self.x, self.w = default_data(spec, x, w)  # checks the spec first
        self.spec = spec
        self.layout: GridLayout = grid_layout(spec)
        self.steps: Sequence[Step] = _Steps(self)

    @cached_property
    def grid(self) -> np.ndarray:
        return self.layout.embed(self.x)

    @cached_property
    def kind(self) -> np.ndarray:
        return self.layout.kind()

    @cached_property
    def _applied_kernel(self) -> np.ndarray | None:
        """The kernel the sliding window applies: flipped for a transposed convolution."""
        if self.spec.op != "conv":
            return None
        return self.w[::-1, ::-1] if self.spec.transposed else self.w

    @cached_property
    def output(self) -> np.ndarray:
        s = self.spec
        x = self.x[None].astype(np.float64)
        if s.op == "max":
            return max_pool2d(x, s.kernel_size, stride=s.stride, padding=s.padding,
                              dilation=s.dilation)[0]
        if s.op == "avg":
            return avg_pool2d(x, s.kernel_size, stride=s.stride, padding=s.padding)[0]
        w = self.w[None, None].astype(np.float64)
        if s.transposed:
            return conv_transpose2d(x, w, stride=s.stride, padding=s.padding,
                                    output_padding=s.output_padding, dilation=s.dilation)[0]
        return conv2d(x, w, stride=s.stride, padding=s.padding, dilation=s.dilation)[0]

    def step(self, i: int) -> Step:
        """Step ``i`` (row-major over the output)."""
        _, wo = self.spec.output_shape
        r, c = divmod(i, wo)
        rows, cols = window_in(self.layout, r, c)
        vals = self.grid[np.ix_(rows, cols)]
        kh, kw = self.spec.kernel_size
        taps = tuple((a, b) for a in range(kh) for b in range(kw))
        cells = tuple((int(rows[a]), int(cols[b])) for a, b in taps)
        k = self._applied_kernel
        if k is None:
            products = None
            if self.spec.op == "max":
                real = self.kind[np.ix_(rows, cols)].astype(bool)
                # Padding never wins, as in PyTorch; a window over padding alone is -inf.
                result = float(np.max(vals, where=real, initial=-np.inf))
            else:
                result = float(vals.mean())
        else:
            products = vals * k
            result = float(products.sum())
        return Step(i, (r, c), cells, taps, vals, k, products, result)


def trace(spec: ConvSpec, x: np.ndarray | None = None, w: np.ndarray | None = None) -> Trace:
    """The step-by-step animation of ``spec`` (see :class:`Trace`)."""
    return Trace(spec, x, w)


def random_data(
    input_size: tuple[int, int], kernel_size: tuple[int, int], seed: int = DEFAULT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """The guide's kind of numbers: ``randint(0, 4, input)`` then ``randint(0, 3, kernel)``.

    Uses numpy's legacy generator, so seed 1234 with a 5x5 input and 3x3 kernel gives the
    guide's exact data.
    """
    sizes = [pair(input_size, "input_size"), pair(kernel_size, "kernel_size")]
    for (h, w), name in zip(sizes, ("input_size", "kernel_size"), strict=True):
        if h < 1 or w < 1 or h * w > MAX_GRID_CELLS:
            raise ParameterError(name, f"{name} must be >= 1 with at most {MAX_GRID_CELLS:,} "
                                       f"cells, got {(h, w)}")
    integer(seed, "seed", "an integer from 0 to 2**32 - 1", lambda n: 0 <= n < 2**32)
    rng = np.random.RandomState(int(seed))
    return rng.randint(0, 4, sizes[0]), rng.randint(0, 3, sizes[1])


def default_data(
    spec: ConvSpec, x: np.ndarray | None = None, w: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, w)`` for a spec: given arrays, else the spec's data, else the guide's random ints."""
    require(spec, ConvSpec, "spec")
    spec.check_animatable()  # the data are drawn only for a case small enough to animate
    gx, gw = random_data(spec.input_size, spec.kernel_size)
    if x is None:
        x = np.asarray(spec.data, dtype=float) if spec.data is not None else gx
    if w is None:
        w = np.asarray(spec.kernel_data, dtype=float) if spec.kernel_data is not None else gw
    checked = []
    for name, a, shape in (("x", x, spec.input_size), ("w", w, spec.kernel_size)):
        a = numeric(a, name)
        if a.shape != shape:
            raise ParameterError(
                name, f"{name} must have shape {shape} for this spec, got {a.shape}"
            )
        checked.append(a.astype(float))
    return checked[0], checked[1]


__all__ = [
    "DEFAULT_SEED",
    "Step",
    "Trace",
    "default_data",
    "random_data",
    "trace",
]
