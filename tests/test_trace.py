"""Step traces: every frame reproduces the output, covers the right cells, and is made lazily."""

from __future__ import annotations

import time

import numpy as np
import pytest

import conv_engine as ce
from conv_engine.arithmetic import receptive_cells
from conv_engine.traces import Trace

ALL = list(ce.PRESETS)


def square(rows, cols):
    """Row-major (row, col) cells of a window."""
    return [(r, c) for r in rows for c in cols]


@pytest.mark.parametrize("name", ALL)
def test_every_step_reproduces_the_output(name):
    spec = ce.PRESETS[name]
    t = ce.trace(spec)
    ho, wo = spec.output_shape
    assert t.output.shape == (ho, wo)
    kh, kw = spec.kernel_size
    results = np.zeros((ho, wo))
    for i, step in enumerate(t.steps):
        assert step.index == i
        assert step.out_pos == divmod(i, wo)  # row-major from the top-left output cell
        assert step.taps == tuple(square(range(kh), range(kw)))
        assert len(step.cells) == kh * kw
        np.testing.assert_array_equal(step.values.ravel(), [t.grid[c] for c in step.cells])
        if spec.op == "conv":
            kernel = t.w[::-1, ::-1] if spec.transposed else t.w
            np.testing.assert_array_equal(step.weights, kernel)
            np.testing.assert_array_equal(step.products, step.values * kernel)
        else:
            assert step.weights is None and step.products is None
        results[step.out_pos] = step.result
    np.testing.assert_allclose(results, t.output, rtol=1e-12, atol=1e-12)


def test_strided_preset_covered_cells():
    spec = ce.PRESETS["padding_strides"]  # i=5, k=3, p=1, s=2: a 7x7 drawn grid
    t = ce.trace(spec)
    assert t.layout.shape == (7, 7)
    first, last = t.steps[0], t.steps[-1]
    assert first.out_pos == (0, 0) and last.out_pos == (2, 2)
    assert list(first.cells) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2),
                                 (2, 0), (2, 1), (2, 2)]
    assert list(last.cells) == [(4, 4), (4, 5), (4, 6), (5, 4), (5, 5), (5, 6),
                                (6, 4), (6, 5), (6, 6)]
    # which taps fall on input units (input row, col) and which on padding (None)
    assert receptive_cells(spec, 0, 0) == [None, None, None, None, (0, 0), (0, 1),
                                           None, (1, 0), (1, 1)]
    assert receptive_cells(spec, 2, 2) == [(3, 3), (3, 4), None, (4, 3), (4, 4), None,
                                           None, None, None]


def test_dilated_preset_covered_cells():
    spec = ce.PRESETS["dilation"]  # i=7, k=3, d=2: taps two cells apart, no padding
    t = ce.trace(spec)
    assert t.layout.shape == (7, 7)
    assert list(t.steps[0].cells) == [(0, 0), (0, 2), (0, 4), (2, 0), (2, 2), (2, 4),
                                      (4, 0), (4, 2), (4, 4)]
    assert list(t.steps[-1].cells) == [(2, 2), (2, 4), (2, 6), (4, 2), (4, 4), (4, 6),
                                       (6, 2), (6, 4), (6, 6)]
    assert t.steps[0].footprint == (0, 0, 4, 4)
    assert receptive_cells(spec, 2, 2) == list(t.steps[-1].cells)  # all real input units


def test_transposed_odd_preset_grid_and_covered_cells():
    spec = ce.PRESETS["padding_strides_odd_transposed"]
    # 3x3 input, 1 zero inserted between units (5x5), p' = k - 1 - p = 1 zero on every side,
    # plus a = 1 extra row and column at the bottom/right: 5 + 2 + 1 = 8
    x = np.arange(1.0, 10.0).reshape(3, 3)
    w = np.arange(1.0, 10.0).reshape(3, 3)
    t = ce.trace(spec, x, w)
    assert t.layout.shape == (8, 8)
    units = [0, 1, 0, 1, 0, 1, 0, 0]  # input units sit at grid rows/cols 1, 3, 5
    np.testing.assert_array_equal(t.kind, np.outer(units, units))
    grid = np.zeros((8, 8))
    grid[1:6:2, 1:6:2] = x
    np.testing.assert_array_equal(t.grid, grid)

    first, last = t.steps[0], t.steps[-1]
    assert len(t.steps) == 36 and last.out_pos == (5, 5)
    assert list(first.cells) == square(range(3), range(3))
    assert list(last.cells) == square(range(5, 8), range(5, 8))
    assert receptive_cells(spec, 0, 0) == [None] * 4 + [(0, 0)] + [None] * 4
    assert receptive_cells(spec, 5, 5) == [(2, 2)] + [None] * 8
    # step 0: only x[0,0] = 1 under the flipped kernel's centre w[1,1] = 5
    assert first.result == 1 * 5
    # last step: only x[2,2] = 9 under the flipped kernel's first tap w[2,2] = 9
    assert last.result == 9 * 9


def test_transposed_trace_output_matches_the_scatter_definition():
    spec = ce.PRESETS["padding_strides_odd_transposed"]  # s=2, p=1, a=1
    rng = np.random.default_rng(5)
    x, w = rng.integers(-3, 4, (3, 3)), rng.integers(-3, 4, (3, 3))
    full = np.zeros((2 * 2 + 3 + 1, 2 * 2 + 3 + 1))  # (i-1)s + k, plus a
    for r in range(3):
        for c in range(3):
            full[2 * r : 2 * r + 3, 2 * c : 2 * c + 3] += x[r, c] * w
    want = full[1:-1, 1:-1]  # crop p = 1 on every side
    t = ce.trace(spec, x, w)
    np.testing.assert_array_equal(t.output, want)
    np.testing.assert_array_equal([s.result for s in t.steps], want.ravel())


def test_odd_preset_leaves_the_last_row_and_column_uncovered():
    t = ce.trace(ce.PRESETS["padding_strides_odd"])  # i=6, p=1: an 8x8 grid
    assert t.layout.shape == (8, 8)
    covered = {cell for step in t.steps for cell in step.cells}
    assert max(r for r, _ in covered) == 6
    assert max(c for _, c in covered) == 6


def test_max_pool_steps_never_pick_padding():
    spec = ce.ConvSpec(4, 3, padding=1, op="max")
    x = -np.arange(1.0, 17.0).reshape(4, 4)
    t = ce.trace(spec, x)
    results = [s.result for s in t.steps]
    assert max(results) == -1.0
    assert results[:4] == [-1.0, -1.0, -2.0, -3.0]
    np.testing.assert_array_equal(np.reshape(results, (4, 4)), t.output)


def test_avg_pool_step_counts_padding():
    spec = ce.ConvSpec(2, 3, padding=1, op="avg")
    t = ce.trace(spec, np.full((2, 2), 9.0))
    assert [s.result for s in t.steps] == [4.0] * 4  # 4 nines and 5 zeros, over 9


def test_steps_are_lazy(monkeypatch):
    calls = []
    original = Trace.step

    def counting(self, i):
        calls.append(i)
        return original(self, i)

    monkeypatch.setattr(Trace, "step", counting)
    spec = ce.ConvSpec(64, 3)
    t0 = time.perf_counter()
    t = ce.trace(spec, np.ones((64, 64)))
    assert len(t.steps) == 62 * 62
    assert time.perf_counter() - t0 < 1.0
    assert calls == []  # constructing and len() built no step
    assert "output" not in vars(t)  # nor computed the output
    assert t.steps[-1].out_pos == (61, 61)
    assert calls == [62 * 62 - 1]


def test_steps_sequence_indexing():
    t = ce.trace(ce.PRESETS["no_padding_no_strides"])  # 2x2 output: 4 steps
    assert [s.index for s in t.steps[1:3]] == [1, 2]
    assert t.steps[-4].out_pos == (0, 0)
    assert [s.out_pos for s in t.steps] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    with pytest.raises(IndexError):
        t.steps[4]
    with pytest.raises(IndexError):
        t.steps[-5]


def test_default_data_is_the_guide_generator():
    spec = ce.PRESETS["no_padding_no_strides"]
    rng = np.random.RandomState(1234)
    x, w = rng.randint(0, 4, (4, 4)), rng.randint(0, 3, (3, 3))
    t = ce.trace(spec)
    np.testing.assert_array_equal(t.x, x)
    np.testing.assert_array_equal(t.w, w)


@pytest.mark.parametrize(
    ("spec", "x", "w", "match"),
    [
        (ce.ConvSpec(101, 1), None, None, r"too large to animate \(at most 10,000 steps\)"),
        (ce.ConvSpec((100, 101), 1), None, None, r"100x101 = 10,100 cells is too large"),
        (ce.ConvSpec(5, 3), np.ones((4, 4)), None, r"x must have shape \(5, 5\)"),
        (ce.ConvSpec(5, 3), None, np.ones((2, 3)), r"w must have shape \(3, 3\)"),
        (ce.ConvSpec(5, 3), np.full((5, 5), "a"), None, r"x must be numeric"),
        (ce.ConvSpec(5, 3), None, np.full((3, 3), None), r"w must be numeric"),
    ],
    ids=["too-many-steps", "too-many-steps-rect", "x-shape", "w-shape", "x-str", "w-object"],
)
def test_trace_rejects_bad_input(spec, x, w, match):
    with pytest.raises(ValueError, match=match):
        ce.trace(spec, x, w)


def test_exactly_max_steps_can_be_animated():
    t = ce.trace(ce.ConvSpec(100, 1))
    assert len(t.steps) == ce.MAX_STEPS
