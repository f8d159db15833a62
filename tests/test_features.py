"""Feature stacks, 1x1 reduction weights, their learning by SGD, costs and quality."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conv_engine.features import FeatureStack, _upsample_into, feature_stack
from conv_engine.limits import MAX_SAMPLE_PIXELS
from conv_engine.ops import pointwise
from conv_engine.reductions import (
    learn_pointwise,
    reduction_cost,
    reduction_curve,
    reduction_quality,
    reduction_weights,
)


def _scene(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    """A small synthetic photograph: sky gradient, coloured blocks, striped patches, noise."""
    rng = np.random.default_rng(seed)
    row, col = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([0.3 + 0.4 * row / h, 0.5 + 0.2 * col / w, 0.9 - 0.5 * row / h], axis=-1)
    img[h // 2 :, : w // 3] = (0.7, 0.2, 0.1)
    stripes = 0.5 + 0.5 * np.cos(2 * np.pi * col / 5)
    img[h // 2 :, w // 3 : 2 * w // 3] = stripes[h // 2 :, w // 3 : 2 * w // 3, None]
    diag = 0.5 + 0.5 * np.cos(2 * np.pi * (col + row) / 9)
    img[: h // 2, 2 * w // 3 :, 1] = diag[: h // 2, 2 * w // 3 :]
    img += rng.normal(0, 0.03, img.shape)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def stack() -> FeatureStack:
    return feature_stack(_scene())


def _pixels(s: FeatureStack) -> np.ndarray:
    """(C, N) float64: every pixel of a small stack (below the sampling limit)."""
    assert s.maps.shape[1] * s.maps.shape[2] <= MAX_SAMPLE_PIXELS
    return s.maps.reshape(s.maps.shape[0], -1).astype(np.float64)


def _top_k_fraction(s: FeatureStack, k: int) -> float:
    cov = np.cov(_pixels(s))
    vals = np.linalg.eigvalsh(cov)[::-1]
    return float(vals[:k].sum() / vals.sum())


# --------------------------------------------------------------------------- feature_stack


@pytest.mark.parametrize(("orientations", "scales"), [(8, 2), (1, 1), (4, 3), (6, 4)])
def test_feature_stack_shape_dtype_names(orientations, scales):
    img = _scene(40, 52)
    s = feature_stack(img, orientations=orientations, scales=scales)
    c = 3 + orientations * scales
    assert s.maps.shape == (c, 40, 52)
    assert s.shape == (c, 40, 52)
    assert s.maps.dtype == np.float32
    assert len(s.names) == c
    assert len(set(s.names)) == c
    assert s.names[:3] == ("R", "G", "B")
    assert s.names[3] == "0° fine"
    assert np.isfinite(s.maps).all()
    assert (s.maps[3:] >= 0).all()  # energies are rectified


def test_default_names():
    s = feature_stack(_scene(16, 16))
    assert len(s.names) == 19
    assert s.names[3:5] == ("0° fine", "22.5° fine")
    assert s.names[-1] == "157.5° coarse"
    assert "45° coarse" in s.names


def test_colour_channels_are_rgb_in_unit_range():
    img = _scene()
    s = feature_stack(img)
    np.testing.assert_allclose(s.maps[:3], img.transpose(2, 0, 1) / 255, atol=1e-6)


def test_gray_and_rgba_inputs():
    img = _scene(32, 40)
    gray = img[..., 1]
    sg = feature_stack(gray)
    for ch in range(3):
        np.testing.assert_allclose(sg.maps[ch], gray / 255, atol=1e-6)
    rgba = np.concatenate([img, np.full((32, 40, 1), 7, np.uint8)], axis=-1)
    np.testing.assert_array_equal(feature_stack(rgba).maps, feature_stack(img).maps)


def test_float_and_uint16_inputs_match_uint8():
    img = _scene(24, 30)
    ref = feature_stack(img).maps
    np.testing.assert_allclose(feature_stack(img / 255).maps, ref, atol=1e-5)
    np.testing.assert_allclose(feature_stack(img.astype(np.uint16) * 257).maps, ref, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (7, 13), (5, 200)])
def test_odd_and_tiny_sizes_keep_their_size(shape):
    s = feature_stack(np.full((*shape, 3), 90, np.uint8))
    assert s.maps.shape == (19, *shape)
    # A flat image has no texture anywhere, borders included (kernels have no DC response
    # and the borders are reflected, not zero-padded).
    np.testing.assert_allclose(s.maps[3:], 0, atol=1e-5)


def _stripes(angle: float, wavelength: float, size: int = 96) -> np.ndarray:
    """Sinusoidal stripes running at ``angle`` degrees anticlockwise from horizontal on screen."""
    row, col = np.mgrid[0:size, 0:size].astype(np.float64)
    up = -row  # screen "up"
    a = np.deg2rad(angle)
    across = -col * np.sin(a) + up * np.cos(a)  # distance perpendicular to the stripes
    return 0.5 + 0.5 * np.cos(2 * np.pi * across / wavelength)


def test_stripe_builder_matches_screen_directions():
    # The oracle for the orientation test: check it by hand on the two obvious cases.
    vertical = _stripes(90, 6)
    assert np.allclose(vertical, vertical[:1])  # constant down each column
    horizontal = _stripes(0, 6)
    assert np.allclose(horizontal, horizontal[:, :1])  # constant along each row
    slash = _stripes(45, 6)
    assert np.isclose(slash[10, 20], slash[9, 21])  # "/": one up, one right, same stripe


@pytest.mark.parametrize("angle", [0, 45, 90, 135])
@pytest.mark.parametrize(("wavelength", "scale"), [(4.5, "fine"), (8.5, "coarse")])
def test_orientation_tuning(angle, wavelength, scale):
    s = feature_stack(_stripes(angle, wavelength))
    centre = s.maps[:, 24:-24, 24:-24].mean(axis=(1, 2))
    idx = [i for i, n in enumerate(s.names) if n.endswith(scale)]
    best = s.names[idx[int(np.argmax(centre[idx]))]]
    assert best == f"{angle}° {scale}"
    orthogonal = s.names.index(f"{(angle + 90) % 180}° {scale}")
    assert centre[idx].max() > 10 * centre[orthogonal]


def test_vertical_stripe_image_excites_90_degrees_most():
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, (np.arange(64) % 4) < 2] = 255  # vertical bars, period 4 px
    s = feature_stack(img)
    centre = s.maps[3:, 16:-16, 16:-16].mean(axis=(1, 2))
    assert s.names[3 + int(np.argmax(centre))] == "90° fine"


def test_energy_ignores_contrast_polarity():
    img = _scene(48, 48)
    a = feature_stack(img).maps[3:]
    b = feature_stack(255 - img).maps[3:]
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((8, 8, 2), np.uint8),
        np.zeros((8, 8, 3, 1), np.uint8),
        np.zeros(8, np.uint8),
        np.zeros((0, 8, 3), np.uint8),
        np.full((8, 8), "a"),
        np.zeros((8, 8), complex),
        np.full((8, 8), np.nan),
    ],
)
def test_feature_stack_rejects_bad_images(bad):
    with pytest.raises(ValueError, match="image"):
        feature_stack(bad)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"orientations": 0}, "orientations"),
        ({"orientations": 33}, "orientations"),
        ({"orientations": 2.0}, "orientations"),
        ({"scales": 0}, "scales"),
        ({"scales": 5}, "scales"),
        ({"scales": True}, "scales"),
    ],
)
def test_feature_stack_rejects_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        feature_stack(_scene(8, 8), **kwargs)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    factor=st.sampled_from([1, 2, 4, 8]),
    trim=st.integers(0, 7),
    seed=st.integers(0, 2**16),
)
def test_coarse_maps_upsample_bilinearly(h, w, factor, trim, seed):
    # Oracle: each output pixel centre mapped back, clamped, and blended from its 2x2 neighbours.
    small = np.random.default_rng(seed).random((h, w)).astype(np.float32)
    out_h, out_w = max(1, h * factor - trim % factor), max(1, w * factor - trim % factor)
    expected = np.empty((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            u = min(max((i + 0.5) / factor - 0.5, 0), h - 1)
            v = min(max((j + 0.5) / factor - 0.5, 0), w - 1)
            i0, j0 = int(u), int(v)
            i1, j1 = min(i0 + 1, h - 1), min(j0 + 1, w - 1)
            a, b = u - i0, v - j0
            expected[i, j] = (1 - a) * ((1 - b) * small[i0, j0] + b * small[i0, j1]) + a * (
                (1 - b) * small[i1, j0] + b * small[i1, j1]
            )
    out = np.empty((out_h, out_w), np.float32)
    _upsample_into(out, small, factor)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_feature_stack_needs_one_name_per_channel():
    with pytest.raises(ValueError, match="names"):
        FeatureStack(np.zeros((3, 2, 2), np.float32), ("R", "G"))


# --------------------------------------------------------------------------- weights


@pytest.mark.parametrize("k", [1, 3, 7])
def test_pca_rows_orthonormal_and_optimal(stack, k):
    w, b = reduction_weights(stack, k, "pca")
    c = stack.maps.shape[0]
    assert w.shape == (k, c) and b.shape == (k,)
    np.testing.assert_allclose(w.astype(np.float64) @ w.T, np.eye(k), atol=1e-5)
    np.testing.assert_allclose(b, -w @ _pixels(stack).mean(axis=1), atol=1e-5)
    q = reduction_quality(stack, w, b)
    assert q.retained == pytest.approx(_top_k_fraction(stack, k), abs=1e-5)


def test_pca_outputs_are_centred_and_decorrelated(stack):
    w, b = reduction_weights(stack, 4, "pca")
    y = pointwise(stack.maps, w, b).reshape(4, -1).astype(np.float64)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    cov = np.cov(y)
    off = cov - np.diag(np.diag(cov))
    assert np.abs(off).max() < 1e-3 * cov[0, 0]
    assert np.all(np.diff(np.diag(cov)) <= 1e-9)  # variances come out largest first


def test_pca_beats_random_and_mean(stack):
    for k in (1, 2, 4, 8):
        pca = reduction_quality(stack, *reduction_weights(stack, k, "pca"))
        for method in ("random", "mean"):
            other = reduction_quality(stack, *reduction_weights(stack, k, method))
            assert pca.retained > other.retained
            assert pca.mse < other.mse


def test_mean_weights_pool_contiguous_groups(stack):
    c = stack.maps.shape[0]
    for k in (1, 2, 5, c):
        w, b = reduction_weights(stack, k, "mean")
        assert w.shape == (k, c)
        np.testing.assert_array_equal(b, 0)
        np.testing.assert_allclose(w.sum(axis=1), 1, atol=1e-6)
        members = w > 0
        assert (members.sum(axis=0) == 1).all()  # every channel in exactly one group
        sizes = members.sum(axis=1)
        assert sizes.max() - sizes.min() <= 1
        for row, n in zip(w, sizes, strict=True):  # equal weights on one contiguous run
            idx = np.flatnonzero(row)
            assert np.array_equal(idx, np.arange(idx[0], idx[0] + n))
            np.testing.assert_allclose(row[idx], 1 / n, atol=1e-7)
        starts = [np.flatnonzero(r)[0] for r in w]
        assert starts == sorted(starts)
    w, _ = reduction_weights(stack, c, "mean")
    np.testing.assert_array_equal(w, np.eye(c))


def test_random_weights_seeded_unit_rows(stack):
    c = stack.maps.shape[0]
    w, b = reduction_weights(stack, 5, "random", seed=3)
    assert w.shape == (5, c) and b.shape == (5,)
    np.testing.assert_array_equal(b, 0)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1, atol=1e-6)
    np.testing.assert_array_equal(w, reduction_weights(stack, 5, "random", seed=3)[0])
    assert not np.allclose(w, reduction_weights(stack, 5, "random", seed=4)[0])
    np.testing.assert_array_equal(w[:2], reduction_weights(stack, 2, "random", seed=3)[0])


def test_weights_are_float32_so_pointwise_stays_float32(stack):
    for method in ("pca", "random", "mean"):
        w, b = reduction_weights(stack, 3, method)
        assert w.dtype == b.dtype == np.float32
        assert pointwise(stack.maps, w, b).dtype == np.float32


def test_weights_accept_plain_arrays(stack):
    a = reduction_weights(stack.maps, 2, "pca")
    b = reduction_weights(stack, 2, "pca")
    np.testing.assert_array_equal(a[0], b[0])


def test_large_stack_is_subsampled_without_losing_the_answer():
    rng = np.random.default_rng(1)
    mix = rng.normal(size=(6, 6)) * np.array([3, 2, 1, 0.5, 0.2, 0.1])
    full = (mix @ rng.normal(size=(6, 300 * 300))).reshape(6, 300, 300).astype(np.float32)
    vals = np.linalg.eigvalsh(np.cov(full.reshape(6, -1).astype(np.float64)))[::-1]
    w, b = reduction_weights(full, 2, "pca")
    q = reduction_quality(full, w, b)
    assert q.retained == pytest.approx(vals[:2].sum() / vals.sum(), abs=0.01)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((0, "pca"), "k"),
        ((20, "pca"), "k"),
        ((1.5, "pca"), "k"),
        ((2, "median"), "method"),
    ],
)
def test_reduction_weights_rejects_bad_arguments(stack, args, name):
    with pytest.raises(ValueError, match=name):
        reduction_weights(stack, *args)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4)), np.zeros((2, 0, 3)), np.full((2, 2, 2), "x"), np.full((2, 3, 3), np.inf)],
)
def test_reduction_weights_rejects_bad_stacks(bad):
    with pytest.raises(ValueError, match="stack"):
        reduction_weights(bad, 1, "pca")


# --------------------------------------------------------------------------- cost and quality


def test_cost_of_the_classic_example():
    cost = reduction_cost(50, 20, 200, 200)
    assert cost.params == 20 * 50 + 20 == 1020
    assert cost.mult_adds == 200 * 200 * 50 * 20 == 40_000_000
    params, mult_adds = reduction_cost(50, 20, 200, 200, kernel_size=3)
    assert params == 20 * 50 * 9 + 20
    assert mult_adds == 360_000_000


@pytest.mark.parametrize("args", [(0, 1, 1, 1), (1, 0, 1, 1), (1, 1, -1, 1), (1, 1, 1, 2.0)])
def test_cost_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="must be"):
        reduction_cost(*args)


def test_quality_matches_least_squares_reconstruction(stack):
    # Oracle: decode pixels from the k outputs by least squares, measure the residual.
    rng = np.random.default_rng(5)
    c = stack.maps.shape[0]
    x = _pixels(stack)
    for k in (1, 3, 6):
        w, b = rng.normal(size=(k, c)), rng.normal(size=k)
        y = np.vstack([w @ x + b[:, None], np.ones(x.shape[1])])
        coef = np.linalg.lstsq(y.T, x.T, rcond=None)[0]
        resid = x.T - y.T @ coef
        mse = float(np.mean(resid**2))
        total = float(np.var(x, axis=1).sum())
        q = reduction_quality(stack, w, b)
        assert q.mse == pytest.approx(mse, rel=1e-6)
        assert q.retained == pytest.approx(1 - mse * c / total, abs=1e-6)
        assert q.total_variance == pytest.approx(total, rel=1e-9)


def test_quality_with_relu(stack):
    w, _ = reduction_weights(stack, 3, "random", seed=1)
    linear = reduction_quality(stack, w)
    # A bias that keeps every output positive makes the ReLU the identity.
    high = reduction_quality(stack, w, np.full(3, 100.0), relu=True)
    assert high.retained == pytest.approx(linear.retained, abs=1e-6)
    # One that keeps every output negative leaves nothing to decode from.
    low = reduction_quality(stack, w, np.full(3, -100.0), relu=True)
    assert low.retained == pytest.approx(0, abs=1e-9)


def test_quality_rejects_mismatched_weights(stack):
    with pytest.raises(ValueError, match="W"):
        reduction_quality(stack, np.ones((2, 5)))
    with pytest.raises(ValueError, match="b"):
        reduction_quality(stack, np.ones((2, 19)), np.ones(3))


def test_reduction_curve(stack):
    c, h, w = stack.maps.shape
    curve = reduction_curve(stack)
    np.testing.assert_array_equal(curve.ks, np.arange(1, c + 1))
    expected = [_top_k_fraction(stack, k) for k in curve.ks]
    np.testing.assert_allclose(curve.retained["pca"], expected, atol=1e-6)
    for m in ("pca", "random", "mean"):
        if m != "mean":  # nested: k + 1 outputs include the k; mean's groups are redrawn
            assert np.all(np.diff(curve.retained[m]) >= -1e-9)
        assert curve.retained[m][-1] == pytest.approx(1, abs=1e-6)
        assert np.all(curve.retained["pca"] >= curve.retained[m] - 1e-9)
    for k in (2, 5):
        q = reduction_quality(stack, *reduction_weights(stack, k, "mean"))
        assert curve.retained["mean"][k - 1] == pytest.approx(q.retained, abs=1e-9)
        assert curve.mse["mean"][k - 1] == pytest.approx(q.mse, rel=1e-6)
        assert (curve.params[k - 1], curve.mult_adds[k - 1]) == reduction_cost(c, k, h, w)


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_no_reduction_beats_pca(k, seed):
    rng = np.random.default_rng(seed)
    maps = (rng.normal(size=(6, 6)) @ rng.normal(size=(6, 400))).reshape(6, 20, 20)
    w = rng.normal(size=(k, 6))
    q = reduction_quality(maps, w)
    best = reduction_quality(maps, *reduction_weights(maps, k, "pca"))
    assert -1e-9 <= q.retained <= best.retained + 1e-6
    assert q.mse >= best.mse - 1e-6 * best.total_variance


# --------------------------------------------------------------------------- learning


def test_learned_reduction_approaches_pca(stack):
    k = 3
    c = stack.maps.shape[0]
    vals = np.linalg.eigvalsh(np.cov(_pixels(stack), ddof=0))[::-1]
    pca_mse = vals[k:].sum() / c
    r = learn_pointwise(stack, k)
    assert r.w.shape == (k, c) and r.b.shape == (k,) and r.w.dtype == np.float32
    assert r.v.shape == (c, k) and r.c.shape == (c,)
    assert r.loss.shape == (1000,)
    assert r.loss[:5].mean() > 4 * r.loss[-50:].mean()
    assert r.pca_mse == pytest.approx(pca_mse, rel=1e-6)
    assert pca_mse <= r.mse < 1.03 * pca_mse
    # The encoder alone, with the best decoder, is as good: it found PCA's subspace.
    assert reduction_quality(stack, r.w, r.b).mse < 1.03 * pca_mse
    # And its own decoder reproduces the reported error on real pixels.
    x = _pixels(stack)
    x_hat = r.v @ (r.w.astype(np.float64) @ x + r.b[:, None]) + r.c[:, None]
    assert np.mean((x_hat - x) ** 2) == pytest.approx(r.mse, rel=1e-3)


def test_learning_with_momentum_also_converges(stack):
    r = learn_pointwise(stack, 2, optimizer="momentum", lr=0.3, steps=600)
    assert r.mse < 1.05 * r.pca_mse


def test_learning_reports_progress_and_is_seeded(stack):
    calls = []
    r = learn_pointwise(stack, 2, steps=45, every=10, callback=lambda s, v: calls.append((s, v)))
    assert [s for s, _ in calls] == [10, 20, 30, 40, 45]
    assert calls[0][1] == pytest.approx(r.loss[:10].mean())
    assert calls[-1][1] == pytest.approx(r.loss[40:].mean())
    again = learn_pointwise(stack, 2, steps=45)
    np.testing.assert_array_equal(again.w, r.w)
    other = learn_pointwise(stack, 2, steps=45, seed=1)
    assert not np.array_equal(other.w, r.w)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"steps": 0}, "steps"),
        ({"lr": 0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"batch": 0}, "batch"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"momentum": 1.0}, "momentum"),
        ({"every": 0}, "every"),
        ({"callback": 3}, "callback"),
    ],
)
def test_learn_pointwise_rejects_bad_arguments(stack, kwargs, name):
    with pytest.raises(ValueError, match=name):
        learn_pointwise(stack, 2, **kwargs)


def test_features_module_does_not_import_streamlit():
    code = "import sys, conv_engine.features; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
