"""Why 1x1 convolutions matter, in numbers: what layers and networks cost, Inception.

Costs have one model, :class:`ConvCost`, used by every page. A convolution producing an
``H x W x C_out`` map with a ``kh x kw`` kernel over ``C_in`` channels in ``groups`` groups has
``C_out * (C_in / groups) * kh * kw`` weights and ``C_out`` biases; its *parameters* are both
(as PyTorch counts them) and its *multiply-adds* are the multiplications only,
``H * W * weights``, over the output it actually computes (a stride shrinks it). A dense
layer is costed as the 1x1 convolution it is (on a 1x1 map of the flattened input).
:func:`network_cost` adds those up over a sequence of :mod:`~conv_engine.layers`, with
pooling comparisons and bias additions counted apart. GoogLeNet's Table 1 and MobileNet's
tables count weights only: compare them with ``weights``. The counts are written on
every page by :func:`conv_engine.captions.si` and :func:`~conv_engine.captions.ratio_phrase`.

Receptive fields are in :mod:`conv_engine.receptive_fields`, MLP = 1x1 and dense = 1x1 in
:mod:`conv_engine.equivalences`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .checks import ParameterError, at_least, flag, map_shape, pair, real
from .layers import AnyLayer, Conv, Dense, Pool, Shape

# ---------------------------------------------------------------------------------------------
# Costs of convolutions and of an Inception module


@dataclass(frozen=True)
class ConvCost:
    """Parameters and multiply-adds of one convolution whose *output* is ``size`` (h, w).

    ``weights = C_out * (C_in / groups) * kh * kw``, ``biases = C_out`` (0 without bias),
    ``params = weights + biases`` (as PyTorch counts them) and
    ``mult_adds = h * w * weights``: multiplications only, one ``kh * kw * C_in / groups`` dot
    product per output value (adding the bias is an addition, not a multiply-add).
    """

    in_channels: int
    out_channels: int
    kernel: tuple[int, int]
    size: tuple[int, int]
    bias: bool = True
    groups: int = 1

    @property
    def weights(self) -> int:
        """Number of weights, ``C_out * (C_in / groups) * kh * kw``."""
        return (self.out_channels * (self.in_channels // self.groups)
                * self.kernel[0] * self.kernel[1])

    @property
    def biases(self) -> int:
        """One bias per output channel, or 0 for a convolution without bias."""
        return self.out_channels if self.bias else 0

    @property
    def params(self) -> int:
        """Learned parameters, ``weights + biases``."""
        return self.weights + self.biases

    @property
    def mult_adds(self) -> int:
        """Multiply-adds, ``h * w * weights`` for the output size (h, w)."""
        return self.size[0] * self.size[1] * self.weights

    @property
    def bias_adds(self) -> int:
        """Additions of the biases, one per output value: ``h * w * C_out`` (0 without bias)."""
        return self.size[0] * self.size[1] * self.biases

    @property
    def label(self) -> str:
        """Short description, e.g. ``"5x5, 192 -> 32"`` or ``"3x3, 32 -> 32, groups 32"``."""
        kh, kw = self.kernel
        g = f", groups {self.groups}" if self.groups > 1 else ""
        return f"{kh}x{kw}, {self.in_channels} -> {self.out_channels}{g}"


def conv_cost(
    in_channels: int,
    out_channels: int,
    kernel: int | tuple[int, int],
    size: int | tuple[int, int],
    *,
    stride: int | tuple[int, int] = 1,
    bias: bool = True,
    groups: int = 1,
) -> ConvCost:
    """Cost of one "same"-padded convolution layer: the one cost model of the app.

    The output is ``ceil(h / s) x ceil(w / s)`` for an ``h x w`` input (padding "same" as in
    TensorFlow; at stride 1 the input's size, and for a 1x1 kernel, which needs no padding,
    ``floor((h - 1) / s) + 1``, the same number). Only output values cost multiply-adds, so a
    stride ``s`` divides them by about ``s**2``.

    Parameters
    ----------
    in_channels, out_channels : int, >= 1
    kernel : int or (kh, kw), >= 1
    size : int or (h, w), >= 1
        Spatial size of the *input*.
    stride : int or (sh, sw), >= 1
    bias : bool
        Whether the layer has one bias per output channel (counted in ``params``).
    groups : int, >= 1, dividing both channel counts
        Each filter sees ``C_in / groups`` channels (``groups = C_in``: depthwise).

    Returns
    -------
    ConvCost
        ``weights = C_out * (C_in / groups) * kh * kw``, ``params = weights + C_out`` (with
        bias) and ``mult_adds = h' * w' * weights`` (multiplications only). The classic 5x5
        from 28x28x192 to 32 channels: ``28*28*32*5*5*192 = 120,422,400`` multiply-adds,
        ``153,600 + 32`` parameters.
    """
    h, w = pair(size, "size", lo=1)
    sh, sw = pair(stride, "stride", lo=1)
    c_in, c_out = at_least(in_channels, 1, "in_channels"), at_least(out_channels, 1, "out_channels")
    g = at_least(groups, 1, "groups")
    for n, name in ((c_in, "in_channels"), (c_out, "out_channels")):
        if n % g:
            raise ParameterError(
                "groups", f"groups must divide {name}: {n} is not a multiple of groups={g}"
            )
    return ConvCost(c_in, c_out, pair(kernel, "kernel", lo=1), (-(-h // sh), -(-w // sw)),
                    flag(bias, "bias"), g)


def max_pool_comparisons(
    channels: int, size: int | tuple[int, int], kernel: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
) -> int:
    """Comparisons of a max pool without padding: ``C * h' * w' * (kh * kw - 1)``.

    Each output value is the largest of ``kh * kw`` inputs, found with ``kh * kw - 1``
    comparisons; ``h' = floor((h - kh) / s) + 1`` (PyTorch's floor mode). A max pool has no
    parameters and does no multiply-adds, so its work is counted apart.

    Parameters
    ----------
    channels : int, >= 1
    size : int or (h, w), >= 1
        Spatial size of the pool's input; at least the kernel.
    kernel : int or (kh, kw), >= 1
    stride : int or (sh, sw), >= 1, optional
        Defaults to the kernel (non-overlapping windows), as in PyTorch.

    Returns
    -------
    int
        A 2x2 pool of a 28x28x64 map: ``64 * 14 * 14 * 3 = 37,632`` comparisons.
    """
    c = at_least(channels, 1, "channels")
    h, w = pair(size, "size", lo=1)
    kh, kw = pair(kernel, "kernel", lo=1)
    sh, sw = (kh, kw) if stride is None else pair(stride, "stride", lo=1)
    if kh > h or kw > w:
        raise ParameterError("kernel", f"kernel must be at most size ({h}, {w}), got ({kh}, {kw})")
    return c * ((h - kh) // sh + 1) * ((w - kw) // sw + 1) * (kh * kw - 1)


@dataclass(frozen=True)
class BranchCost:
    """One Inception branch, as its convolutions with and without the 1x1 reduction.

    ``layers`` are the module's convolutions (e.g. 1x1 reduce then 3x3), ``naive_layers``
    the same branch without the reduction. The max pool of the pool branch has no weights
    and its comparisons are not multiply-adds, so that branch lists only its pool proj 1x1.
    """

    name: str
    out_channels: int
    layers: tuple[ConvCost, ...]
    naive_layers: tuple[ConvCost, ...]

    @property
    def weights(self) -> int:
        """Weights of the branch with its 1x1 reduction."""
        return sum(c.weights for c in self.layers)

    @property
    def params(self) -> int:
        """Parameters (weights + biases) of the branch with its 1x1 reduction."""
        return sum(c.params for c in self.layers)

    @property
    def mult_adds(self) -> int:
        """Multiply-adds of the branch with its 1x1 reduction."""
        return sum(c.mult_adds for c in self.layers)

    @property
    def naive_weights(self) -> int:
        """Weights of the branch without the reduction."""
        return sum(c.weights for c in self.naive_layers)

    @property
    def naive_params(self) -> int:
        """Parameters (weights + biases) of the branch without the reduction."""
        return sum(c.params for c in self.naive_layers)

    @property
    def naive_mult_adds(self) -> int:
        """Multiply-adds of the branch without the reduction."""
        return sum(c.mult_adds for c in self.naive_layers)


# What the "naive" figures of an Inception module mean, for labels and captions.
NAIVE_INCEPTION = (
    "without the 3x3/5x5 reductions: the 3x3 and 5x5 convolutions applied straight to the "
    "input, the 1x1 branch and the pool projection kept, so the output is the same"
)


@dataclass(frozen=True)
class InceptionCost:
    """Cost of an Inception module with and without its 3x3/5x5 1x1 reductions.

    ``branches`` are, in order, "1x1", "3x3", "5x5" and "pool proj" (see :class:`BranchCost`);
    every branch keeps the spatial ``size`` and the outputs are concatenated along channels.
    The ``naive_*`` figures are the module :data:`NAIVE_INCEPTION` describes (not the paper's
    Figure 2a, whose pool branch passes its input channels through without a projection).
    """

    in_channels: int
    size: tuple[int, int]
    branches: tuple[BranchCost, ...]

    @property
    def out_channels(self) -> int:
        """``n1x1 + n3x3 + n5x5 + pool_proj``: the channels of the concatenated output."""
        return sum(b.out_channels for b in self.branches)

    @property
    def weights(self) -> int:
        """Weights with the 1x1 reductions (what GoogLeNet's Table 1 counts as params)."""
        return sum(b.weights for b in self.branches)

    @property
    def params(self) -> int:
        """Parameters (weights + biases) with the 1x1 reductions."""
        return sum(b.params for b in self.branches)

    @property
    def mult_adds(self) -> int:
        """Multiply-adds with the 1x1 reductions."""
        return sum(b.mult_adds for b in self.branches)

    @property
    def naive_weights(self) -> int:
        """Weights with 3x3 and 5x5 applied straight to the input (pool projection kept)."""
        return sum(b.naive_weights for b in self.branches)

    @property
    def naive_params(self) -> int:
        """Parameters (weights + biases) with 3x3 and 5x5 applied straight to the input."""
        return sum(b.naive_params for b in self.branches)

    @property
    def naive_mult_adds(self) -> int:
        """Multiply-adds with 3x3 and 5x5 applied straight to the input (pool proj. kept)."""
        return sum(b.naive_mult_adds for b in self.branches)

    @property
    def savings(self) -> float:
        """``naive_mult_adds / mult_adds``: how many times cheaper the reductions make it
        (below 1 when a "reduction" has more channels than the convolution after it)."""
        return self.naive_mult_adds / self.mult_adds


# Column names of an Inception module's hyper-parameters, in the order of GoogLeNet's Table 1
# and of :func:`inception_cost`'s arguments.
INCEPTION_FIELDS = (
    "in_channels", "size", "n1x1", "n3x3_reduce", "n3x3", "n5x5_reduce", "n5x5", "pool_proj",
)

# GoogLeNet's nine Inception modules (Szegedy et al. 2015, Table 1), as INCEPTION_FIELDS tuples:
# ``inception_cost(*GOOGLENET_INCEPTION["3a"])``.
GOOGLENET_INCEPTION: dict[str, tuple[int, ...]] = {
    "3a": (192, 28, 64, 96, 128, 16, 32, 32),
    "3b": (256, 28, 128, 128, 192, 32, 96, 64),
    "4a": (480, 14, 192, 96, 208, 16, 48, 64),
    "4b": (512, 14, 160, 112, 224, 24, 64, 64),
    "4c": (512, 14, 128, 128, 256, 24, 64, 64),
    "4d": (512, 14, 112, 144, 288, 32, 64, 64),
    "4e": (528, 14, 256, 160, 320, 32, 128, 128),
    "5a": (832, 7, 256, 160, 320, 32, 128, 128),
    "5b": (832, 7, 384, 192, 384, 48, 128, 128),
}

# The same rows' "params" and "ops" columns as printed in Table 1: params in K = 1024 weights
# (no biases; 3a's 163,328 weights are 159.5 K, printed 159K), ops in M = 10**6 multiply-adds.
GOOGLENET_PRINTED: dict[str, tuple[int, int]] = {
    "3a": (159, 128),
    "3b": (380, 304),
    "4a": (364, 73),
    "4b": (437, 88),
    "4c": (463, 100),
    "4d": (580, 119),
    "4e": (840, 170),
    "5a": (1072, 54),
    "5b": (1388, 71),
}
PAPER_K = 1024  # the paper's "K" of params
PAPER_M = 10**6  # the paper's "M" of ops
# A printed figure further than this from the module's own columns is flagged. Table 1 rounds
# to whole K and M and some rows are a little off (4d, 5b: under 2 %); 4c's params and 5a's
# params and ops are off by 5-7 %.
PAPER_TOLERANCE = 0.02


def inception_cost(
    in_channels: int,
    size: int | tuple[int, int],
    n1x1: int,
    n3x3_reduce: int,
    n3x3: int,
    n5x5_reduce: int,
    n5x5: int,
    pool_proj: int,
    *,
    bias: bool = True,
) -> InceptionCost:
    """Parameters and multiply-adds of an Inception module, with and without 1x1 reductions.

    Branches (all "same", so every output is ``size``; ``C = in_channels``, ``HW = h * w``),
    counted in weights:

    - 1x1: ``C * n1x1``;
    - 3x3: 1x1 to ``n3x3_reduce`` then 3x3, ``C * r3 + r3 * n3x3 * 9``
      (naive: ``C * n3x3 * 9``);
    - 5x5: 1x1 to ``n5x5_reduce`` then 5x5, ``C * r5 + r5 * n5x5 * 25``
      (naive: ``C * n5x5 * 25``);
    - pool: 3x3 max pool (stride 1) then 1x1 to ``pool_proj``, ``C * pool_proj`` in both.

    ``params = weights + biases`` (one bias per output channel of every convolution, when
    ``bias``); ``mult_adds = HW * weights`` since every layer keeps the spatial size.

    Parameters
    ----------
    in_channels : int, >= 1
    size : int or (h, w), >= 1
        Spatial size of the input (and of every branch's output).
    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj : int, >= 1
        Output channels of each convolution, as in GoogLeNet's Table 1.
    bias : bool
        Whether the convolutions have biases (counted in ``params``, never in ``weights``).

    Returns
    -------
    InceptionCost
        ``weights``, ``params``, ``mult_adds``, their ``naive_*`` counterparts (see
        :data:`NAIVE_INCEPTION`), ``out_channels`` and the per-branch breakdown ``branches``.
        Module 3a: 163,328 weights, 128,049,152 multiply-adds.
    """
    c = at_least(in_channels, 1, "in_channels")
    hw = pair(size, "size", lo=1)
    b = flag(bias, "bias")
    n = {
        name: at_least(v, 1, name)
        for name, v in zip(
            INCEPTION_FIELDS[2:], (n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj),
            strict=True,
        )
    }

    def conv(cin: int, cout: int, k: int) -> ConvCost:
        return ConvCost(cin, cout, (k, k), hw, b)

    branches = (
        BranchCost("1x1", n["n1x1"], (conv(c, n["n1x1"], 1),), (conv(c, n["n1x1"], 1),)),
        BranchCost(
            "3x3",
            n["n3x3"],
            (conv(c, n["n3x3_reduce"], 1), conv(n["n3x3_reduce"], n["n3x3"], 3)),
            (conv(c, n["n3x3"], 3),),
        ),
        BranchCost(
            "5x5",
            n["n5x5"],
            (conv(c, n["n5x5_reduce"], 1), conv(n["n5x5_reduce"], n["n5x5"], 5)),
            (conv(c, n["n5x5"], 5),),
        ),
        BranchCost(
            "pool proj", n["pool_proj"], (conv(c, n["pool_proj"], 1),),
            (conv(c, n["pool_proj"], 1),),
        ),
    )
    return InceptionCost(c, hw, branches)


def googlenet_table(tolerance: float = PAPER_TOLERANCE) -> list[dict[str, object]]:
    """One row per GoogLeNet Inception module: its columns, its costs and the paper's figures.

    Keys: ``"module"``, the INCEPTION_FIELDS, ``"out_channels"``, ``"weights"``,
    ``"params"`` (weights + biases), ``"mult_adds"``, ``"naive_weights"``, ``"naive_params"``,
    ``"naive_mult_adds"`` (ints; ``naive`` as in :data:`NAIVE_INCEPTION`); then Table 1 as
    printed, ``"paper_params_k"`` and ``"paper_ops_m"`` (:data:`GOOGLENET_PRINTED`), the
    computed ``"weights_k" = weights / 1024`` and ``"ops_m" = mult_adds / 10**6`` (floats),
    ``"params_diff" = paper_params_k / weights_k - 1`` and ``"ops_diff"`` likewise, and
    ``"params_agree"``, ``"ops_agree"``: ``abs(diff) <= tolerance``.

    Parameters
    ----------
    tolerance : float, >= 0
        Largest relative difference between a printed and a computed figure called agreement.
    """
    tol = real(tolerance, "tolerance", "a finite number >= 0", lambda t: t >= 0)
    rows = []
    for name, values in GOOGLENET_INCEPTION.items():
        cost = inception_cost(*values)
        paper_k, paper_m = GOOGLENET_PRINTED[name]
        weights_k, ops_m = cost.weights / PAPER_K, cost.mult_adds / PAPER_M
        params_diff, ops_diff = paper_k / weights_k - 1, paper_m / ops_m - 1
        rows.append(
            {"module": name, **dict(zip(INCEPTION_FIELDS, values, strict=True)),
             "out_channels": cost.out_channels, "weights": cost.weights, "params": cost.params,
             "mult_adds": cost.mult_adds, "naive_weights": cost.naive_weights,
             "naive_params": cost.naive_params, "naive_mult_adds": cost.naive_mult_adds,
             "paper_params_k": paper_k, "paper_ops_m": paper_m, "weights_k": weights_k,
             "ops_m": ops_m, "params_diff": params_diff, "ops_diff": ops_diff,
             "params_agree": abs(params_diff) <= tol, "ops_agree": abs(ops_diff) <= tol}
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Costs of a whole network: a sequence of Conv, Pool and Dense layers


@dataclass(frozen=True)
class LayerCost:
    """One layer of :func:`network_cost`: its shapes and what it costs.

    ``conv`` is the layer's :class:`ConvCost` (a Dense layer's is that of the 1x1
    convolution on its flattened input, a 1x1 map) and None for a pool. A pool's work is
    counted apart: ``comparisons`` of a max pool and ``pool_adds`` of an average pool, each
    ``kh * kw - 1`` per output value (padded positions included, as a fixed-size window
    computes them; the average's one division per value is not counted).
    """

    name: str
    layer: AnyLayer
    in_shape: Shape
    out_shape: Shape
    conv: ConvCost | None = None
    comparisons: int = 0
    pool_adds: int = 0

    @property
    def weights(self) -> int:
        """Weights (0 for a pool)."""
        return 0 if self.conv is None else self.conv.weights

    @property
    def biases(self) -> int:
        """Biases, one per output channel of a layer that has them."""
        return 0 if self.conv is None else self.conv.biases

    @property
    def params(self) -> int:
        """``weights + biases``."""
        return self.weights + self.biases

    @property
    def mult_adds(self) -> int:
        """Multiplications of a convolution or dense layer (0 for a pool)."""
        return 0 if self.conv is None else self.conv.mult_adds

    @property
    def bias_adds(self) -> int:
        """Additions of the biases, one per output value of a layer that has them."""
        return 0 if self.conv is None else self.conv.bias_adds

    @property
    def kind(self) -> str:
        """What sort of layer, as MobileNet's Table 2 groups them: ``"1x1 conv"``,
        ``"3x3 depthwise conv"``, ``"3x3 grouped conv"``, ``"3x3 conv"``, ``"dense"``,
        ``"max pool"`` or ``"avg pool"``."""
        lay = self.layer
        if isinstance(lay, Dense):
            return "dense"
        if isinstance(lay, Pool):
            return f"{lay.op} pool"
        k = f"{lay.kernel}x{lay.kernel}"
        if lay.groups == 1:
            return f"{k} conv"
        return f"{k} {'depthwise' if lay.groups == self.in_shape[0] else 'grouped'} conv"


def _describe(layer: AnyLayer, shape: Shape) -> str:
    """A layer's default name: ``"3x3 conv 3 -> 32, stride 2"``, ``"3x3 depthwise 32"``."""
    c_in = shape[0]
    if isinstance(layer, Dense):
        return f"dense {c_in * shape[1] * shape[2]} -> {layer.out_features}"
    k = f"{layer.kernel}x{layer.kernel}"
    if isinstance(layer, Pool):
        text = f"{k} {layer.op} pool"
    elif layer.groups == c_in == layer.out_channels:
        text = f"{k} depthwise {c_in}"
    elif layer.groups > 1:
        text = f"{k} conv {c_in} -> {layer.out_channels}, groups {layer.groups}"
    else:
        text = f"{k} conv {c_in} -> {layer.out_channels}"
    return text + (f", stride {layer.stride}" if layer.stride > 1 else "")


@dataclass(frozen=True)
class NetworkCost:
    """Every layer's cost (:class:`LayerCost` ``rows``, in order) and the totals.

    ``params``, ``weights``, ``biases``, ``mult_adds``, ``bias_adds``, ``comparisons`` and
    ``pool_adds`` are the sums of the rows' figures, each kept apart from the others.
    """

    input_shape: Shape
    rows: tuple[LayerCost, ...]

    @property
    def output_shape(self) -> Shape:
        """Shape (C, H, W) after the last layer."""
        return self.rows[-1].out_shape

    @property
    def weights(self) -> int:
        """Weights of every layer."""
        return sum(r.weights for r in self.rows)

    @property
    def biases(self) -> int:
        """Biases of every layer that has them."""
        return sum(r.biases for r in self.rows)

    @property
    def params(self) -> int:
        """``weights + biases``."""
        return self.weights + self.biases

    @property
    def mult_adds(self) -> int:
        """Multiplications of the convolution and dense layers."""
        return sum(r.mult_adds for r in self.rows)

    @property
    def bias_adds(self) -> int:
        """Additions of biases (not in ``mult_adds``)."""
        return sum(r.bias_adds for r in self.rows)

    @property
    def comparisons(self) -> int:
        """Comparisons of the max pools."""
        return sum(r.comparisons for r in self.rows)

    @property
    def pool_adds(self) -> int:
        """Additions of the average pools."""
        return sum(r.pool_adds for r in self.rows)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """``{kind: (mult_adds, weights)}`` summed over the rows of each :attr:`LayerCost.kind`,
        in order of first appearance (MobileNet's Table 2 is this, as shares of the totals)."""
        out: dict[str, tuple[int, int]] = {}
        for r in self.rows:
            m, w = out.get(r.kind, (0, 0))
            out[r.kind] = (m + r.mult_adds, w + r.weights)
        return out


NamedLayer = AnyLayer | tuple[str, AnyLayer]


def network_cost(layers: Sequence[NamedLayer], input_shape: Shape) -> NetworkCost:
    """Parameters and multiply-adds of a network, layer by layer, on one cost model.

    Each layer's output shape is its input's for the next (:meth:`Conv.output_shape`); a
    Dense layer flattens its input. Per layer, with ``(C', H', W')`` its output:

    - :class:`Conv` (``k``, ``groups``): :class:`ConvCost`, ``weights = C' (C / groups) k^2``,
      ``mult_adds = H' W' weights``, ``biases = C'`` with bias;
    - :class:`Dense`: the 1x1 convolution on a 1x1 map of ``C H W`` channels,
      ``weights = mult_adds = C H W C'``;
    - :class:`Pool`: no parameters; ``C' H' W' (k^2 - 1)`` comparisons (max) or additions
      (avg), kept apart from the multiply-adds, like the bias additions ``H' W' C'``.

    Parameters
    ----------
    layers : sequence of Conv, Pool, Dense, or (name, layer) pairs
        Unnamed layers are named after what they are (``"3x3 depthwise 32, stride 2"``).
    input_shape : (C, H, W), ints >= 1

    Returns
    -------
    NetworkCost
        ``rows`` (name, shapes, parameters, multiply-adds, ... of each layer) and the totals
        ``params``, ``weights``, ``mult_adds``, ``bias_adds``, ``comparisons``, ``pool_adds``.
        MobileNet v1 at 224x224 (:func:`conv_engine.architectures.mobilenet_v1`):
        568,740,352 multiply-adds and 4,209,088 weights.
    """
    shape = first = map_shape(input_shape, "input_shape")
    if isinstance(layers, str | bytes) or not isinstance(layers, Sequence) or not layers:
        raise ParameterError(
            "layers", f"layers must be a non-empty sequence of layers, got {layers!r}"
        )
    rows = []
    for i, item in enumerate(layers):
        name, layer = _named(item, i)
        try:
            out = layer.output_shape(shape)
        except ValueError as e:
            raise ParameterError("layers", f"layers[{i}] ({name or _describe(layer, shape)}) "
                                 f"on input {shape}: {e}") from None
        name = name or _describe(layer, shape)
        if isinstance(layer, Conv):
            cost = ConvCost(shape[0], out[0], (layer.kernel, layer.kernel), out[1:], layer.bias,
                            layer.groups)
            rows.append(LayerCost(name, layer, shape, out, cost))
        elif isinstance(layer, Dense):
            features = shape[0] * shape[1] * shape[2]
            cost = ConvCost(features, out[0], (1, 1), (1, 1), layer.bias)
            rows.append(LayerCost(name, layer, shape, out, cost))
        else:
            work = out[0] * out[1] * out[2] * (layer.kernel * layer.kernel - 1)
            rows.append(LayerCost(name, layer, shape, out,
                                  comparisons=work if layer.op == "max" else 0,
                                  pool_adds=work if layer.op == "avg" else 0))
        shape = out
    return NetworkCost(first, tuple(rows))


def _named(item: object, i: int) -> tuple[str, AnyLayer]:
    """(name or "", layer) of one entry of ``layers``, or ParameterError naming it."""
    name: object = ""
    layer = item
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        name, layer = item
    if not isinstance(layer, Conv | Pool | Dense):
        raise ParameterError(
            "layers",
            f"layers[{i}] must be a Conv, Pool or Dense (or a (name, layer) pair), got {item!r}",
        )
    return str(name), layer


__all__ = [
    "GOOGLENET_INCEPTION",
    "GOOGLENET_PRINTED",
    "INCEPTION_FIELDS",
    "NAIVE_INCEPTION",
    "PAPER_K",
    "PAPER_M",
    "PAPER_TOLERANCE",
    "BranchCost",
    "ConvCost",
    "InceptionCost",
    "LayerCost",
    "NetworkCost",
    "conv_cost",
    "googlenet_table",
    "inception_cost",
    "max_pool_comparisons",
    "network_cost",
]
