"""Trust on Your image: every number a student checks adds up.

The SGD reduction survives later touches of the page; "Variance kept" is measured on
standardised channels by default (raw on request), checked against eigenvalues computed here;
tile labels fit any image size; shapes read H x W.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFont

import conv_engine as ce
from conv_engine.features import FeatureStack, feature_stack
from conv_engine.limits import MAX_SAMPLE_PIXELS
from conv_engine.ops import pointwise
from conv_engine.reductions import (
    learn_pointwise,
    reduction_curve,
    reduction_quality,
    reduction_weights,
)
from conv_engine.render.maps import colorize, maps_grid
from tests.test_app import _app, _no_errors
from tests.test_features import _scene
from ui.features_cache import METHOD_LABELS
from ui.image_input import UPLOAD

PAGE = "app_pages/your_image.py"


@pytest.fixture(scope="module")
def stack() -> FeatureStack:
    return feature_stack(_scene())


def _pixels(maps: np.ndarray) -> np.ndarray:
    """(C, N) float64: every pixel of a small stack (below the sampling limit)."""
    assert maps.shape[1] * maps.shape[2] <= MAX_SAMPLE_PIXELS
    return maps.reshape(maps.shape[0], -1).astype(np.float64)


def _eig_desc(m: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(m)[::-1]


def _corr_top_k(x: np.ndarray, k: int) -> float:
    """Oracle: sum of the top-k eigenvalues of the correlation matrix over its size."""
    vals = _eig_desc(np.corrcoef(x))
    return float(vals[:k].sum() / len(vals))


def _cov_top_k(x: np.ndarray, k: int) -> float:
    vals = _eig_desc(np.cov(x))
    return float(vals[:k].sum() / vals.sum())


# --------------------------------------------------------------------------- standardised PCA


def test_standardised_pca_keeps_the_top_eigenvalues_of_the_correlation_matrix(stack):
    x = _pixels(stack.maps)
    c = x.shape[0]
    curve = reduction_curve(stack, standardize=True)
    for k in range(1, c + 1):
        expected = _corr_top_k(x, k)
        q = reduction_quality(stack, *reduction_weights(stack, k, "pca", standardize=True),
                              standardize=True)
        assert q.retained == pytest.approx(expected, abs=1e-5)
        assert curve.retained["pca"][k - 1] == pytest.approx(expected, abs=1e-9)
        assert q.total_variance == pytest.approx(c, rel=1e-9)  # trace of a correlation matrix


def test_standardised_pca_outputs_are_the_principal_components_of_z_scores(stack):
    k = 4
    x = _pixels(stack.maps)
    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    vals, vecs = np.linalg.eigh(np.corrcoef(x))
    vals, vecs = vals[::-1], vecs[:, ::-1]
    w, b = reduction_weights(stack, k, "pca", standardize=True)
    y = pointwise(stack.maps, w, b).reshape(k, -1).astype(np.float64)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-4)
    np.testing.assert_allclose(np.cov(y, ddof=0), np.diag(vals[:k]), atol=1e-3 * vals[0])
    for i in range(k):  # the same scores as the oracle's components, up to sign
        assert abs(np.corrcoef(y[i], vecs[:, i] @ z)[0, 1]) == pytest.approx(1, abs=1e-5)


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("method", ["pca", "random", "mean"])
def test_keeping_every_channel_keeps_everything(stack, method, standardize):
    c = stack.maps.shape[0]
    w, b = reduction_weights(stack, c, method, standardize=standardize)
    q = reduction_quality(stack, w, b, standardize=standardize)
    assert q.retained == pytest.approx(1, abs=1e-6)
    curve = reduction_curve(stack, standardize=standardize)
    assert curve.retained[method][-1] == pytest.approx(1, abs=1e-6)


def test_standardised_measure_ignores_a_channel_s_units_and_raw_does_not(stack):
    scaled = stack.maps.copy()
    scaled[4] *= 1000  # one Gabor channel in other units: millivolts instead of volts
    k = 3
    std = [reduction_quality(m, *reduction_weights(m, k, "pca", standardize=True),
                             standardize=True).retained for m in (stack.maps, scaled)]
    raw = [reduction_quality(m, *reduction_weights(m, k, "pca")).retained
           for m in (stack.maps, scaled)]
    assert std[1] == pytest.approx(std[0], abs=1e-6)
    assert std[0] == pytest.approx(_corr_top_k(_pixels(scaled), k), abs=1e-5)
    assert abs(raw[1] - raw[0]) > 0.05
    # The weights absorb the change of units: the same output maps come out.
    y0 = pointwise(stack.maps, *reduction_weights(stack.maps, k, "pca", standardize=True))
    y1 = pointwise(scaled, *reduction_weights(scaled, k, "pca", standardize=True))
    np.testing.assert_allclose(y1, y0, atol=1e-3 * float(np.abs(y0).max()))


def test_default_sample_standardised_k3_keeps_clearly_less_than_raw():
    img = ce.load_sample(next(iter(ce.SAMPLES)), work_side=512)
    fs = feature_stack(img.rgb, orientations=4, scales=2)  # the page's defaults
    x = fs.maps.reshape(fs.shape[0], -1).astype(np.float64)  # every pixel, no sampling
    raw_oracle, std_oracle = _cov_top_k(x, 3), _corr_top_k(x, 3)
    raw = reduction_quality(fs, *reduction_weights(fs, 3, "pca")).retained
    std = reduction_quality(fs, *reduction_weights(fs, 3, "pca", standardize=True),
                            standardize=True).retained
    assert raw == pytest.approx(raw_oracle, abs=0.01)
    assert std == pytest.approx(std_oracle, abs=0.01)
    assert raw > 0.95  # the issue: colour holds nearly all the raw variance
    assert std < raw - 0.2


def test_a_constant_channel_counts_for_nothing_when_standardised():
    rng = np.random.default_rng(3)
    maps = rng.normal(size=(5, 20, 30)) * np.array([1, 5, 0.1, 2, 1])[:, None, None]
    maps[1] += maps[0]  # correlated pair
    maps[3] = 0.7  # constant
    live = [0, 1, 2, 4]
    x = _pixels(maps)[live]
    w, b = reduction_weights(maps, 2, "pca", standardize=True)
    assert np.isfinite(w).all() and np.isfinite(b).all()
    np.testing.assert_array_equal(w[:, 3], 0)
    q = reduction_quality(maps, w, b, standardize=True)
    assert q.total_variance == pytest.approx(4, rel=1e-9)
    assert q.retained == pytest.approx(_corr_top_k(x, 2), abs=1e-6)
    full = reduction_quality(maps, *reduction_weights(maps, 5, "pca", standardize=True),
                             standardize=True)
    assert full.retained == pytest.approx(1, abs=1e-9)


# --------------------------------------------------------------------------- every method alike


@pytest.mark.parametrize("method", ["random", "mean"])
def test_curve_and_metric_measure_every_method_the_same_way(stack, method):
    curve = reduction_curve(stack, standardize=True, seed=2)
    for k in (1, 2, 5):
        w, b = reduction_weights(stack, k, method, seed=2, standardize=True)
        q = reduction_quality(stack, w, b, standardize=True)
        # to float32 precision: the page applies the weights as float32
        assert curve.retained[method][k - 1] == pytest.approx(q.retained, abs=1e-6)
        assert curve.mse[method][k - 1] == pytest.approx(q.mse, rel=1e-5)
        assert q.retained <= curve.retained["pca"][k - 1] + 1e-9


def test_standardised_methods_act_on_z_scores(stack):
    # Channel mean of z-scores: output i is the mean of the z-scores of its group.
    x = _pixels(stack.maps)
    z = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    w, b = reduction_weights(stack, 2, "mean", standardize=True)
    y = w.astype(np.float64) @ x + b[:, None].astype(np.float64)
    groups = np.array_split(np.arange(x.shape[0]), 2)
    expected = np.stack([z[g].mean(axis=0) for g in groups])
    np.testing.assert_allclose(y, expected, atol=1e-4)


def test_sgd_on_standardised_channels_approaches_their_pca(stack):
    k = 3
    x = _pixels(stack.maps)
    c = x.shape[0]
    vals = _eig_desc(np.corrcoef(x))
    optimum = vals[k:].sum() / c
    r = learn_pointwise(stack, k, standardize=True)
    assert r.pca_mse == pytest.approx(optimum, rel=1e-6)
    assert optimum <= r.mse < 1.03 * optimum
    q = reduction_quality(stack, r.w, r.b, standardize=True)
    assert q.mse < 1.03 * optimum
    # Its decoder gives back raw pixels; the error, in z units, is the reported one.
    x_hat = r.v @ (r.w.astype(np.float64) @ x + r.b[:, None]) + r.c[:, None]
    z_err = (x_hat - x) / x.std(axis=1, keepdims=True)
    assert np.mean(z_err**2) == pytest.approx(r.mse, rel=1e-3)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: reduction_weights(s, 2, "pca", standardize="yes"),
        lambda s: reduction_quality(s, np.ones((1, s.shape[0])), standardize=1),
        lambda s: reduction_curve(s, standardize=None),
        lambda s: learn_pointwise(s, 2, steps=5, standardize="std"),
    ],
)
def test_standardize_must_be_true_or_false(stack, call):
    with pytest.raises(ValueError, match="standardize"):
        call(stack)


# --------------------------------------------------------------------------- tile labels


_NAMES = ("R", "157.5° coarsest", "out 10", "45° fine")


def _label_slots(grid: Image.Image, tile_colour: np.ndarray):
    """Per grid row: the x-intervals of the tiles and the x of label ink above them."""
    img = np.asarray(grid)
    tile = (img == tile_colour).all(axis=-1)
    ink = (img != 255).any(axis=-1) & ~tile
    rows = np.flatnonzero(tile.any(axis=1))
    starts = rows[np.r_[True, np.diff(rows) > 1]]  # first row of each band of tiles
    out = []
    for r0 in starts:
        cols = np.flatnonzero(tile[r0])
        breaks = np.flatnonzero(np.diff(cols) > 1)
        intervals = list(zip(cols[np.r_[0, breaks + 1]], cols[np.r_[breaks, -1]], strict=True))
        label_band = ink[max(0, r0 - 22) : r0]  # the 22 px above the tiles
        out.append((intervals, np.flatnonzero(label_band.any(axis=0))))
    return out


# (H, W, whether the label lies over the map itself): a 1-pixel image, a tiny upload, a large
# photo, and extreme strips (a 2-pixel-wide map cannot hold a label: it gets a wider slot).
_SIZES = [(1, 1, True), (8, 8, True), (6, 8, True), (1200, 1600, True), (300, 2, False),
          (2, 300, True)]


def test_tile_labels_fit_any_image_size():
    widest = max(ImageFont.load_default(size=14).getbbox(n)[2] for n in _NAMES)
    tile_colour = colorize(np.zeros((1, 1)))[0, 0]
    for h, w, within_map in _SIZES:
        maps = np.zeros((len(_NAMES), h, w), np.float32)  # flat: every tile is one colour
        grid = maps_grid(maps, _NAMES, tile=220)
        slots = _label_slots(grid, tile_colour)
        assert sum(len(iv) for iv, _ in slots) == len(_NAMES), (h, w)
        for intervals, ink_x in slots:
            for j, (x0, x1) in enumerate(intervals):
                nxt = intervals[j + 1][0] if j + 1 < len(intervals) else grid.width
                mine = ink_x[(ink_x >= x0) & (ink_x < nxt)]
                assert mine.size, ("every tile has a label", h, w)
                assert mine.max() < nxt - 1, (h, w)  # never reaches the next tile
                if within_map:  # the label lies over its own tile
                    assert mine.max() <= x1, (h, w)
                    assert x1 - x0 + 1 >= widest, (h, w)  # tiles at least as wide as labels
            assert ink_x.min() >= intervals[0][0], (h, w)
        # Large maps are still shrunk to the tile size.
        assert max(grid.size) <= 4 * (220 + 6 + 22), (h, w)


# --------------------------------------------------------------------------- the page

_fresh = pytest.mark.usefixtures("fresh_caches")


def _png(h: int, w: int) -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _captions(at) -> str:
    return " ".join([c.value for c in at.caption]
                    + [m.value for m in at.markdown if m.value.startswith(":small[")])


def _metric(at, label: str):
    return next(m for m in at.metric if m.label == label)


@_fresh
def test_learned_by_sgd_survives_later_touches():
    at = _app(PAGE, method=METHOD_LABELS["learned"], steps="100")
    _no_errors(at)
    at.toggle(key="relu").set_value(True).run()
    _no_errors(at)
    at.slider(key="k").set_value(2).run()
    _no_errors(at)
    at.toggle(key="relu").set_value(False).run()  # back to a case trained before: a cache hit
    _no_errors(at)
    assert at.selectbox(key="method").value == "learned"
    assert len(at.get("vega_lite_chart")) == 1  # the loss curve
    assert "Final reconstruction error" in _captions(at)
    # The optimum it quotes is PCA's on the standardised channels, computed here.
    img = ce.load_sample(next(iter(ce.SAMPLES)), work_side=512)
    fs = feature_stack(img.rgb, orientations=4, scales=2)
    x = fs.maps.reshape(fs.shape[0], -1).astype(np.float64)
    optimum = _eig_desc(np.corrcoef(x))[2:].sum() / fs.shape[0]
    quoted = float(_captions(at).split("PCA's optimum ")[1].split()[0])
    assert quoted == pytest.approx(optimum, rel=0.02)


@_fresh
def test_variance_kept_is_standardised_by_default_and_raw_on_request():
    img = ce.load_sample(next(iter(ce.SAMPLES)), work_side=512)
    fs = feature_stack(img.rgb, orientations=4, scales=2)
    x = fs.maps.reshape(fs.shape[0], -1).astype(np.float64)
    shown = {}
    for scale in ("std", "raw"):
        at = _app(PAGE) if scale == "std" else _app(PAGE, scale="raw")
        _no_errors(at)
        assert at.radio(key="scale").value == scale
        metric = _metric(at, "Variance kept")
        shown[scale] = float(metric.value.rstrip("%")) / 100
        word = "standardised" if scale == "std" else "raw"
        assert word in metric.help
        assert "before the stride or pooling" in metric.help
        assert f"Variance kept of the {word}" in _captions(at)  # the curve says which
    assert shown["std"] == pytest.approx(_corr_top_k(x, 3), abs=0.01)
    assert shown["raw"] == pytest.approx(_cov_top_k(x, 3), abs=0.01)
    assert shown["std"] < shown["raw"] - 0.2


@_fresh
@pytest.mark.parametrize(("h", "w"), [(6, 8), (1, 1)])
def test_tiny_uploads_work_and_shapes_read_height_by_width(h, w):
    at = _app(PAGE, **{"img-image": UPLOAD})
    at.file_uploader(key="img-upload").set_value(("tiny.png", _png(h, w), "image/png")).run()
    _no_errors(at)
    captions = _captions(at)
    assert f"{h} x {w} pixels (height x width" in captions
    assert f"output maps ({h} x {w})" in captions
    assert f"Feature stack: {h} x {w} x" in " ".join(m.value for m in at.markdown)
