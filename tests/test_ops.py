"""The vectorised ops against oracles: naive loops written here, and scipy's correlate2d."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

import conv_engine as ce
from conv_engine import ops
from conv_engine.arithmetic import transposed_output_size
from conv_engine.ops import avg_pool2d, conv_transpose2d

FAST = settings(max_examples=60, deadline=None)


# ---------------------------------------------------------------------------------------------
# Oracles. Each is the textbook definition with plain loops over output (or input) cells.


def keff(k: int, d: int) -> int:
    return d * (k - 1) + 1


def mode_pads(mode: str, k: tuple[int, int], d: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for a padding mode, as PyTorch defines them."""
    e = [keff(k[0], d[0]) - 1, keff(k[1], d[1]) - 1]
    if mode == "valid":
        return (0, 0, 0, 0)
    if mode == "full":
        return (e[0], e[0], e[1], e[1])
    return (e[0] // 2, e[0] - e[0] // 2, e[1] // 2, e[1] - e[1] // 2)  # same: extra at the end


def zero_pad(x: np.ndarray, pads, value: float = 0.0) -> np.ndarray:
    t, b, left, right = pads
    c, h, w = x.shape
    out = np.full((c, h + t + b, w + left + right), value, dtype=np.float64)
    out[:, t : t + h, left : left + w] = x
    return out


def naive_conv2d(x, w, bias, s, pads, d):
    xp = zero_pad(x, pads)
    c_out, _, kh, kw = w.shape
    ho = (xp.shape[1] - keff(kh, d[0])) // s[0] + 1
    wo = (xp.shape[2] - keff(kw, d[1])) // s[1] + 1
    out = np.zeros((c_out, ho, wo))
    for r in range(ho):
        for c in range(wo):
            acc = np.zeros(c_out)
            for i in range(kh):
                for j in range(kw):
                    acc += w[:, :, i, j] @ xp[:, r * s[0] + i * d[0], c * s[1] + j * d[1]]
            out[:, r, c] = acc if bias is None else acc + bias
    return out


def scipy_conv2d(x, w, bias, s, pads, d):
    """Sum over input channels of scipy's 'valid' correlation with the dilated kernel."""
    xp = zero_pad(x, pads)
    c_out, c_in, kh, kw = w.shape
    out = []
    for co in range(c_out):
        acc = 0.0
        for ci in range(c_in):
            kd = np.zeros((keff(kh, d[0]), keff(kw, d[1])))
            kd[:: d[0], :: d[1]] = w[co, ci]
            acc = acc + correlate2d(xp[ci], kd, mode="valid")[:: s[0], :: s[1]]
        out.append(acc + (0.0 if bias is None else bias[co]))
    return np.stack(out)


def scatter_conv_transpose2d(x, w, bias, s, p, a, d):
    """The definition: each input unit adds w * x into the output at stride positions, then
    ``p`` is cropped from every side and ``a`` extra rows/columns exist at the bottom/right."""
    c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    full = np.zeros((c_out, (h - 1) * s[0] + keff(kh, d[0]) + a[0],
                     (wd - 1) * s[1] + keff(kw, d[1]) + a[1]))
    for r in range(h):
        for c in range(wd):
            for i in range(kh):
                for j in range(kw):
                    full[:, r * s[0] + i * d[0], c * s[1] + j * d[1]] += x[:, r, c] @ w[:, :, i, j]
    out = full[:, p[0] : full.shape[1] - p[0], p[1] : full.shape[2] - p[1]]
    return out if bias is None else out + bias[:, None, None]


def naive_pool(x, k, s, pads, d, how):
    fill = -np.inf if how == "max" else 0.0
    xp = zero_pad(x, pads, fill)
    ho = (xp.shape[1] - keff(k[0], d[0])) // s[0] + 1
    wo = (xp.shape[2] - keff(k[1], d[1])) // s[1] + 1
    out = np.zeros((x.shape[0], ho, wo))
    for r in range(ho):
        for c in range(wo):
            win = xp[:, r * s[0] : r * s[0] + keff(k[0], d[0]) : d[0],
                     c * s[1] : c * s[1] + keff(k[1], d[1]) : d[1]]
            assert win.shape[1:] == k
            out[:, r, c] = win.max(axis=(1, 2)) if how == "max" else win.sum(axis=(1, 2)) / (
                k[0] * k[1]
            )
    return out


def naive_pointwise(x, w, bias):
    out = np.zeros((w.shape[0], *x.shape[1:]))
    for r in range(x.shape[1]):
        for c in range(x.shape[2]):
            out[:, r, c] = w @ x[:, r, c] + (0.0 if bias is None else bias)
    return out


# ---------------------------------------------------------------------------------------------
# Strategies


def as_arg(p: tuple[int, int], draw) -> int | tuple[int, int]:
    """An (h, w) parameter passed as an int when square (sometimes), else as a pair."""
    return p[0] if p[0] == p[1] and draw(st.booleans()) else p


def arrays(draw, shape, dtype=np.float64):
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def conv_cases(draw):
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    mode = draw(st.sampled_from(["int", "int", "valid", "same", "full"]))
    if mode == "int":
        s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        pads, padding = (p[0], p[0], p[1], p[1]), as_arg(p, draw)
    else:
        s = (1, 1) if mode == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        pads, padding = mode_pads(mode, k, d), mode
    lo = [max(1, keff(k[ax], d[ax]) - pads[2 * ax] - pads[2 * ax + 1]) for ax in (0, 1)]
    h, w = draw(st.integers(lo[0], lo[0] + 7)), draw(st.integers(lo[1], lo[1] + 7))
    x = arrays(draw, (c_in, h, w))
    wt = arrays(draw, (c_out, c_in, *k))
    bias = arrays(draw, (c_out,)) if draw(st.booleans()) else None
    kw = {"stride": as_arg(s, draw), "padding": padding, "dilation": as_arg(d, draw)}
    return x, wt, bias, kw, (s, pads, d)


@st.composite
def transposed_cases(draw):
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    a = (draw(st.integers(0, max(s[0], d[0]) - 1)), draw(st.integers(0, max(s[1], d[1]) - 1)))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    # Any padding that leaves at least one output cell, including p > k_eff - 1 (PyTorch's rule).
    pmax = [((n - 1) * ss + keff(kk, dd) + aa - 1) // 2 for n, ss, kk, dd, aa in
            zip((h, w), s, k, d, a, strict=True)]
    p = (draw(st.integers(0, pmax[0])), draw(st.integers(0, pmax[1])))
    x = arrays(draw, (c_in, h, w))
    wt = arrays(draw, (c_in, c_out, *k))
    bias = arrays(draw, (c_out,)) if draw(st.booleans()) else None
    kw = {"stride": as_arg(s, draw), "padding": as_arg(p, draw),
          "output_padding": as_arg(a, draw), "dilation": as_arg(d, draw)}
    return x, wt, bias, kw, (s, p, a, d)


@st.composite
def pool_cases(draw, dilated: bool):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if dilated else (1, 1)
    s = None if draw(st.booleans()) else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    lo = [max(1, keff(k[0], d[0]) - 2 * p[0]), max(1, keff(k[1], d[1]) - 2 * p[1])]
    h, w = draw(st.integers(lo[0], lo[0] + 7)), draw(st.integers(lo[1], lo[1] + 7))
    x = arrays(draw, (draw(st.integers(1, 3)), h, w))
    kw = {"stride": None if s is None else as_arg(s, draw), "padding": as_arg(p, draw)}
    if dilated:
        kw["dilation"] = as_arg(d, draw)
    return x, as_arg(k, draw), kw, (k, k if s is None else s, (p[0], p[0], p[1], p[1]), d)


# ---------------------------------------------------------------------------------------------
# Oracle tests


@FAST
@given(conv_cases())
def test_conv2d_matches_naive_loops_and_scipy(case):
    x, w, bias, kw, (s, pads, d) = case
    got = ce.conv2d(x, w, bias, **kw)
    naive = naive_conv2d(x, w, bias, s, pads, d)
    assert got.shape == naive.shape
    np.testing.assert_allclose(got, naive, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got, scipy_conv2d(x, w, bias, s, pads, d), rtol=1e-10, atol=1e-10)
    with mock.patch.object(ops, "_BAND_BYTES", 1):  # one output row per im2col band
        np.testing.assert_allclose(ce.conv2d(x, w, bias, **kw), naive, rtol=1e-10, atol=1e-10)


@FAST
@given(conv_cases())
def test_conv2d_float32_in_float32_out(case):
    x, w, bias, kw, (s, pads, d) = case
    b32 = None if bias is None else bias.astype(np.float32)
    got = ce.conv2d(x.astype(np.float32), w.astype(np.float32), b32, **kw)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, naive_conv2d(x, w, bias, s, pads, d), rtol=1e-4, atol=1e-4)


def test_conv2d_on_a_real_sized_float32_image_matches_scipy():
    # big enough for several im2col bands, with a stride and a dilation
    rng = np.random.default_rng(11)
    x = rng.standard_normal((8, 300, 130)).astype(np.float32)
    w = rng.standard_normal((4, 8, 3, 3)).astype(np.float32)
    got = ce.conv2d(x, w, stride=(1, 2), padding=2, dilation=2)
    assert got.dtype == np.float32
    want = scipy_conv2d(x.astype(np.float64), w.astype(np.float64), None, (1, 2), (2, 2, 2, 2),
                        (2, 2))
    assert got.shape == want.shape == (4, 300, 65)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["valid", "full"])
def test_conv2d_modes_match_scipy_modes(mode):
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((1, 9, 7)), rng.standard_normal((1, 1, 4, 3))
    want = correlate2d(x[0], w[0, 0], mode=mode)
    np.testing.assert_allclose(ce.conv2d(x, w, padding=mode)[0], want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("d", [1, 2])
def test_same_padding_keeps_size_and_puts_odd_extra_at_bottom_right(k, d):
    x = np.arange(1.0, 1 + 6 * 7).reshape(1, 6, 7)
    w = np.zeros((1, 1, k, k))
    w[0, 0, 0, 0] = 1.0  # picks the top-left tap: the output is x shifted by the top/left pad
    out = ce.conv2d(x, w, padding="same", dilation=d)
    assert out.shape == x.shape
    top = (d * (k - 1)) // 2
    np.testing.assert_array_equal(out, zero_pad(x, (top, top, top, top))[:, :6, :7])


@FAST
@given(transposed_cases())
def test_conv_transpose2d_matches_scatter_definition(case):
    x, w, bias, kw, (s, p, a, d) = case
    got = conv_transpose2d(x, w, bias, **kw)
    want = scatter_conv_transpose2d(x, w, bias, s, p, a, d)
    assert got.shape == want.shape
    assert got.shape[1:] == tuple(
        transposed_output_size(x.shape[ax + 1], w.shape[ax + 2], stride=s[ax], padding=p[ax],
                               output_padding=a[ax], dilation=d[ax]) for ax in (0, 1)
    )
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    b32 = None if bias is None else bias.astype(np.float32)
    got32 = conv_transpose2d(x32, w32, b32, **kw)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-4, atol=1e-4)


@FAST
@given(conv_cases())
def test_conv_transpose2d_is_the_adjoint_of_conv2d(case):
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)>, the transposed matrix of the guide."""
    x, w, _, kw, (s, pads, d) = case
    assume(pads[0] == pads[1] and pads[2] == pads[3])  # a transposed conv pads symmetrically
    y = np.random.default_rng(3).standard_normal(ce.conv2d(x, w, **kw).shape)
    a = tuple((x.shape[ax + 1] + 2 * pads[2 * ax] - keff(w.shape[ax + 2], d[ax])) % s[ax]
              for ax in (0, 1))
    back = conv_transpose2d(y, w, stride=s, padding=(pads[0], pads[2]), output_padding=a,
                            dilation=d)
    assert back.shape == x.shape
    lhs = float(np.sum(ce.conv2d(x, w, **kw) * y))
    assert lhs == pytest.approx(float(np.sum(x * back)), rel=1e-9, abs=1e-9)


@FAST
@given(pool_cases(dilated=True))
def test_max_pool2d_matches_naive_loops(case):
    x, k_arg, kw, (k, s, pads, d) = case
    got = ce.max_pool2d(x, k_arg, **kw)
    want = naive_pool(x, k, s, pads, d, "max")
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    got32 = ce.max_pool2d(x.astype(np.float32), k_arg, **kw)
    assert got32.dtype == np.float32
    np.testing.assert_array_equal(got32, want.astype(np.float32))


@FAST
@given(pool_cases(dilated=False))
def test_avg_pool2d_matches_naive_loops_counting_padding(case):
    x, k_arg, kw, (k, s, pads, d) = case
    got = avg_pool2d(x, k_arg, **kw)
    want = naive_pool(x, k, s, pads, d, "avg")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got32 = avg_pool2d(x.astype(np.float32), k_arg, **kw)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, rtol=1e-5, atol=1e-5)


@FAST
@given(
    st.integers(1, 5), st.integers(1, 5), st.integers(1, 6), st.integers(1, 6), st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_pointwise_matches_per_pixel_loop_and_1x1_conv2d(c_in, c_out, h, w, with_bias, seed):
    rng = np.random.default_rng(seed)
    x, wm = rng.standard_normal((c_in, h, w)), rng.standard_normal((c_out, c_in))
    bias = rng.standard_normal(c_out) if with_bias else None
    got = ce.pointwise(x, wm, bias)
    np.testing.assert_allclose(got, naive_pointwise(x, wm, bias), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, ce.conv2d(x, wm[:, :, None, None], bias), rtol=1e-12,
                               atol=1e-12)
    b32 = None if bias is None else bias.astype(np.float32)
    got32 = ce.pointwise(x.astype(np.float32), wm.astype(np.float32), b32)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, naive_pointwise(x, wm, bias), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Known answers and small properties


def test_conv2d_bias_is_added_once_per_output_channel():
    x = np.ones((2, 3, 3))
    w = np.ones((2, 2, 3, 3))
    w[1] *= 2
    out = ce.conv2d(x, w, np.array([10.0, -1.0]))
    # 2 channels x 9 taps x 1 = 18, plus 10; and 2 x 9 x 2 = 36, minus 1
    np.testing.assert_array_equal(out, np.array([[[28.0]], [[35.0]]]))


def test_conv2d_is_cross_correlation_not_convolution():
    x = np.arange(9.0).reshape(1, 3, 3)
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 0, 0] = 1.0  # an unflipped kernel reads the top-left input
    assert ce.conv2d(x, w)[0, 0, 0] == 0.0


def test_conv_transpose2d_of_a_single_unit_stamps_the_kernel():
    w = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    x = np.zeros((1, 2, 2))
    x[0, 1, 0] = 2.0
    out = conv_transpose2d(x, w, stride=2)
    want = np.zeros((1, 5, 5))
    want[0, 2:5, 0:3] = 2.0 * w[0, 0]
    np.testing.assert_array_equal(out, want)


def test_max_pool2d_padding_never_wins_and_keeps_integer_dtype():
    x = -np.arange(1, 17).reshape(1, 4, 4)  # all negative: a zero from padding would win
    out = ce.max_pool2d(x, 3, stride=1, padding=1)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out[0, 0], [-1, -1, -2, -3])
    assert out.max() < 0


def test_avg_pool2d_counts_padded_zeros():
    x = np.full((1, 2, 2), 9.0)
    out = avg_pool2d(x, 3, stride=1, padding=1)
    # every 3x3 window holds the four 9s and five padded zeros: 36 / 9
    np.testing.assert_array_equal(out, np.full((1, 2, 2), 4.0))


def test_avg_pool2d_of_integers_is_float():
    out = avg_pool2d(np.array([[[1, 2], [3, 5]]], dtype=np.uint8), 2)
    assert out.dtype.kind == "f"
    assert out[0, 0, 0] == pytest.approx(11 / 4)


def test_pool_stride_defaults_to_the_kernel_size():
    x = np.arange(36.0).reshape(1, 6, 6)
    np.testing.assert_array_equal(ce.max_pool2d(x, 2), [[[7, 9, 11], [19, 21, 23], [31, 33, 35]]])


def test_relu():
    np.testing.assert_array_equal(ce.relu(np.array([-2.0, 0.0, 3.5])), [0.0, 0.0, 3.5])
    assert ce.relu(np.ones(3, dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("k", [1, 3])
def test_views_give_the_same_result_as_contiguous_copies(k):
    rng = np.random.default_rng(2)
    base = rng.standard_normal((9, 12, 3)).astype(np.float32)
    view = base.transpose(2, 0, 1)[:, ::-1, ::2]  # (3, 12, 5), not contiguous
    w = rng.standard_normal((2, 3, k, k)).astype(np.float32)
    np.testing.assert_array_equal(ce.conv2d(view, w), ce.conv2d(np.ascontiguousarray(view), w))
    np.testing.assert_array_equal(
        ce.pointwise(view, w[:, :, 0, 0]), ce.pointwise(np.ascontiguousarray(view), w[:, :, 0, 0])
    )


def test_ops_accept_integer_images():
    x = np.array([[[0, 255], [128, 1]]], dtype=np.uint8)
    out = ce.conv2d(x, np.ones((1, 1, 2, 2)))
    assert out[0, 0, 0] == 384.0  # no uint8 wrap-around


# ---------------------------------------------------------------------------------------------
# Bad input: a ValueError that names the parameter

X, W = np.ones((2, 5, 5)), np.ones((3, 2, 3, 3))
WT = np.ones((2, 3, 3, 3))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ce.conv2d(X, W, stride=0), r"stride must be >= 1, got 0"),
        (lambda: ce.conv2d(X, W, stride=(1, -1)), r"stride must be >= 1"),
        (lambda: ce.conv2d(X, W, dilation=0), r"dilation must be >= 1, got 0"),
        (lambda: ce.conv2d(X, W, padding=-1), r"padding must be >= 0, got -1"),
        (lambda: ce.conv2d(X, W, padding=(0, -2)), r"padding must be >= 0"),
        (lambda: ce.conv2d(X, np.ones((3, 2, 6, 6))), r"kernel_size 6 is larger than the padded"),
        (lambda: ce.conv2d(X, W, dilation=3), r"kernel_size 3 with dilation 3 \(extent 7\)"),
        (lambda: ce.conv2d(X, np.ones((3, 4, 3, 3))), r"channel mismatch: x has 2 channels"),
        (lambda: ce.conv2d(X[0], W), r"x must have 3 dimensions"),
        (lambda: ce.conv2d(X, W[0]), r"w must have 4 dimensions"),
        (lambda: ce.conv2d(np.full((2, 5, 5), "a"), W), r"x must be numeric"),
        (lambda: ce.conv2d(X.astype(object), W), r"x must be numeric"),
        (lambda: ce.conv2d(X, W.astype(complex)), r"w must be numeric"),
        (lambda: ce.conv2d(X, W, stride=True), r"stride must be an integer, got True"),
        (lambda: ce.conv2d(X, W, padding=False), r"padding must be an integer"),
        (lambda: ce.conv2d(X, W, dilation=1.5), r"dilation must be an integer"),
        (lambda: ce.conv2d(X, W, stride=(1, 2, 3)), r"stride must be an int or an \(h, w\) pair"),
        (lambda: ce.conv2d(X, W, padding="half"), r"padding must be .*'same'.*got 'half'"),
        (lambda: ce.conv2d(X, W, padding="same", stride=2), r"padding='same' needs stride 1"),
        (lambda: ce.conv2d(X, W, np.ones(2)), r"bias must have 3 entries"),
        (lambda: ce.conv2d(np.ones((2, 0, 5)), W), r"x must not be empty"),
        (lambda: conv_transpose2d(X, WT, stride=2, output_padding=2),
         r"output_padding must be .* \(< 2\), got 2"),
        (lambda: conv_transpose2d(X, WT, output_padding=1), r"output_padding .* got 1"),
        (lambda: conv_transpose2d(X, WT, dilation=2, output_padding=2), r"\(< 2\), got 2"),
        (lambda: conv_transpose2d(X, WT, stride=0), r"stride must be >= 1"),
        (lambda: conv_transpose2d(X, WT, padding=-1), r"padding must be >= 0"),
        (lambda: conv_transpose2d(X, WT, padding=6), r"padding 6 crops the whole output"),
        (lambda: conv_transpose2d(X, W), r"channel mismatch: x has 2 channels"),
        (lambda: conv_transpose2d(X, WT, dilation=True), r"dilation must be an integer"),
        (lambda: ce.max_pool2d(X, 3, padding=2), r"padding must be at most half the pooling"),
        (lambda: ce.max_pool2d(X, (2, 4), padding=(1, 3)), r"at most half .* \(2\), got 3"),
        (lambda: avg_pool2d(X, 2, padding=2), r"padding must be at most half the pooling"),
        (lambda: ce.max_pool2d(X, 6), r"kernel_size 6 is larger than the padded input"),
        (lambda: ce.max_pool2d(X, 0), r"kernel_size must be >= 1"),
        (lambda: ce.max_pool2d(X, 2, stride=0), r"stride must be >= 1"),
        (lambda: avg_pool2d(X[0], 2), r"x must have 3 dimensions"),
        (lambda: avg_pool2d(np.full((1, 4, 4), "s"), 2), r"x must be numeric"),
        (lambda: ce.pointwise(X, np.ones((3, 4))), r"channel mismatch: x has 2 channels"),
        (lambda: ce.pointwise(X, np.ones((3, 2, 1, 1))), r"w must have 2 dimensions"),
        (lambda: ce.pointwise(X.astype(str), np.ones((3, 2))), r"x must be numeric"),
        (lambda: ce.relu(np.array(["a"])), r"x must be numeric"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_raises_a_value_error_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    ("call", "name", "values"),
    [
        # One input value: the padded input and the output are 11,581 x 11,581 each, under
        # the budget one at a time (134,119,561 values), about 2 GiB of float64 together.
        (lambda: ce.conv2d(np.ones((1, 1, 1)), np.ones((1, 1, 1, 1)), padding=5790),
         "padding", "268,250,703"),
        # Stride 9000 inserts 8,999 zeros between two input cells: a 9,001-sided grid and output.
        (lambda: conv_transpose2d(np.ones((1, 2, 2)), np.ones((1, 1, 1, 1)), stride=9000),
         "stride", "162,045,003"),
        (lambda: conv_transpose2d(np.ones((1, 2, 2)), np.ones((1, 1, 2, 2)), dilation=12000),
         "dilation", "720,192,016"),
    ],
)
def test_arrays_of_one_call_are_refused_together_before_any_is_allocated(call, name, values):
    with pytest.raises(ce.ParameterError, match=rf"would hold {values} values together, more "
                                                r"than the 134,217,728 allowed") as info:
        call()
    assert info.value.name == name


def test_large_images_are_fine_for_the_plain_ops():
    x = np.zeros((1, 200, 200), dtype=np.float32)  # too many cells to animate, not to compute
    assert ce.conv2d(x, np.ones((1, 1, 3, 3), dtype=np.float32), padding=1).shape == (1, 200, 200)
