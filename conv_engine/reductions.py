"""The 1x1 convolutions that reduce a feature stack: their weights, costs and quality.

A 1x1 convolution maps each pixel's C-vector of a (C, H, W) stack (:mod:`conv_engine.features`)
to k numbers; this module chooses its weights (PCA, random, channel mean, or learned by
stochastic gradient descent), and measures what the reduction costs and what it keeps.

Statistics (means, covariances, the SGD training set) are computed on a seeded random sample of
at most ``MAX_SAMPLE_PIXELS`` pixels (:mod:`conv_engine.limits`). Big maps stay float32; small
statistics are float64.

Channel scale. The channels of a stack are not on one scale: R, G and B spread over [0, 1] while
most Gabor energies stay small, so the raw covariance is dominated by colour and "variance kept"
mostly counts colour. With ``standardize=True`` every function here works on the z-scored stack
``z = (x - mean) / sigma`` (per channel, over the pixel sample), whose covariance is the
correlation matrix: each channel counts once, the usual choice for PCA on mixed features. The
z-scoring is itself a per-channel affine map, so it is folded into the returned 1x1 weights,
which always apply to the raw channels: ``W_raw = W_z / sigma`` (column-wise) and
``b = b_z - W_raw @ mean``. A channel that is constant (its sigma below 1e-6 of the data's
magnitude: rounding noise) has ``z = 0``: it gets weight 0 and adds nothing to the variance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .checks import ParameterError, at_least, between, flag, numeric, one_of, real
from .costs import conv_cost
from .features import FeatureStack
from .limits import MAX_LEARN_STEPS, MAX_SAMPLE_PIXELS

METHODS = ("pca", "random", "mean")

# --------------------------------------------------------------------------- statistics


def _maps(stack: FeatureStack | np.ndarray) -> np.ndarray:
    """The (C, H, W) numeric array of a FeatureStack or an array, validated."""
    a = numeric(stack.maps if isinstance(stack, FeatureStack) else stack, "stack")
    if a.ndim != 3:
        raise ParameterError("stack", f"stack must have shape (C, H, W), got {a.shape}")
    if a.size == 0:
        raise ParameterError("stack", f"stack must not be empty, got shape {a.shape}")
    return a


def _sample(maps: np.ndarray, max_pixels: int = MAX_SAMPLE_PIXELS) -> np.ndarray:
    """(n, C) float64 pixels: all of them, or a fixed random sample of ``max_pixels``."""
    c = maps.shape[0]
    flat = maps.reshape(c, -1)
    if flat.shape[1] > max_pixels:
        # A fixed seed: the same stack always gives the same statistics and PCA.
        idx = np.sort(np.random.default_rng(0).choice(flat.shape[1], max_pixels, replace=False))
        flat = flat[:, idx]
    x = flat.T.astype(np.float64)
    if not np.isfinite(x).all():
        raise ParameterError("stack", "stack must contain only finite values")
    return x


def _stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (C,) and population covariance (C, C) of (n, C) samples."""
    mean = x.mean(axis=0)
    xc = x - mean
    return mean, (xc.T @ xc) / x.shape[0]


# Below this fraction of the data's magnitude a channel's spread is float32 rounding, not signal.
_FLAT = 1e-6


def _units(x: np.ndarray, standardize: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean (C,), factors a (C,) and covariance (C, C) of the measured units ``u = a (x - mean)``.

    ``a`` is 1 (raw) or 1 / sigma (z-scores; 0 for a constant channel).
    """
    mean, cov = _stats(x)
    if not standardize:
        return mean, np.ones_like(mean), cov
    sd = np.sqrt(np.diag(cov))
    floor = _FLAT * float(np.sqrt(mean**2 + sd**2).max())
    a = np.divide(1.0, sd, out=np.zeros_like(sd), where=sd > floor)
    return mean, a, cov * np.outer(a, a)


def _inverse(a: np.ndarray) -> np.ndarray:
    """1 / a where a > 0, else 0: takes measured units back to centred stack units."""
    return np.divide(1.0, a, out=np.zeros_like(a), where=a > 0)


def _pca(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues descending (C,) and eigenvectors as rows (C, C), each row summing >= 0."""
    vals, vecs = np.linalg.eigh(cov)
    vals, vecs = np.clip(vals[::-1], 0, None), vecs[:, ::-1].T
    # A sign choice that makes the first component "brightness", not its negative.
    vecs *= np.where(vecs.sum(axis=1) < 0, -1.0, 1.0)[:, None]
    return vals, vecs


def _weights(method: str, k: int, cov: np.ndarray, seed: int) -> np.ndarray:
    """W (k, C) float64 for one method, acting on the measured units whose covariance is cov."""
    c = cov.shape[0]
    if method == "pca":
        return _pca(cov)[1][:k]
    if method == "random":
        # Rows drawn one after another: the k rows of a smaller k are the first rows of a
        # larger one, so retained variance grows with k for a fixed seed.
        w = np.random.default_rng(seed).standard_normal((k, c))
        # Unit rows: random directions, outputs on the scale of the inputs.
        return w / np.linalg.norm(w, axis=1, keepdims=True)
    w = np.zeros((k, c))
    for i, group in enumerate(np.array_split(np.arange(c), k)):  # k groups, not pixels
        w[i, group] = 1 / len(group)
    return w


def reduction_weights(
    stack: FeatureStack | np.ndarray,
    k: int,
    method: str,
    *,
    seed: int = 0,
    standardize: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights of a 1x1 convolution reducing C channels to k: ``y = W @ x + b`` at each pixel.

    Methods
    -------
    On the raw channels (``standardize=False``):

    "pca"
        Rows of W are the top-k principal directions of the channel covariance (orthonormal),
        ``b = -W @ mean``: the best linear reduction for reconstructing x from y.
    "random"
        Seeded Gaussian rows scaled to unit length, ``b = 0``.
    "mean"
        Output i averages the i-th of k contiguous groups of channels (``np.array_split``),
        ``b = 0``: plain average pooling across channels.

    With ``standardize=True`` each method builds its rows ``W_z`` for the z-scored channels
    ``z = (x - mean) / sigma`` instead (PCA then uses the correlation matrix), and the
    z-scoring is folded in: ``W = W_z / sigma`` column-wise, ``b = -W @ mean``, so that
    ``W @ x + b = W_z @ z``. PCA's outputs are then the principal components of the z-scored
    data (centred, decorrelated); the rows of W are orthonormal only after multiplying by
    sigma.

    Parameters
    ----------
    stack : FeatureStack or (C, H, W) array
    k : int, 1..C
    method : "pca", "random" or "mean"
    seed : int
        Only used by "random".
    standardize : bool
        Choose the weights for z-scored channels (see above).

    Returns
    -------
    W : (k, C) float32
    b : (k,) float32
        float32 so that ``pointwise(maps, W, b)`` stays float32 on a float32 stack. Both always
        apply to the raw channels of ``stack``.
    """
    maps = _maps(stack)
    k = between(k, 1, maps.shape[0], "k")
    method = one_of(method, METHODS, "method")
    seed = at_least(seed, 0, "seed")
    standardize = flag(standardize, "standardize")
    c = maps.shape[0]
    if method == "pca" or standardize:
        mean, a, cov = _units(_sample(maps), standardize)
    else:  # random and mean on raw channels never look at the data
        mean, a, cov = np.zeros(c), np.ones(c), np.zeros((c, c))
    w = _weights(method, k, cov, seed) * a
    b = -w @ mean if method == "pca" or standardize else np.zeros(k)
    return w.astype(np.float32), b.astype(np.float32)


class ReductionCost(NamedTuple):
    """Cost of a convolution from C to k channels on an H x W map (a view of ``ConvCost``)."""

    params: int  # weights + biases
    mult_adds: int  # multiplications only, over the (strided) output


def reduction_cost(
    c: int, k: int, h: int, w: int, *, kernel_size: int = 1, stride: int = 1
) -> ReductionCost:
    """Parameters and multiply-adds of a "same" convolution from C to k channels, with bias.

    The app's one cost model, :func:`~conv_engine.costs.conv_cost`, as a pair:
    ``params = k * C * ks**2 + k`` (weights plus one bias per output channel) and
    ``mult_adds = H' * W' * C * k * ks**2`` with ``H' = ceil(H / stride)``, the output actually
    computed. ``kernel_size=1`` is the 1x1 convolution; 3 gives the 3x3 convolution to the
    same channels, for comparison. The classic example, 200x200x50 through 20 1x1 filters,
    costs 1,020 parameters and 40,000,000 multiply-adds; at stride 2, 10,000,000.
    """
    c, k = at_least(c, 1, "C"), at_least(k, 1, "k")
    h, w = at_least(h, 1, "H"), at_least(w, 1, "W")
    ks = at_least(kernel_size, 1, "kernel_size")
    s = at_least(stride, 1, "stride")
    cost = conv_cost(c, k, ks, (h, w), stride=s, bias=True)
    return ReductionCost(params=cost.params, mult_adds=cost.mult_adds)


class ReductionQuality(NamedTuple):
    """What a reduction keeps: ``retained = 1 - mse * C / total_variance``."""

    retained: float  # fraction of the stack's variance that the k outputs can reconstruct
    mse: float  # mean squared reconstruction error per channel and pixel
    total_variance: float  # sum of the channel variances (z-scored: non-constant channels)


def _explained(cov: np.ndarray, w: np.ndarray) -> float:
    """Variance of x that the best linear (affine) decoder recovers from ``W @ x``."""
    cw = cov @ w.T
    a = w @ cw
    return float(np.trace(cw @ np.linalg.pinv(a, rcond=1e-12, hermitian=True) @ cw.T))


def _weights_arg(w: object, b: object, c: int) -> tuple[np.ndarray, np.ndarray]:
    """The (k, C) weights and (k,) biases of a reduction, as float64, checked."""
    w = np.asarray(w)
    if w.dtype.kind not in "biuf" or w.ndim != 2 or w.shape[1] != c or w.shape[0] < 1:
        raise ParameterError("w", f"W must be a numeric (k, {c}) array, got {w.dtype} {w.shape}")
    b = np.zeros(w.shape[0]) if b is None else np.asarray(b)
    if b.dtype.kind not in "biuf" or b.shape != (w.shape[0],):
        raise ParameterError(
            "b", f"b must be a numeric ({w.shape[0]},) array, got {b.dtype} {b.shape}"
        )
    w, b = w.astype(np.float64), b.astype(np.float64)
    if not np.isfinite(w).all():
        raise ParameterError("w", "W and b must contain only finite values")
    if not np.isfinite(b).all():
        raise ParameterError("b", "W and b must contain only finite values")
    return w, b


def reduction_quality(
    stack: FeatureStack | np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    relu: bool = False,
    standardize: bool = False,
) -> ReductionQuality:
    """How much of the stack a 1x1 reduction ``y = W @ x + b`` keeps.

    The k outputs are decoded back to C channels by the least-squares optimal affine map, so
    the measure belongs to the reduction, not to a particular decoder. Without ReLU,
    ``retained = tr(S W^T (W S W^T)^+ W S) / tr(S)`` with S the channel covariance; b then
    plays no part, and for PCA this is the sum of the top-k eigenvalues over the total. With
    ``relu=True`` the outputs are ``max(W @ x + b, 0)`` and the decoder is fitted by least
    squares on the pixel sample, so b matters.

    It is measured on the stack itself, pixel by pixel: the 1x1 outputs at every pixel, before
    any stride or pooling that might follow.

    With ``standardize=True`` what is reconstructed is the z-scored stack
    ``z = (x - mean) / sigma``: S is the correlation matrix, ``tr(S)`` the number of
    non-constant channels, each channel counts once, and ``mse`` is in z units. W and b still
    act on the raw channels (the z-scoring is affine, so ``y`` is the same function of z with
    ``W_z = W * sigma``); any W measured this way gets the same scale-free number, whichever
    scale it was chosen on.

    Parameters
    ----------
    stack : FeatureStack or (C, H, W) array
    w : (k, C) array
        Applied to the raw channels.
    b : (k,) array, optional (zeros)
    relu : bool
    standardize : bool
        Measure the variance of the z-scored channels rather than of the raw ones.

    Returns
    -------
    ReductionQuality(retained, mse, total_variance)
    """
    maps = _maps(stack)
    w, b = _weights_arg(w, b, maps.shape[0])
    standardize = flag(standardize, "standardize")
    relu = flag(relu, "relu")
    x = _sample(maps)
    mean, a, cov = _units(x, standardize)
    total = float(np.trace(cov))
    if relu:
        y = np.maximum(x @ w.T + b, 0)
        y1 = np.column_stack([y, np.ones(len(y))])
        u = (x - mean) * a
        coef = np.linalg.lstsq(y1, u, rcond=None)[0]
        mse_total = float(np.mean(np.sum((u - y1 @ coef) ** 2, axis=1)))
        explained = total - mse_total
    else:
        explained = _explained(cov, w * _inverse(a))
    return _quality(explained, total, maps.shape[0])


def _quality(explained: float, total: float, c: int) -> ReductionQuality:
    explained = min(max(explained, 0.0), total)  # rounding can step just outside [0, total]
    retained = explained / total if total > 0 else 1.0
    return ReductionQuality(retained, (total - explained) / c, total)


@dataclass(frozen=True, eq=False)
class ReductionCurve:
    """Efficacy against efficiency of reductions to k = 1..C channels.

    ``retained[method]`` and ``mse[method]`` are (C,) arrays indexed like ``ks``; ``params``
    and ``mult_adds`` are the 1x1 convolution's costs for each k (int64).
    """

    ks: np.ndarray
    retained: dict[str, np.ndarray]
    mse: dict[str, np.ndarray]
    params: np.ndarray
    mult_adds: np.ndarray


def reduction_curve(
    stack: FeatureStack | np.ndarray,
    *,
    methods: tuple[str, ...] = METHODS,
    seed: int = 0,
    standardize: bool = False,
) -> ReductionCurve:
    """Variance retained and reconstruction error against k, for several methods at once.

    The channel covariance is computed once; PCA's curve is the running sum of its
    eigenvalues, the other methods use the same measure as ``reduction_quality``. Entry
    ``k - 1`` of each method equals ``reduction_quality(stack, *reduction_weights(stack, k,
    method, seed=seed, standardize=s), standardize=s)``.

    Parameters
    ----------
    stack : FeatureStack or (C, H, W) array
    methods : tuple of "pca", "random", "mean"
    seed : int
        Only used by "random".
    standardize : bool
        Weights chosen for, and variance measured on, the z-scored channels: PCA's curve is
        then the running sum of the correlation matrix's eigenvalues over the number of
        non-constant channels.

    Returns
    -------
    ReductionCurve with ``ks = 1..C`` and, per method, (C,) arrays of retained variance
    fraction and mean squared error; ``params = k C + k`` and ``mult_adds = H W C k``.
    """
    maps = _maps(stack)
    methods = tuple(one_of(m, METHODS, "method") for m in methods)
    seed = at_least(seed, 0, "seed")
    standardize = flag(standardize, "standardize")
    c, h, w = maps.shape
    cov = _units(_sample(maps), standardize)[2]
    total = float(np.trace(cov))
    ks = np.arange(1, c + 1)
    retained, mse = {}, {}
    for m in methods:
        if m == "pca":
            explained = np.cumsum(_pca(cov)[0])
        else:  # one small (k, C) problem per k, not per pixel
            explained = [_explained(cov, _weights(m, k, cov, seed)) for k in ks]
        q = [_quality(float(e), total, c) for e in explained]
        retained[m] = np.array([x.retained for x in q])
        mse[m] = np.array([x.mse for x in q])
    ks64 = ks.astype(np.int64)
    return ReductionCurve(ks, retained, mse, ks64 * c + ks64, ks64 * (h * w * c))


# --------------------------------------------------------------------------- learning

OPTIMIZERS = ("adam", "momentum")


@dataclass(frozen=True, eq=False)
class LearnedReduction:
    """A 1x1 reduction learned as a per-pixel linear autoencoder C -> k -> C.

    ``w`` (k, C) and ``b`` (k,) float32 are the encoder, i.e. the 1x1 convolution to apply;
    ``v`` (C, k) and ``c`` (C,) float64 the decoder, back to the raw channels. ``loss``
    (steps,) float64 is each minibatch's mean squared error per channel, in the units trained on
    (the stack's, or z-scores when standardised); ``mse`` is the final error on the whole pixel
    sample and ``pca_mse`` the optimum any linear reduction to k can reach, in the same units.
    """

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: np.ndarray
    loss: np.ndarray
    mse: float
    pca_mse: float


def learn_pointwise(
    stack: FeatureStack | np.ndarray,
    k: int,
    *,
    steps: int = 1000,
    lr: float = 0.05,
    seed: int = 0,
    batch: int = 256,
    optimizer: str = "adam",
    momentum: float = 0.9,
    callback: Callable[[int, float], object] | None = None,
    every: int = 10,
    standardize: bool = False,
) -> LearnedReduction:
    """Learn a 1x1 reduction to k channels by minibatch stochastic gradient descent over pixels.

    The model is a linear autoencoder on each pixel's channel vector x: ``y = W x + b`` (the
    1x1 convolution) and ``x_hat = V y + c``, trained to minimise ``mean ||x_hat - x||^2 / C``
    on shuffled minibatches of ``batch`` pixels from a sample of at most ``MAX_SAMPLE_PIXELS``.
    Its optimum is PCA's subspace. Pixels are centred and divided by one global RMS first, a
    change of units that leaves the optimum where it is; the weights are mapped back to the
    stack's units at the end. With ``standardize=True`` it learns to reconstruct the z-scored
    channels ``z = (x - mean) / sigma`` instead, whose optimum is PCA of the correlation matrix
    (``reduction_weights(..., "pca", standardize=True)``); the z-scoring is folded into the
    returned encoder so it still applies to the raw channels. The step size decays from ``lr``
    to 0 along a half cosine, which lets the last steps settle instead of rattling at the
    minibatch noise level.

    ``optimizer="adam"`` scales each weight's step by running gradient moments (Adam, beta
    0.9 / 0.999): the channels of a feature stack differ a lot in variance, and it copes with
    that far better than ``"momentum"``, plain SGD with heavy-ball momentum
    (``u = momentum u - lr g``, ``theta += u``; try ``lr=0.3``).

    Parameters
    ----------
    stack : FeatureStack or (C, H, W) array
    k : int, 1..C
    steps : int, 1..MAX_LEARN_STEPS (100,000)
    lr : float > 0
        Initial step size.
    seed : int
        Initial weights and minibatch order.
    batch : int >= 1
    optimizer : "adam" or "momentum"
    momentum : float in [0, 1)
        Only used by "momentum".
    callback : callable(step, loss), optional
        Called every ``every`` steps and after the last one with the number of steps done and
        the mean minibatch loss since the previous call: a UI can draw a live loss curve.
    every : int >= 1
    standardize : bool
        Train on, and report losses in units of, the z-scored channels.

    Returns
    -------
    LearnedReduction(w, b, v, c, loss, mse, pca_mse)
    """
    maps = _maps(stack)
    n_ch = maps.shape[0]
    k = between(k, 1, n_ch, "k")
    steps = between(steps, 1, MAX_LEARN_STEPS, "steps")
    lr = real(lr, "lr", "a finite number > 0", lambda v: v > 0)
    seed = at_least(seed, 0, "seed")
    batch = at_least(batch, 1, "batch")
    every = at_least(every, 1, "every")
    one_of(optimizer, OPTIMIZERS, "optimizer")
    real(momentum, "momentum", "a number in [0, 1)", lambda v: 0 <= v < 1)
    if callback is not None and not callable(callback):
        raise ParameterError("callback", f"callback must be callable, got {callback!r}")
    standardize = flag(standardize, "standardize")

    x = _sample(maps)
    mean, a, cov = _units(x, standardize)
    total = float(np.trace(cov))
    scale = np.sqrt(total / n_ch) if total > 0 else 1.0
    xs = (x - mean) * a / scale
    n = len(xs)
    batch = min(batch, n)
    rng = np.random.default_rng(seed)
    # Tied start (decoder = encoder^T) with small random rows: gradient descent then turns it
    # towards the principal subspace without first having to align two unrelated maps.
    w = rng.standard_normal((k, n_ch)) / np.sqrt(n_ch)
    params = [w, np.zeros(k), w.T.copy(), np.zeros(n_ch)]
    first = [np.zeros_like(p) for p in params]  # momentum / Adam's first moment
    second = [np.zeros_like(p) for p in params]  # Adam's second moment
    beta1, beta2 = (0.9, 0.999) if optimizer == "adam" else (momentum, 0.0)
    per_epoch = n // batch
    loss = np.empty(steps)
    reported = 0
    for t in range(steps):  # steps of SGD; each is vectorised over its minibatch of pixels
        j = t % per_epoch
        if j == 0:
            shuffled = xs[rng.permutation(n)]  # one gather per epoch; minibatches are views
        xb = shuffled[j * batch : (j + 1) * batch]
        w, b, v, c = params
        y = xb @ w.T + b
        err = y @ v.T + c - xb
        loss[t] = np.mean(err**2)
        g_out = err * (2 / (len(xb) * n_ch))
        g_y = g_out @ v
        grads = (g_y.T @ xb, g_y.sum(axis=0), g_out.T @ y, g_out.sum(axis=0))
        step = lr * 0.5 * (1 + np.cos(np.pi * t / steps))
        if optimizer == "adam":
            step *= np.sqrt(1 - beta2 ** (t + 1)) / (1 - beta1 ** (t + 1))  # bias correction
        for p, m, s, g in zip(params, first, second, grads, strict=True):
            if optimizer == "adam":
                m *= beta1
                m += (1 - beta1) * g
                s *= beta2
                s += (1 - beta2) * g * g
                p -= step * m / (np.sqrt(s) + 1e-8)
            else:
                m *= beta1
                m -= step * g
                p += m
        if callback is not None and ((t + 1) % every == 0 or t + 1 == steps):
            callback(t + 1, float(loss[reported : t + 1].mean() * scale**2))
            reported = t + 1

    w, b, v, c = params
    err = (xs @ w.T + b) @ v.T + c - xs
    # Back to the stack's units: y = W a (x - mean) / scale + b and x = scale x_hat / a + mean.
    w_raw = w * a / scale
    back = _inverse(a)[:, None] * scale
    return LearnedReduction(
        w=w_raw.astype(np.float32),
        b=(b - w_raw @ mean).astype(np.float32),
        v=v * back,
        c=c * back[:, 0] + mean,
        loss=loss * scale**2,
        mse=float(np.mean(err**2) * scale**2),
        pca_mse=float(np.sum(_pca(cov)[0][k:]) / n_ch),
    )


__all__ = [
    "METHODS",
    "LearnedReduction",
    "ReductionCost",
    "ReductionCurve",
    "ReductionQuality",
    "learn_pointwise",
    "reduction_cost",
    "reduction_curve",
    "reduction_quality",
    "reduction_weights",
]
