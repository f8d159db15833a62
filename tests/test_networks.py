"""Inception costs, receptive fields, NiN (MLP = cascaded 1x1) and dense = 1x1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conv_engine.checks import ParameterError
from conv_engine.costs import (
    GOOGLENET_INCEPTION,
    INCEPTION_FIELDS,
    conv_cost,
    googlenet_table,
    inception_cost,
)
from conv_engine.equivalences import (
    dense_as_1x1,
    dense_scores,
    mlp_as_1x1,
    mlp_per_pixel,
    mlp_pointwise,
    random_mlp,
    score_map,
)
from conv_engine.layers import Conv, Pool
from conv_engine.ops import conv2d, max_pool2d
from conv_engine.receptive_fields import data_kept, input_mask, input_region, receptive_field

# ---------------------------------------------------------------------------------------------
# Costs


def test_classic_5x5_example_with_and_without_a_1x1_reduction():
    direct = conv_cost(192, 32, 5, 28)
    assert direct.weights == 32 * 5 * 5 * 192
    assert direct.mult_adds == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400

    reduce, conv = conv_cost(192, 16, 1, 28), conv_cost(16, 32, 5, 28)
    assert reduce.mult_adds == 28 * 28 * 16 * 192 == 2_408_448
    assert conv.mult_adds == 28 * 28 * 32 * 5 * 5 * 16 == 10_035_200
    assert reduce.mult_adds + conv.mult_adds == 12_443_648
    assert reduce.weights + conv.weights == 16 * 192 + 32 * 5 * 5 * 16


def test_conv_cost_rectangular_kernel_and_size():
    c = conv_cost(3, 8, (3, 5), (10, 20))
    assert c.kernel == (3, 5) and c.size == (10, 20)
    assert c.weights == 8 * 3 * 3 * 5
    assert c.mult_adds == 10 * 20 * 8 * 3 * 3 * 5
    assert c.label == "3x5, 3 -> 8"


def test_inception_3a_by_hand():
    cost = inception_cost(*GOOGLENET_INCEPTION["3a"])
    params = 192 * 64 + (192 * 96 + 96 * 128 * 9) + (192 * 16 + 16 * 32 * 25) + 192 * 32
    naive = 192 * 64 + 192 * 128 * 9 + 192 * 32 * 25 + 192 * 32
    assert cost.weights == params
    assert cost.mult_adds == params * 28 * 28
    assert cost.naive_weights == naive
    assert cost.naive_mult_adds == naive * 28 * 28
    assert cost.out_channels == 64 + 128 + 32 + 32
    assert cost.savings == pytest.approx(naive / params)

    by_name = {b.name: b for b in cost.branches}
    assert list(by_name) == ["1x1", "3x3", "5x5", "pool proj"]
    assert by_name["3x3"].weights == 192 * 96 + 96 * 128 * 9
    assert by_name["3x3"].naive_weights == 192 * 128 * 9
    assert by_name["5x5"].mult_adds == (192 * 16 + 16 * 32 * 25) * 28 * 28
    assert by_name["5x5"].naive_mult_adds == 192 * 32 * 25 * 28 * 28
    # The pool branch is the same with or without reductions: pool then its 1x1 projection.
    assert by_name["pool proj"].weights == by_name["pool proj"].naive_weights == 192 * 32
    assert [b.out_channels for b in cost.branches] == [64, 128, 32, 32]


def test_inception_4e_and_5b_by_hand():
    e = inception_cost(*GOOGLENET_INCEPTION["4e"])
    p4e = 528 * 256 + (528 * 160 + 160 * 320 * 9) + (528 * 32 + 32 * 128 * 25) + 528 * 128
    n4e = 528 * 256 + 528 * 320 * 9 + 528 * 128 * 25 + 528 * 128
    assert (e.weights, e.mult_adds) == (p4e, p4e * 14 * 14)
    assert (e.naive_weights, e.naive_mult_adds) == (n4e, n4e * 14 * 14)

    b = inception_cost(*GOOGLENET_INCEPTION["5b"])
    p5b = 832 * 384 + (832 * 192 + 192 * 384 * 9) + (832 * 48 + 48 * 128 * 25) + 832 * 128
    n5b = 832 * 384 + 832 * 384 * 9 + 832 * 128 * 25 + 832 * 128
    assert (b.weights, b.mult_adds) == (p5b, p5b * 7 * 7)
    assert (b.naive_weights, b.naive_mult_adds) == (n5b, n5b * 7 * 7)
    assert b.out_channels == 1024  # GoogLeNet's final feature width before average pooling


def test_googlenet_modules_chain_into_each_other():
    names = list(GOOGLENET_INCEPTION)
    assert names == ["3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"]
    for a, b in zip(names, names[1:], strict=False):
        out = inception_cost(*GOOGLENET_INCEPTION[a]).out_channels
        assert out == GOOGLENET_INCEPTION[b][0], (a, b)
        size_a, size_b = GOOGLENET_INCEPTION[a][1], GOOGLENET_INCEPTION[b][1]
        # A stride-2 max pool sits between 3b/4a and 4e/5a.
        assert size_b == (size_a // 2 if (a, b) in {("3b", "4a"), ("4e", "5a")} else size_a)


def test_googlenet_table_rows():
    rows = googlenet_table()
    assert [r["module"] for r in rows] == list(GOOGLENET_INCEPTION)
    r4a = rows[2]
    assert tuple(r4a[f] for f in INCEPTION_FIELDS) == (480, 14, 192, 96, 208, 16, 48, 64)
    p4a = 480 * 192 + (480 * 96 + 96 * 208 * 9) + (480 * 16 + 16 * 48 * 25) + 480 * 64
    assert r4a["weights"] == p4a and r4a["mult_adds"] == p4a * 14 * 14
    assert r4a["naive_weights"] == 480 * 192 + 480 * 208 * 9 + 480 * 48 * 25 + 480 * 64
    assert r4a["out_channels"] == 512
    assert all(r["naive_mult_adds"] > r["mult_adds"] for r in rows)


def test_inception_rectangular_size_scales_only_the_mult_adds():
    square = inception_cost(64, 1, 16, 8, 16, 4, 8, 8)
    rect = inception_cost(64, (3, 5), 16, 8, 16, 4, 8, 8)
    assert rect.weights == square.weights
    assert rect.mult_adds == 15 * square.mult_adds
    assert rect.naive_mult_adds == 15 * square.naive_weights


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-192, 28, 64, 96, 128, 16, 32, 32), "in_channels must be >= 1"),
        ((192, 0, 64, 96, 128, 16, 32, 32), "size must be >= 1"),
        ((192, (28, 28, 3), 64, 96, 128, 16, 32, 32), "size must be an int or an"),
        ((192, 28, 64, -1, 128, 16, 32, 32), "n3x3_reduce must be >= 1"),
        ((192, 28, 64, 96, 128, 16, 32, 0), "pool_proj must be >= 1"),
        ((192, 28, 64, 96, 128.0, 16, 32, 32), "n3x3 must be an integer"),
        ((192, 28, 64, 96, 128, 16, True, 32), "n5x5 must be an integer"),
    ],
)
def test_inception_cost_rejects_bad_inputs(args, match):
    with pytest.raises(ValueError, match=match):
        inception_cost(*args)


def test_conv_cost_rejects_bad_inputs():
    with pytest.raises(ValueError, match="out_channels must be >= 1"):
        conv_cost(3, -2, 3, 5)
    with pytest.raises(ValueError, match="kernel must be >= 1"):
        conv_cost(3, 2, (3, 0), 5)


# ---------------------------------------------------------------------------------------------
# Receptive fields


def test_receptive_field_hand_computed():
    rows = receptive_field([(3, 1, 1, 1), (2, 2, 0, 1), (3, 1, 1, 1)])
    assert [r.size for r in rows] == [3, 3 + 1 * 1, 4 + 2 * 2]
    assert [r.jump for r in rows] == [1, 2, 2]
    # start: 0 + (1 - 1)*1; 0 + (0.5 - 0)*1; 0.5 + (1 - 1)*2
    assert [r.start for r in rows] == [0.0, 0.5, 0.5]
    # A shorthand is a convolution of that geometry (one channel: channels do not matter).
    assert rows[1].layer == Conv(1, 2, 2)


def test_receptive_field_dilated_stack_doubles():
    rows = receptive_field([(3, 1, 0, 1), (3, 1, 0, 2), (3, 1, 0, 4)])
    assert [r.size for r in rows] == [3, 3 + 2 * 2, 7 + 4 * 2]
    assert [r.start for r in rows] == [1.0, 1 + 2, 3 + 4]


def test_receptive_field_alexnet_pool5_is_195():
    # conv1 11/4, pool 3/2, conv2 5 p2, pool 3/2, conv3-5 3 p1, pool 3/2
    layers = [(11, 4), (3, 2), (5, 1, 2), (3, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 2)]
    rows = receptive_field(layers, 227)
    assert [r.size for r in rows] == [11, 19, 51, 67, 99, 131, 163, 195]
    assert [r.jump for r in rows] == [4, 8, 8, 16, 16, 16, 16, 32]
    assert [r.out_size for r in rows] == [(55, 55), (27, 27), (27, 27), (13, 13), (13, 13),
                                          (13, 13), (13, 13), (6, 6)]


def test_layer_forms_are_equivalent():
    a = receptive_field([3, (2, 2), Conv(1, 3, 1, 1, 2)])
    b = receptive_field([(3, 1, 0, 1), [2, 2, 0, 1], (3, 1, 1, 2)])
    assert a == b
    # The layer description of the whole engine: channels, groups and bias do not move a
    # receptive field, and a pool has the geometry of its window.
    c = receptive_field([Conv(64, 3), Pool(2), Conv(8, 3, 1, 1, 2, groups=4, bias=False)])
    assert [(r.size, r.jump, r.start) for r in c] == [(r.size, r.jump, r.start) for r in a]
    assert [r.layer for r in c][1] == Pool(2, 2)


def _brute_deps(layers, h, w):
    """deps[u, v, r, c]: does an impulse at input (u, v) reach output (r, c)? Via conv2d."""
    deps = []
    for idx in range(h * w):  # one impulse per input pixel; the maps are tiny
        x = np.zeros((1, h, w))
        x.flat[idx] = 1.0
        for k, s, p, d in layers:
            # All-ones positive kernels: nothing cancels, so > 0 means "depends on".
            x = conv2d(x, np.ones((1, 1, k, k)), stride=s, padding=p, dilation=d)
        deps.append(x[0] > 0)
    return np.array(deps).reshape(h, w, *deps[0].shape)


def _bbox(m):
    rows, cols = np.flatnonzero(m.any(axis=1)), np.flatnonzero(m.any(axis=0))
    return (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1)


def _out_len(n, k, s, p, d):
    k_eff = d * (k - 1) + 1
    return (n + 2 * p - k_eff) // s + 1 if k_eff <= n + 2 * p else 0


layer_st = st.tuples(
    st.integers(1, 4), st.integers(1, 3), st.integers(0, 3), st.integers(1, 2)
)


@settings(max_examples=40, deadline=None)
@given(layers=st.lists(layer_st, min_size=1, max_size=3), h=st.integers(6, 16),
       w=st.integers(3, 8))
def test_input_region_and_mask_match_impulse_propagation(layers, h, w):
    hs, ws = [h], [w]
    for k, s, p, d in layers:
        hs.append(_out_len(hs[-1], k, s, p, d))
        ws.append(_out_len(ws[-1], k, s, p, d))
        assume(hs[-1] >= 1 and ws[-1] >= 1)
    deps = _brute_deps(layers, h, w)
    assert deps.shape[2:] == (hs[-1], ws[-1])
    last = receptive_field(layers, (h, w))[-1]
    assert last.out_size == (hs[-1], ws[-1])

    for r in range(hs[-1]):
        for c in range(ws[-1]):
            truth = deps[:, :, r, c]
            mask = input_mask(layers, r, c, (h, w))
            np.testing.assert_array_equal(mask, truth)
            r0, r1, c0, c1 = input_region(layers, r, c, (h, w))
            if truth.any():
                assert (r0, r1, c0, c1) == _bbox(truth)
            else:
                assert r0 == r1 or c0 == c1
            u0, u1, v0, v1 = input_region(layers, r, c, (h, w), clip=False)
            assert u1 - u0 == v1 - v0 == last.size
            # Both ends of the unclipped field are real taps: inside the image they feed it.
            assert (u0 + u1 - 1) / 2 == last.start + r * last.jump
            assert (v0 + v1 - 1) / 2 == last.start + c * last.jump
            if 0 <= u0 and u1 <= h and truth.any():
                assert (u0, u1) == _bbox(truth)[:2]


@settings(max_examples=40, deadline=None)
@given(layers=st.lists(layer_st, min_size=1, max_size=5))
def test_receptive_field_rows_match_each_prefix(layers):
    rows = receptive_field(layers)
    assert len(rows) == len(layers)
    for i, row in enumerate(rows):
        prefix = layers[: i + 1]
        jump = int(np.prod([s for _, s, _, _ in prefix]))
        assert row.jump == jump
        # Big enough for the prefix's output to have a cell (a dilated stack's field can
        # outgrow 16 jumps), within the traced-side limit (3^5 * 16 < 4096).
        n = max(16 * jump, row.size)
        r0, r1, _, _ = input_region(prefix, 0, 0, n, clip=False)
        assert r1 - r0 == row.size
        assert (r0 + r1 - 1) / 2 == row.start


def test_dilation_leaves_holes_in_the_mask():
    layers = [(2, 1, 0, 1), (2, 1, 0, 3)]
    mask = input_mask(layers, 0, 0, 8)
    truth = _brute_deps(layers, 8, 8)[:, :, 0, 0]
    np.testing.assert_array_equal(mask, truth)
    # Taps at 0 and 3 each see two pixels: rows 0, 1, 3, 4; row 2 is a hole.
    assert np.flatnonzero(mask.any(axis=1)).tolist() == [0, 1, 3, 4]
    assert input_region(layers, 0, 0, 8) == (0, 5, 0, 5)


def test_cell_fed_only_by_padding_has_an_empty_region():
    layers = [(1, 1, 2, 1)]
    assert not input_mask(layers, 0, 3, 3).any()
    r0, r1, c0, c1 = input_region(layers, 0, 3, 3)
    assert r0 == r1 and (c0, c1) == (1, 2)
    assert input_region(layers, 0, 3, 3, clip=False) == (-2, -1, 1, 2)
    # Past the bottom-right edge the empty range sits on that edge.
    assert input_region(layers, 6, 6, 3) == (3, 3, 3, 3)
    assert input_region(layers, 6, 6, 3, clip=False) == (4, 5, 4, 5)


@pytest.mark.parametrize(
    ("layers", "match"),
    [
        ([], "layers must be a non-empty sequence"),
        ([(0, 1, 0, 1)], r"layers\[0\]: kernel must be >= 1"),
        ([(3, 1), (3, 0)], r"layers\[1\]: stride must be >= 1"),
        ([(3, 1, -1)], r"layers\[0\]: padding must be >= 0"),
        ([(3, 1, 0, 0)], r"layers\[0\]: dilation must be >= 1"),
        ([(3, 1, 0, 1, 5)], r"layers\[0\] must be \(kernel, stride, padding, dilation\)"),
        ([(3.5, 1)], r"layers\[0\]: kernel must be an integer"),
    ],
)
def test_receptive_field_rejects_bad_layers(layers, match):
    with pytest.raises(ValueError, match=match):
        receptive_field(layers)


def test_receptive_field_refuses_a_field_a_float_start_cannot_hold():
    # Exact up to 2**52: a kernel of 2**51 + 1 starts at 2**50, to the pixel.
    (row,) = receptive_field([(2**51 + 1,)])
    assert (row.size, row.start) == (2**51 + 1, 2.0**50)
    # Strides of 10**200: the second layer's field is 2 * 10**200 + 3 pixels (the third's
    # start would overflow a float, as it did with an OverflowError).
    with pytest.raises(ParameterError, match=r"layers\[1\] takes the receptive field's size "
                                             r"or start past 4,503,599,627,370,496") as info:
        receptive_field([(3, 10**200)] * 3)
    assert info.value.name == "layers"
    with pytest.raises(ParameterError, match=r"layers\[0\] takes"):
        receptive_field([(3, 1, 10**400)])  # a padding past any float


def test_input_region_rejects_bad_cells_and_sizes():
    with pytest.raises(ValueError, match=r"out_row must be in 0\.\.2"):
        input_region([(3, 1)], 3, 0, 5)
    with pytest.raises(ValueError, match="out_col must be in"):
        input_mask([(3, 1)], 0, -1, 5)
    with pytest.raises(ValueError, match=r"layers\[1\] on height 5"):
        input_region([(3, 1), (5, 1)], 0, 0, 5)
    with pytest.raises(ValueError, match="input_size must be >= 1"):
        receptive_field([3], 0)


# ---------------------------------------------------------------------------------------------
# Network in Network: cascaded 1x1 = per-pixel MLP


def _mlp_oracle(x, weights, biases):
    """The MLP on each pixel vector separately, by explicit loops."""
    c, h, w = x.shape
    out = np.empty((weights[-1].shape[0], h, w))
    for i in range(h):
        for j in range(w):
            v = x[:, i, j]
            for n, (wm, b) in enumerate(zip(weights, biases, strict=True)):
                v = np.einsum("oc,c->o", wm, v) + b
                if n < len(weights) - 1:
                    v = np.maximum(v, 0)
            out[:, i, j] = v
    return out


@pytest.mark.parametrize("sizes", [(5, 7, 3), (4, 8, 6, 2), (3, 2)])
def test_mlp_two_views_agree_with_a_loop(sizes):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(sizes[0], 4, 6))
    weights, biases = random_mlp(sizes, seed=3)
    want = _mlp_oracle(x, weights, biases)
    conv, pixel = mlp_as_1x1(x, weights, biases)
    assert conv.shape == pixel.shape == (sizes[-1], 4, 6)
    assert np.abs(conv - want).max() < 1e-9
    assert np.abs(pixel - want).max() < 1e-9
    np.testing.assert_array_equal(conv, mlp_pointwise(x, weights, biases))
    np.testing.assert_array_equal(pixel, mlp_per_pixel(x, weights, biases))


def test_mlp_relu_between_layers_only():
    x = np.random.default_rng(1).normal(size=(3, 5, 5))
    weights, biases = random_mlp((3, 16, 4), seed=0)
    out = mlp_pointwise(x, weights, biases)
    linear = np.einsum("oc,chw->ohw", weights[1] @ weights[0], x) + (
        weights[1] @ biases[0] + biases[1]
    )[:, None, None]
    assert np.abs(out - linear).max() > 1e-3  # the hidden ReLU bends the map
    assert (out < 0).any()  # and none follows the last layer


def test_mlp_without_biases_and_float32():
    x = np.random.default_rng(2).normal(size=(2, 3, 3)).astype(np.float32)
    w = [np.array([[1.0, -1.0], [0.5, 2.0]], np.float32), np.array([[1.0, 1.0]], np.float32)]
    conv, pixel = mlp_as_1x1(x, w, None)
    assert conv.dtype == pixel.dtype == np.float32
    x64 = x.astype(np.float64)
    want = np.maximum(x64[0] - x64[1], 0) + np.maximum(0.5 * x64[0] + 2 * x64[1], 0)
    np.testing.assert_allclose(conv[0], want, rtol=1e-6)
    np.testing.assert_allclose(pixel[0], want, rtol=1e-6)


def test_random_mlp_shapes_and_seed():
    w, b = random_mlp([6, 10, 3], seed=5)
    assert [m.shape for m in w] == [(10, 6), (3, 10)]
    assert [v.shape for v in b] == [(10,), (3,)]
    w2, _ = random_mlp([6, 10, 3], seed=5)
    w3, _ = random_mlp([6, 10, 3], seed=6)
    np.testing.assert_array_equal(w[0], w2[0])
    assert not np.array_equal(w[0], w3[0])
    with pytest.raises(ValueError, match="at least two layer widths"):
        random_mlp([4])
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1"):
        random_mlp([4, 0, 2])


def test_random_mlp_refuses_more_weights_than_the_budget_before_drawing_them():
    # 10**10 weights would be 80 GB (a MemoryError, or worse, before this check).
    match = r"sizes \[100000, 100000\] make 10,000,100,000 weights and biases, more than the "
    with pytest.raises(ParameterError, match=match + "134,217,728") as info:
        random_mlp([10**5, 10**5])
    assert info.value.name == "sizes"


def test_mlp_rejects_bad_inputs():
    x = np.ones((3, 2, 2))
    w, b = random_mlp((3, 4, 2))
    for fn in (mlp_pointwise, mlp_per_pixel):
        match = r"weights\[1\] must have 4 columns \(weights\[0\] gives 4"
        with pytest.raises(ValueError, match=match):
            fn(x, [w[0], np.ones((2, 5))], None)
        with pytest.raises(ValueError, match=r"weights\[0\] must have 2 columns \(x has 2"):
            fn(np.ones((2, 2, 2)), w, b)
        with pytest.raises(ValueError, match="biases must be None or a sequence of 2"):
            fn(x, w, b[:1])
        with pytest.raises(ValueError, match=r"biases\[0\] must have 4 entries"):
            fn(x, w, [np.ones(3), b[1]])
        with pytest.raises(ValueError, match="weights must be a non-empty sequence"):
            fn(x, [], None)
        with pytest.raises(ValueError, match="x must have 3 dimensions"):
            fn(np.ones((3, 4)), w, b)


# ---------------------------------------------------------------------------------------------
# A fully connected layer is a 1x1 convolution


def test_dense_head_as_1x1_on_a_1x1_map():
    rng = np.random.default_rng(11)
    c, n = 12, 5
    x = rng.normal(size=(c, 1, 1))
    w, b = rng.normal(size=(n, c)), rng.normal(size=n)
    want = np.array([sum(w[k, i] * x[i, 0, 0] for i in range(c)) + b[k] for k in range(n)])
    dense, conv = dense_as_1x1(x, w, b)
    assert dense.shape == conv.shape == (n,)
    assert np.abs(dense - want).max() < 1e-9
    assert np.abs(conv - want).max() < 1e-9
    assert np.abs(dense_scores(x[:, 0, 0], w, b) - want).max() < 1e-9


def test_score_map_slides_the_dense_head():
    rng = np.random.default_rng(12)
    c, n, h, wd = 6, 4, 5, 7
    x = rng.normal(size=(c, h, wd))
    w, b = rng.normal(size=(n, c)), rng.normal(size=n)
    scores = score_map(x, w, b)
    assert scores.shape == (n, h, wd)
    want = np.einsum("nc,chw->nhw", w, x) + b[:, None, None]
    assert np.abs(scores - want).max() < 1e-9
    # Each position is the dense head on that 1x1 crop.
    assert np.abs(scores[:, 2, 3] - dense_scores(x[:, 2:3, 3:4], w, b)).max() < 1e-9
    # By linearity, averaging the score map = the head on globally average-pooled features.
    gap = dense_scores(x.mean(axis=(1, 2)), w, b)
    assert np.abs(scores.mean(axis=(1, 2)) - gap).max() < 1e-9


def test_dense_rejects_bad_inputs():
    w = np.ones((3, 4))
    with pytest.raises(ValueError, match="use score_map"):
        dense_scores(np.ones((4, 2, 2)), w)
    with pytest.raises(ValueError, match="weights must have 4 columns"):
        dense_scores(np.ones(4), np.ones((3, 5)))
    with pytest.raises(ValueError, match="bias must have 3 entries"):
        dense_as_1x1(np.ones((4, 1, 1)), w, np.ones(2))
    with pytest.raises(ValueError, match="channel mismatch"):
        score_map(np.ones((5, 2, 2)), w)


# ---------------------------------------------------------------------------------------------
# 1x1 with strides or max pooling: how much data each keeps


def test_data_kept_stride_vs_pool():
    strided = data_kept(192, 28, 28, 64, stride=2)
    pooled = data_kept(192, 28, 28, 64, pool=2)
    assert strided.in_values == pooled.in_values == 192 * 28 * 28
    assert strided.reduced_shape == (64, 14, 14) and pooled.reduced_shape == (64, 28, 28)
    assert strided.out_shape == pooled.out_shape == (64, 14, 14)
    assert strided.fraction_kept == pooled.fraction_kept == pytest.approx(
        (64 * 14 * 14) / (192 * 28 * 28)
    )
    # Same output size, but the strided 1x1 never looks at three pixels in four.
    assert strided.pixels_seen == 14 * 14 and strided.fraction_seen == 0.25
    assert pooled.pixels_seen == 28 * 28 and pooled.fraction_seen == 1.0


def test_data_kept_odd_sizes():
    d = data_kept(3, 9, 9, 2, stride=2, pool=2)
    assert d.reduced_shape == (2, 5, 5)  # rows 0, 2, 4, 6, 8
    assert d.out_shape == (2, 2, 2)  # floor(5 / 2); strided row 8 is dropped by the pool
    assert d.pixels_seen == 4 * 4  # rows 0, 2, 4, 6 of each axis
    assert d.out_values == 8 and d.reduced_values == 50


@pytest.mark.parametrize(("stride", "pool"), [(1, 1), (2, 1), (1, 2), (3, 1), (2, 2), (1, 3)])
def test_data_kept_seen_matches_impulses(stride, pool):
    h, w = 7, 5
    d = data_kept(1, h, w, 1, stride=stride, pool=pool)
    one = np.ones((1, 1, 1, 1))
    seen = 0
    for idx in range(h * w):
        x = np.zeros((1, h, w))
        x.flat[idx] = 1.0
        y = max_pool2d(conv2d(x, one, stride=stride), pool)
        assert y.shape[1:] == d.out_shape[1:]
        seen += bool(y.any())
    assert d.pixels_seen == seen


def test_data_kept_rejects_bad_inputs():
    with pytest.raises(ValueError, match="k must be >= 1"):
        data_kept(3, 8, 8, 0)
    with pytest.raises(ValueError, match="channels must be >= 1"):
        data_kept(-3, 8, 8, 2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        data_kept(3, 8, 8, 2, stride=0)
    with pytest.raises(ValueError, match=r"pool must be at most the strided width ceil\(3/1\)"):
        data_kept(3, 8, 3, 2, pool=4)
