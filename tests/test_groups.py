"""Grouped and depthwise convolutions against oracles: PyTorch's definition written out as
loops here, per-group calls of the single-group op (checked against scipy in test_ops), the
scatter definition of the transposed convolution, and torch.nn.functional where installed."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

import conv_engine as ce
from conv_engine import ops
from conv_engine.ops import conv_transpose2d
from tests.test_ops import keff, scatter_conv_transpose2d, scipy_conv2d, zero_pad

FAST = settings(max_examples=60, deadline=None)


# ---------------------------------------------------------------------------------------------
# Oracles


def naive_grouped_conv2d(x, w, bias, s, p, d, groups):
    """PyTorch's definition, one output value at a time:

    out[o, r, c] = bias[o] + sum_{g < C_in/groups, i, j} w[o, g, i, j] * xp[q*G + g, r*s + i*d,
    c*s + j*d], with q = o // (C_out / groups) the filter's group and G = C_in / groups.
    """
    xp = zero_pad(x, (p[0], p[0], p[1], p[1]))
    c_out, gin, kh, kw = w.shape
    per_group = c_out // groups
    ho = (xp.shape[1] - keff(kh, d[0])) // s[0] + 1
    wo = (xp.shape[2] - keff(kw, d[1])) // s[1] + 1
    out = np.zeros((c_out, ho, wo))
    for o in range(c_out):
        q = o // per_group
        for r in range(ho):
            for c in range(wo):
                acc = 0.0 if bias is None else bias[o]
                for g in range(gin):
                    for i in range(kh):
                        for j in range(kw):
                            acc += w[o, g, i, j] * xp[q * gin + g, r * s[0] + i * d[0],
                                                      c * s[1] + j * d[1]]
                out[o, r, c] = acc
    return out


def split_groups(fn, x, w, bias, groups, **kw):
    """Grouped op as ``groups`` independent single-group calls, concatenated along channels."""
    xs = np.split(x, groups)
    ws = np.split(w, groups)
    bs = [None] * groups if bias is None else np.split(bias, groups)
    return np.concatenate([fn(a, b, c, **kw) for a, b, c in zip(xs, ws, bs, strict=True)])


# ---------------------------------------------------------------------------------------------
# Strategies


def arrays(draw, shape):
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).standard_normal(shape)


@st.composite
def grouped_cases(draw, depthwise: bool = False):
    """(x, w, bias, kwargs, (s, p, d, groups)) over small shapes, from standard to depthwise
    (``depthwise``: one input channel a group, one or more filters each)."""
    groups = draw(st.integers(1, 4))
    gin = 1 if depthwise else draw(st.integers(1, 3))
    per_group = draw(st.integers(1, 3))
    c_in, c_out = groups * gin, groups * per_group
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    lo = [max(1, keff(k[ax], d[ax]) - 2 * p[ax]) for ax in (0, 1)]
    h, wd = draw(st.integers(lo[0], lo[0] + 6)), draw(st.integers(lo[1], lo[1] + 6))
    x = arrays(draw, (c_in, h, wd))
    w = arrays(draw, (c_out, gin, *k))
    bias = arrays(draw, (c_out,)) if draw(st.booleans()) else None
    kw = {"stride": s, "padding": p, "dilation": d, "groups": groups}
    return x, w, bias, kw, (s, p, d, groups)


# ---------------------------------------------------------------------------------------------
# conv2d with groups


@FAST
@given(grouped_cases())
def test_grouped_conv2d_matches_the_definition_and_per_group_calls(case):
    x, w, bias, kw, (s, p, d, groups) = case
    got = ce.conv2d(x, w, bias, **kw)
    want = naive_grouped_conv2d(x, w, bias, s, p, d, groups)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    # Each group is an independent convolution (scipy oracle of test_ops on each).
    pads = (p[0], p[0], p[1], p[1])
    per = split_groups(lambda a, b, c: scipy_conv2d(a, b, c, s, pads, d), x, w, bias, groups)
    np.testing.assert_allclose(got, per, rtol=1e-10, atol=1e-10)
    with mock.patch.object(ops, "_BAND_BYTES", 1):  # one output row per im2col band
        np.testing.assert_allclose(ce.conv2d(x, w, bias, **kw), want, rtol=1e-10, atol=1e-10)


@FAST
@given(grouped_cases(depthwise=True))
def test_depthwise_conv2d_matches_the_definition_in_float32_too(case):
    x, w, bias, kw, (s, p, d, groups) = case
    want = naive_grouped_conv2d(x, w, bias, s, p, d, groups)
    np.testing.assert_allclose(ce.conv2d(x, w, bias, **kw), want, rtol=1e-10, atol=1e-10)
    b32 = None if bias is None else bias.astype(np.float32)
    got32 = ce.conv2d(x.astype(np.float32), w.astype(np.float32), b32, **kw)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-4, atol=1e-4)
    with mock.patch.object(ops, "_DEPTHWISE_BLOCK_BYTES", 1):  # one channel a block
        np.testing.assert_allclose(ce.conv2d(x, w, bias, **kw), want, rtol=1e-10, atol=1e-10)


def test_depthwise_on_a_real_sized_map_spans_several_channel_blocks():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 100, 90)).astype(np.float32)
    w = rng.standard_normal((40, 1, 3, 3)).astype(np.float32)
    got = ce.conv2d(x, w, padding=1, dilation=(1, 2), groups=40)
    assert got.dtype == np.float32 and got.shape == (40, 100, 88)
    # 40 channels of 100x88 float32 are 1.4 MB: more than one block of _DEPTHWISE_BLOCK_BYTES.
    assert got.nbytes > ops._DEPTHWISE_BLOCK_BYTES
    for c in (0, 17, 39):
        kd = np.zeros((3, 5))
        kd[:, ::2] = w[c, 0]
        want = correlate2d(np.pad(x[c].astype(float), 1), kd, mode="valid")
        np.testing.assert_allclose(got[c], want, rtol=1e-4, atol=1e-4)


def test_a_grouped_convolution_is_a_standard_one_with_block_diagonal_weights():
    """A grouped convolution is a standard one whose weights are zero across groups."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 7, 5))
    w = rng.standard_normal((4, 3, 3, 3))  # 2 groups: 6 -> 4, 3 input channels a filter
    full = np.zeros((4, 6, 3, 3))
    full[:2, :3], full[2:, 3:] = w[:2], w[2:]
    np.testing.assert_allclose(ce.conv2d(x, w, padding=1, groups=2),
                               ce.conv2d(x, full, padding=1), rtol=1e-12, atol=1e-12)


def test_a_depthwise_filter_sees_only_its_own_channel():
    x = np.zeros((3, 5, 5))
    x[1, 2, 2] = 1.0  # an impulse in channel 1 only
    out = ce.conv2d(x, np.ones((3, 1, 3, 3)), padding=1, groups=3)
    assert out[0].sum() == out[2].sum() == 0.0
    assert out[1].sum() == 9.0 and out[1, 1:4, 1:4].min() == 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ce.conv2d(np.ones((6, 5, 5)), np.ones((4, 2, 3, 3)), groups=4),
         r"groups must divide the input channels: x has 6 channels, not a multiple of groups=4"),
        (lambda: ce.conv2d(np.ones((8, 5, 5)), np.ones((6, 2, 3, 3)), groups=4),
         r"groups must divide the output channels: w.shape\[0\] gives 6, not a multiple of "
         r"groups=4"),
        (lambda: ce.conv2d(np.ones((8, 5, 5)), np.ones((8, 4, 3, 3)), groups=4),
         r"channel mismatch: x has 8 channels, w expects 4 per group x 4 groups = 16"),
        (lambda: ce.conv2d(np.ones((8, 5, 5)), np.ones((8, 1, 3, 3)), groups=0),
         r"groups must be >= 1, got 0"),
        (lambda: ce.conv2d(np.ones((8, 5, 5)), np.ones((8, 1, 3, 3)), groups=True),
         r"groups must be an integer, got True"),
        (lambda: ce.conv2d(np.ones((8, 5, 5)), np.ones((8, 1, 3, 3)), groups=2.0),
         r"groups must be an integer"),
        (lambda: conv_transpose2d(np.ones((6, 5, 5)), np.ones((6, 2, 3, 3)), groups=4),
         r"groups must divide the input channels: x has 6 channels"),
        (lambda: conv_transpose2d(np.ones((6, 5, 5)), np.ones((6, 2, 3, 3)), groups=-1),
         r"groups must be >= 1, got -1"),
    ],
)
def test_bad_groups_raise_a_value_error_naming_the_rule(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------------------------
# conv_transpose2d with groups


@st.composite
def transposed_grouped_cases(draw):
    groups = draw(st.integers(1, 4))
    gin, gout = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    a = (draw(st.integers(0, max(s[0], d[0]) - 1)), draw(st.integers(0, max(s[1], d[1]) - 1)))
    h, wd = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    pmax = [((n - 1) * ss + keff(kk, dd) + aa - 1) // 2 for n, ss, kk, dd, aa in
            zip((h, wd), s, k, d, a, strict=True)]
    p = (draw(st.integers(0, pmax[0])), draw(st.integers(0, pmax[1])))
    x = arrays(draw, (groups * gin, h, wd))
    w = arrays(draw, (groups * gin, gout, *k))
    bias = arrays(draw, (groups * gout,)) if draw(st.booleans()) else None
    kw = {"stride": s, "padding": p, "output_padding": a, "dilation": d, "groups": groups}
    return x, w, bias, kw, (s, p, a, d, groups)


@FAST
@given(transposed_grouped_cases())
def test_grouped_conv_transpose2d_matches_the_scatter_definition_per_group(case):
    x, w, bias, kw, (s, p, a, d, groups) = case
    got = conv_transpose2d(x, w, bias, **kw)
    # w is (C_in, C_out/groups, ...): split along its first axis, like x; bias along C_out.
    want = split_groups(lambda xa, wa, ba: scatter_conv_transpose2d(xa, wa, ba, s, p, a, d),
                        x, w, bias, groups)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@FAST
@given(grouped_cases())
def test_grouped_conv_transpose2d_is_the_adjoint_of_grouped_conv2d(case):
    """<conv2d(x, w, groups), y> == <x, conv_transpose2d(y, w, groups)>: the same weights."""
    x, w, _, kw, (s, p, d, groups) = case
    y = np.random.default_rng(3).standard_normal(ce.conv2d(x, w, **kw).shape)
    a = tuple((x.shape[ax + 1] + 2 * p[ax] - keff(w.shape[ax + 2], d[ax])) % s[ax]
              for ax in (0, 1))
    assume(all(aa < max(ss, dd) for aa, ss, dd in zip(a, s, d, strict=True)))
    back = conv_transpose2d(y, w, stride=s, padding=p, output_padding=a, dilation=d,
                            groups=groups)
    assert back.shape == x.shape
    lhs = float(np.sum(ce.conv2d(x, w, **kw) * y))
    assert lhs == pytest.approx(float(np.sum(x * back)), rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# PyTorch, where installed (not a requirement of the project)


@FAST
@given(grouped_cases())
def test_grouped_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    fn = torch.nn.functional
    x, w, bias, kw, _ = case
    tb = None if bias is None else torch.from_numpy(bias)
    want = fn.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), tb, **kw)[0].numpy()
    np.testing.assert_allclose(ce.conv2d(x, w, bias, **kw), want, rtol=1e-10, atol=1e-10)


@FAST
@given(transposed_grouped_cases())
def test_grouped_conv_transpose2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    fn = torch.nn.functional
    x, w, bias, kw, _ = case
    tb = None if bias is None else torch.from_numpy(bias)
    want = fn.conv_transpose2d(torch.from_numpy(x)[None], torch.from_numpy(w), tb, **kw)[0]
    np.testing.assert_allclose(conv_transpose2d(x, w, bias, **kw), want.numpy(),
                               rtol=1e-10, atol=1e-10)


def test_depthwise_float32_matches_torch_at_mobilenet_size():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 56, 56)).astype(np.float32)
    for c_out, stride in ((64, 1), (64, 2), (128, 1)):  # the fast path, a stride, multiplier 2
        w = rng.standard_normal((c_out, 1, 3, 3)).astype(np.float32)
        want = torch.nn.functional.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w),
                                          stride=stride, padding=1, groups=64)[0].numpy()
        got = ce.conv2d(x, w, stride=stride, padding=1, groups=64)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
