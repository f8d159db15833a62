"""network_cost against hand-counted layers, a forward pass through the real ops, the
Inception figures of the one cost model, and the figures printed in MobileNet's paper."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import conv_engine as ce
from conv_engine.architectures import (
    MOBILENET_PRINTED,
    MOBILENET_TABLE2,
    RESNET_STAGES,
    mobilenet_v1,
    resnet_basic,
    resnet_bottleneck,
    separable_pair,
)
from conv_engine.costs import (
    GOOGLENET_INCEPTION,
    conv_cost,
    inception_cost,
    max_pool_comparisons,
    network_cost,
)
from conv_engine.equivalences import dense_scores
from conv_engine.layers import Conv, Dense, Pool
from conv_engine.ops import avg_pool2d

FAST = settings(max_examples=60, deadline=None)


# ---------------------------------------------------------------------------------------------
# Hand-counted


def test_a_small_network_counted_by_hand():
    cost = network_cost(
        [Conv(8, 3, 2, 1), ("dw", Conv(8, 3, 1, 1, groups=8, bias=False)),
         Conv(12, 1, groups=4), Pool(2), Pool(3, 1, 1, op="avg"), Dense(10)],
        (3, 9, 9),
    )
    r = cost.rows
    # conv 3x3 s2 p1: 9 -> floor((9 + 2 - 3) / 2) + 1 = 5; 8*3*3*3 weights, 8 biases.
    assert r[0].out_shape == (8, 5, 5)
    assert (r[0].weights, r[0].biases, r[0].params) == (8 * 3 * 9, 8, 8 * 3 * 9 + 8)
    assert r[0].mult_adds == 5 * 5 * 8 * 3 * 9 and r[0].bias_adds == 5 * 5 * 8
    # depthwise 3x3: one 3x3 filter a channel, no bias.
    assert r[1].name == "dw" and r[1].out_shape == (8, 5, 5)
    assert (r[1].weights, r[1].biases, r[1].mult_adds) == (8 * 9, 0, 5 * 5 * 8 * 9)
    assert r[1].bias_adds == 0
    # 1x1 in 4 groups: each of 12 filters sees 8 / 4 = 2 channels.
    assert (r[2].weights, r[2].biases, r[2].mult_adds) == (12 * 2, 12, 5 * 5 * 12 * 2)
    # 2x2 max pool, stride 2: 5 -> 2; 3 comparisons an output value, no parameters.
    assert r[3].out_shape == (12, 2, 2)
    assert (r[3].params, r[3].mult_adds, r[3].comparisons) == (0, 0, 12 * 2 * 2 * 3)
    # 3x3 avg pool, stride 1, padding 1: 2 -> 2; 8 additions an output value.
    assert (r[4].out_shape, r[4].pool_adds, r[4].comparisons) == ((12, 2, 2), 12 * 4 * 8, 0)
    # dense on the flattened 12*2*2 = 48 values.
    assert r[5].out_shape == (10, 1, 1)
    assert (r[5].weights, r[5].biases, r[5].mult_adds) == (48 * 10, 10, 48 * 10)
    assert r[5].name == "dense 48 -> 10"
    assert cost.params == sum(x.weights + x.biases for x in r)
    assert cost.mult_adds == 5 * 5 * 8 * 27 + 5 * 5 * 8 * 9 + 5 * 5 * 24 + 480
    assert cost.bias_adds == 200 + 300 + 10
    assert (cost.comparisons, cost.pool_adds) == (144, 384)
    assert [x.kind for x in r] == ["3x3 conv", "3x3 depthwise conv", "1x1 grouped conv",
                                  "max pool", "avg pool", "dense"]
    assert cost.output_shape == (10, 1, 1) and cost.input_shape == (3, 9, 9)


def test_default_names_say_what_each_layer_is():
    cost = network_cost([Conv(4, 3, 2, 1), Conv(4, 3, 1, 1, groups=4), Conv(8, 3, 1, 1, groups=2),
                         Pool(2, op="avg"), Dense(3)], (4, 8, 8))
    assert [r.name for r in cost.rows] == [
        "3x3 conv 4 -> 4, stride 2", "3x3 depthwise 4", "3x3 conv 4 -> 8, groups 2",
        "2x2 avg pool, stride 2", "dense 32 -> 3",
    ]


# ---------------------------------------------------------------------------------------------
# Against a forward pass: the shapes the ops produce and the multiplications they do


@st.composite
def networks(draw):
    """A random small stack of layers that fits a random input."""
    c0, h = draw(st.integers(1, 4)), draw(st.integers(4, 12))
    c, layers = c0, []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "dense"]))
        if kind == "conv":
            g = draw(st.sampled_from([d for d in range(1, c + 1) if c % d == 0]))
            out = g * draw(st.integers(1, 3))
            k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
            p = draw(st.integers(0, 2))
            layers.append(Conv(out, k, s, p, d, groups=g, bias=draw(st.booleans())))
            c = out
        elif kind == "pool":
            k = draw(st.integers(1, 3))
            layers.append(Pool(k, draw(st.integers(1, 2)), draw(st.integers(0, k // 2)),
                               op=draw(st.sampled_from(["max", "avg"]))))
        else:
            layers.append(Dense(draw(st.integers(1, 5)), bias=draw(st.booleans())))
            c = layers[-1].out_features
    return layers, (c0, h, draw(st.integers(4, 12)))


def forward(layers, shape, rng):
    """Run the layers through the engine's ops, counting weights and multiplications from
    the arrays actually used: (weights, biases, multiplications, output shapes)."""
    x = rng.standard_normal(shape)
    weights = biases = mults = 0
    shapes = []
    for lay in layers:
        if isinstance(lay, Conv):
            w = rng.standard_normal((lay.out_channels, x.shape[0] // lay.groups, lay.kernel,
                                     lay.kernel))
            b = rng.standard_normal(lay.out_channels) if lay.bias else None
            x = ce.conv2d(x, w, b, stride=lay.stride, padding=lay.padding,
                          dilation=lay.dilation, groups=lay.groups)
            mults += x.size * w[0].size  # each output value: one dot product of a filter
        elif isinstance(lay, Pool):
            pool = ce.max_pool2d if lay.op == "max" else avg_pool2d
            x = pool(x, lay.kernel, stride=lay.stride, padding=lay.padding)
            w = b = None
        else:
            w = rng.standard_normal((lay.out_features, x.size))
            b = rng.standard_normal(lay.out_features) if lay.bias else None
            x = dense_scores(x.reshape(-1, 1, 1), w, b).reshape(-1, 1, 1)
            mults += w.size
        weights += 0 if w is None else w.size
        biases += 0 if b is None else b.size
        shapes.append(x.shape)
    return weights, biases, mults, shapes


@FAST
@given(networks(), st.integers(0, 2**32 - 1))
def test_network_cost_matches_a_forward_pass_through_the_ops(net, seed):
    layers, shape = net
    try:
        cost = network_cost(layers, shape)
    except ValueError:
        assume(False)  # a layer that does not fit its input (checked below)
    weights, biases, mults, shapes = forward(layers, shape, np.random.default_rng(seed))
    assert [r.out_shape for r in cost.rows] == shapes
    assert (cost.weights, cost.biases, cost.mult_adds) == (weights, biases, mults)
    assert cost.params == weights + biases
    assert [r.in_shape for r in cost.rows] == [shape, *shapes[:-1]]


def test_a_layer_that_does_not_fit_is_refused_by_the_cost_and_by_the_op_alike():
    with pytest.raises(ValueError, match=r"layers\[1\] \(3x3 conv 4 -> 4\) on input \(4, 2, 2\)"
                       r": kernel_size 3 is larger than the padded input \(2\)"):
        network_cost([Conv(4, 3, 2), Conv(4, 3)], (1, 5, 5))
    with pytest.raises(ValueError, match="kernel_size 3 is larger than the padded input"):
        ce.conv2d(np.ones((4, 2, 2)), np.ones((4, 4, 3, 3)))


# ---------------------------------------------------------------------------------------------
# One cost model: the same figures as conv_cost, max_pool_comparisons and inception_cost


@pytest.mark.parametrize(("c", "c_out", "k", "s", "size", "g"),
                         [(192, 32, 5, 1, 28, 1), (64, 16, 1, 2, 56, 1), (8, 16, 3, 2, 7, 1),
                          (32, 32, 3, 1, 112, 32), (128, 128, 3, 2, 56, 32)])
def test_a_same_padded_conv_costs_what_conv_cost_says(c, c_out, k, s, size, g):
    row = network_cost([Conv(c_out, k, s, (k - 1) // 2, groups=g)], (c, size, size)).rows[0]
    assert row.conv == conv_cost(c, c_out, k, size, stride=s, groups=g)


def test_conv_cost_groups_divide_the_weights():
    dw = conv_cost(32, 32, 3, 112, groups=32)
    assert dw.weights == 32 * 1 * 9 and dw.mult_adds == 112 * 112 * 32 * 9
    assert dw.label == "3x3, 32 -> 32, groups 32"
    with pytest.raises(ValueError, match="groups must divide in_channels: 30 is not a multiple"):
        conv_cost(30, 32, 3, 8, groups=4)
    with pytest.raises(ValueError, match="groups must divide out_channels: 6 is not a multiple"):
        conv_cost(32, 6, 3, 8, groups=4)


@pytest.mark.parametrize(("c", "size", "k", "s"), [(64, 28, 2, None), (3, 9, 3, 2), (5, 7, 3, 1)])
def test_max_pool_comparisons_are_those_of_max_pool_comparisons(c, size, k, s):
    row = network_cost([Pool(k, s)], (c, size, size)).rows[0]
    assert row.comparisons == max_pool_comparisons(c, size, k, s)


@pytest.mark.parametrize("module", list(GOOGLENET_INCEPTION))
def test_inception_branches_as_layer_lists_cost_what_inception_cost_says(module):
    c, size, n1, r3, n3, r5, n5, pp = GOOGLENET_INCEPTION[module]
    shape = (c, size, size)
    branches = [
        [Conv(n1, 1)],
        [Conv(r3, 1), Conv(n3, 3, 1, 1)],
        [Conv(r5, 1), Conv(n5, 5, 1, 2)],
        [Pool(3, 1, 1), Conv(pp, 1)],  # the pool branch: 3x3 max pool, stride 1, then 1x1
    ]
    want = inception_cost(*GOOGLENET_INCEPTION[module])
    costs = [network_cost(b, shape) for b in branches]
    for got, branch in zip(costs, want.branches, strict=True):
        assert (got.weights, got.params, got.mult_adds) == (
            branch.weights, branch.params, branch.mult_adds)
        assert got.output_shape == (branch.out_channels, size, size)
    assert sum(x.mult_adds for x in costs) == want.mult_adds
    assert sum(x.params for x in costs) == want.params
    # The pool's comparisons are counted, apart: 8 a value of the c x size x size map.
    assert costs[3].comparisons == c * size * size * 8 and costs[3].rows[0].mult_adds == 0


# ---------------------------------------------------------------------------------------------
# MobileNet v1 against the paper


def test_mobilenet_v1_layer_by_layer_against_table_1():
    net = mobilenet_v1()
    cost = net.cost()
    assert len(cost.rows) == 1 + 2 * 13 + 2
    shapes = {r.name: r.out_shape for r in cost.rows}
    assert shapes["conv1"] == (32, 112, 112)
    assert shapes["pw1"] == (64, 112, 112)
    assert shapes["pw2"] == (128, 56, 56)
    assert shapes["pw4"] == (256, 28, 28)
    assert shapes["pw6"] == (512, 14, 14)
    assert shapes["dw13"] == shapes["pw12"] == (1024, 7, 7)
    assert shapes["pw13"] == (1024, 7, 7) and shapes["avg pool"] == (1024, 1, 1)
    assert shapes["fc"] == (1000, 1, 1)
    # Hand count: conv1 3*32*9 weights over 112^2 outputs; one depthwise + pointwise pair.
    rows = {r.name: r for r in cost.rows}
    assert rows["conv1"].mult_adds == 112 * 112 * 32 * 3 * 9
    assert rows["dw1"].weights == 32 * 9 and rows["pw1"].weights == 32 * 64
    assert rows["fc"].weights == 1024 * 1000 and rows["fc"].biases == 1000
    assert cost.biases == 1000  # batch norm follows every convolution: no biases there


def printed(v: float, decimals: int) -> float:
    """``v`` rounded as the paper prints it (half up, on the exact value)."""
    q = Fraction(v) * 10**decimals
    return float(int(q + Fraction(1, 2))) / 10**decimals


# Rows of Tables 6/7 whose printed figure is not the model's, rounded: 1.0-160 has 290.68 M
# mult-adds, printed 290 M (truncated; every other row is rounded).
MOBILENET_OFF = {(1.0, 160): "mult_adds"}


@pytest.mark.parametrize(("alpha", "resolution"), list(MOBILENET_PRINTED))
def test_mobilenet_v1_reproduces_tables_6_and_7_at_their_precision(alpha, resolution):
    cost = mobilenet_v1(alpha, resolution).cost()
    ma_m, params_m = MOBILENET_PRINTED[alpha, resolution]
    # The paper's parameters are the weights of the convolutions and the dense layer.
    assert printed(cost.weights / 1e6, 1) == params_m
    # With the dense layer's 1,000 biases too (our params) the printed figure still holds.
    assert printed(cost.params / 1e6, 1) == params_m
    if MOBILENET_OFF.get((alpha, resolution)) == "mult_adds":
        assert printed(cost.mult_adds / 1e6, 0) == ma_m + 1
        assert abs(cost.mult_adds / 1e6 - ma_m) < 1  # truncated rather than rounded
    else:
        assert printed(cost.mult_adds / 1e6, 0) == ma_m


def test_mobilenet_v1_224_is_569_million_mult_adds_and_4_2_million_weights():
    cost = mobilenet_v1(1.0, 224).cost()
    assert cost.mult_adds == 568_740_352
    assert cost.weights == 4_209_088
    assert ce.si(cost.mult_adds, 0) == "569 M" and ce.si(cost.weights) == "4.2 M"
    # Keras' summary: 4,231,976 trainable = these weights + 1,000 dense biases + batch norm's
    # scale and shift (2 per channel) after every convolution.
    bn = 2 * sum(r.out_shape[0] for r in cost.rows if isinstance(r.layer, Conv))
    assert cost.weights + 1000 + bn == 4_231_976


def test_mobilenet_v1_reproduces_table_2_except_one_swapped_pair_of_digits():
    cost = mobilenet_v1().cost()
    kinds = cost.by_kind()
    got = {k: (printed(100 * m / cost.mult_adds, 2), printed(100 * w / cost.weights, 2))
           for k, (m, w) in kinds.items() if k in MOBILENET_TABLE2}
    assert set(got) == set(MOBILENET_TABLE2)
    for kind, (ma_share, w_share) in MOBILENET_TABLE2.items():
        assert got[kind][1] == w_share
        if kind == "3x3 conv":  # printed 1.19 %: the model's 1.91 % with two digits swapped
            assert got[kind][0] == 1.91 and ma_share == 1.19
        else:
            assert got[kind][0] == ma_share
    # Where the mult-adds go: the 1x1 layers carry about 95 % of them.
    assert 0.94 < kinds["1x1 conv"][0] / cost.mult_adds < 0.95


def test_mobilenet_width_and_resolution():
    half = mobilenet_v1(0.5, 224).cost()
    assert half.rows[0].out_shape == (16, 112, 112) and half.rows[-3].out_shape == (512, 7, 7)
    small = mobilenet_v1(1.0, 128).cost()
    assert small.rows[-3].out_shape == (1024, 4, 4)
    assert small.rows[-2].layer == Pool(4, op="avg")  # the global pool covers what is left
    odd = mobilenet_v1(0.3, 100).cost()
    assert odd.rows[0].out_shape == (9, 50, 50)  # int(0.3 * 32) = 9, ceil(100 / 2) = 50
    # Multiply-adds scale about as alpha^2 and resolution^2 (Howard et al., section 3.4).
    full = mobilenet_v1().cost().mult_adds
    assert 0.25 < half.mult_adds / full < 0.27
    assert small.mult_adds / full == pytest.approx((128 / 224) ** 2, rel=0.02)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mobilenet_v1(0), r"alpha must be a number in \(0, 4\], got 0"),
        (lambda: mobilenet_v1(float("nan")), r"alpha must be a number"),
        (lambda: mobilenet_v1(True), r"alpha must be a number"),
        (lambda: mobilenet_v1(1.0, 16), r"resolution must be from 32 to 1024, got 16"),
        (lambda: mobilenet_v1(1.0, 224.0), r"resolution must be an integer"),
        (lambda: mobilenet_v1(1.0, 224, 0), r"classes must be >= 1, got 0"),
        (lambda: resnet_bottleneck(0), r"channels must be >= 1, got 0"),
        (lambda: separable_pair(4, 8, 0, 5), r"kernel must be >= 1, got 0"),
    ],
)
def test_bad_network_arguments_raise_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------------------------
# Depthwise separable and ResNet's bottleneck


@FAST
@given(st.integers(1, 64), st.integers(1, 64), st.sampled_from([1, 3, 5, 7]),
       st.integers(1, 3), st.integers(7, 40))
def test_separable_costs_one_over_c_out_plus_one_over_k_squared(c_in, c_out, k, s, size):
    standard, separable = (n.cost() for n in separable_pair(c_in, c_out, k, size, stride=s))
    assert standard.output_shape == separable.output_shape
    ratio = Fraction(separable.mult_adds, standard.mult_adds)
    assert ratio == Fraction(1, c_out) + Fraction(1, k * k)
    assert Fraction(separable.weights, standard.weights) == ratio  # no biases by default


def test_resnet_bottleneck_against_two_3x3_layers():
    b = resnet_bottleneck().cost()
    assert b.weights == 256 * 64 + 64 * 64 * 9 + 64 * 256 == 69_632
    assert b.mult_adds == 56 * 56 * 69_632
    assert b.output_shape == (256, 56, 56) and b.biases == 0
    basic64 = resnet_basic(64).cost()  # ResNet-34's block: "similar time complexity"
    assert basic64.weights == 2 * 64 * 64 * 9 == 73_728
    basic256 = resnet_basic(256).cost()  # the same 256-d map through two 3x3 layers
    assert basic256.weights == 2 * 256 * 256 * 9
    assert basic256.output_shape == b.output_shape
    assert 16 < basic256.mult_adds / b.mult_adds < 17
    for stage, (c, w, side) in RESNET_STAGES.items():
        cost = resnet_bottleneck(c, w, side).cost()
        assert cost.weights == 2 * c * w + 9 * w * w, stage
        assert cost.output_shape == (c, side, side)


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: network_cost([], (3, 8, 8)), r"layers must be a non-empty sequence"),
        (lambda: network_cost("conv", (3, 8, 8)), r"layers must be a non-empty sequence"),
        (lambda: network_cost([(3, 1)], (3, 8, 8)), r"layers\[0\] must be a Conv, Pool or Dense"),
        (lambda: network_cost([Conv(4, 3)], (3, 8)), r"input_shape must be a \(C, H, W\)"),
        (lambda: network_cost([Conv(4, 3)], (3, 0, 8)), r"input_shape must have every entry"),
        (lambda: network_cost([Conv(4, 3)], (3, 8, 8.0)), r"input_shape must be an integer"),
        (lambda: network_cost([("a", Conv(4, 3, groups=2))], (3, 8, 8)),
         r"layers\[0\] \(a\) on input \(3, 8, 8\): groups must divide the input channels: the "
         r"input has 3 channels, not a multiple of groups=2"),
        (lambda: Conv(6, 3, groups=4), r"groups must divide out_channels: 6 is not a multiple"),
        (lambda: Conv(4, 3, bias=1), r"bias must be True or False, got 1"),
        (lambda: Conv(4, 0), r"kernel must be >= 1, got 0"),
        (lambda: Conv(4, 3, padding=-1), r"padding must be >= 0, got -1"),
        (lambda: Conv(4, 3, stride=1.5), r"stride must be an integer"),
        (lambda: Pool(3, padding=2), r"padding must be at most half the pooling kernel \(1\)"),
        (lambda: Pool(3, op="sum"), r"op must be one of \('max', 'avg'\), got 'sum'"),
        (lambda: Pool(2, 0), r"stride must be >= 1, got 0"),
        (lambda: Dense(0), r"out_features must be >= 1, got 0"),
        (lambda: ce.receptive_field([Conv(4, 3), Dense(10)]),
         r"layers\[1\] is a Dense layer: it sees its whole input"),
    ],
)
def test_bad_layers_raise_a_value_error_naming_the_rule(call, match):
    with pytest.raises(ValueError, match=match):
        call()
