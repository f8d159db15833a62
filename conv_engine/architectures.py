"""Real networks as layer lists: MobileNet v1 and ResNet's bottleneck, with their papers' figures.

Each example is a :class:`Network` (named :mod:`~conv_engine.layers` and an input shape) that
:func:`~conv_engine.costs.network_cost` costs on the app's one cost model.

Counting conventions, checked against the papers by the tests:

- **MobileNet v1** (Howard et al. 2017). Every convolution is followed by batch norm and has
  no bias; the classifier is a 1000-way dense layer with biases. Table 1/2's "4.2 Million
  parameters" are the *weights* of the convolutions and the dense layer (4,209,088): no
  biases, no batch-norm scales and shifts (Table 2's shares, 24.33 % for the dense layer,
  match only without its 1,000 biases). Its "569 Million Mult-Adds" are the multiplications of
  the convolutions and the dense layer (568,740,352). Keras' model summary counts 4,231,976
  trainable parameters: the same weights + 1,000 dense biases + 21,888 batch-norm scales and
  shifts. The width multiplier ``alpha`` thins every layer to ``int(alpha * C)`` channels (as
  Keras does); the global average pool covers whatever map the input size leaves.
- **ResNet** (He et al. 2016, Figure 5): a bottleneck block is 1x1 (C -> C/4), 3x3
  (C/4 -> C/4), 1x1 (C/4 -> C), no biases (batch norm follows each). The identity shortcut
  and the additions and ReLUs are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checks import ParameterError, at_least, integer, real
from .costs import NetworkCost, network_cost
from .layers import AnyLayer, Conv, Dense, Pool, Shape
from .limits import MAX_MOBILENET_RESOLUTION, MIN_MOBILENET_RESOLUTION


@dataclass(frozen=True)
class Network:
    """A named network: ``layers`` as (name, layer) pairs on an ``input_shape`` (C, H, W)."""

    name: str
    input_shape: Shape
    layers: tuple[tuple[str, AnyLayer], ...]

    def cost(self) -> NetworkCost:
        """:func:`~conv_engine.costs.network_cost` of the layers on the input shape."""
        return network_cost(self.layers, self.input_shape)


# MobileNet v1's body (Table 1): (output channels, stride) of each depthwise separable block,
# after a full 3x3 convolution to 32 channels with stride 2. (Table 1 prints the 13th
# depthwise layer with "s2"; its output is 7x7 like its input, so the stride is 1, as in
# every implementation.)
MOBILENET_BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)

# Figures printed in the paper: (alpha, resolution) -> (million mult-adds, million parameters),
# Table 6 (width multipliers at 224) and Table 7 (resolutions at width 1.0).
MOBILENET_PRINTED: dict[tuple[float, int], tuple[int, float]] = {
    (1.0, 224): (569, 4.2),
    (0.75, 224): (325, 2.6),
    (0.5, 224): (149, 1.3),
    (0.25, 224): (41, 0.5),
    (1.0, 192): (418, 4.2),
    (1.0, 160): (290, 4.2),
    (1.0, 128): (186, 4.2),
}

# Table 2 of the paper, MobileNet-224 at width 1.0: share (%) of the mult-adds and of the
# parameters of each kind of layer (kinds as LayerCost.kind names them). The printed 1.19 %
# of the full 3x3 convolution's mult-adds reads 1.91 % in the model (10.8 M of 568.7 M); the
# four printed shares then add up to 100.01 % instead of 99.29 %: two digits swapped.
MOBILENET_TABLE2: dict[str, tuple[float, float]] = {
    "1x1 conv": (94.86, 74.59),
    "3x3 depthwise conv": (3.06, 1.06),
    "3x3 conv": (1.19, 0.02),
    "dense": (0.18, 24.33),
}

def mobilenet_v1(alpha: float = 1.0, resolution: int = 224, classes: int = 1000) -> Network:
    """MobileNet v1 (Howard et al. 2017, Table 1) as named layers.

    A 3x3 convolution (stride 2) to ``32 a`` channels, 13 depthwise separable blocks (3x3
    depthwise with padding 1, then a 1x1 pointwise convolution), a global average pool and a
    dense layer to ``classes``; convolutions without bias (batch norm follows), the dense
    layer with. Channel counts ``int(alpha * C)``, at least 1.

    Parameters
    ----------
    alpha : float in (0, 4]
        Width multiplier (the paper's 1.0, 0.75, 0.5, 0.25).
    resolution : int, 32 .. 1024
        Side of the square RGB input (the paper's 224, 192, 160, 128).
    classes : int, >= 1

    Returns
    -------
    Network
        Named ``"conv1"``, ``"dw1"``, ``"pw1"``, ..., ``"dw13"``, ``"pw13"``, ``"avg pool"``,
        ``"fc"``. At width 1.0 and 224: 568,740,352 multiply-adds, 4,209,088 weights.
    """
    a = real(alpha, "alpha", "a number in (0, 4]", lambda v: 0 < v <= 4)
    res = integer(resolution, "resolution")
    if not MIN_MOBILENET_RESOLUTION <= res <= MAX_MOBILENET_RESOLUTION:
        raise ParameterError(
            "resolution", f"resolution must be from {MIN_MOBILENET_RESOLUTION} to "
                          f"{MAX_MOBILENET_RESOLUTION}, got {res}"
        )
    n_classes = at_least(classes, 1, "classes")

    def width(c: int) -> int:
        return max(1, int(c * a))

    layers: list[tuple[str, AnyLayer]] = [("conv1", Conv(width(32), 3, 2, 1, bias=False))]
    c, side = width(32), -(-res // 2)  # a 3x3, padding 1, stride 2 layer: ceil(side / 2)
    for i, (out, stride) in enumerate(MOBILENET_BLOCKS, start=1):
        layers.append((f"dw{i}", Conv(c, 3, stride, 1, groups=c, bias=False)))
        layers.append((f"pw{i}", Conv(width(out), 1, bias=False)))
        c, side = width(out), -(-side // stride)
    layers += [("avg pool", Pool(side, op="avg")), ("fc", Dense(n_classes))]
    return Network(f"MobileNet v1 {a:g}-{res}", (3, res, res), tuple(layers))


# ResNet-50's four stages (He et al. 2016, Table 1): block input/output channels, bottleneck
# width and the side of the map.
RESNET_STAGES: dict[str, tuple[int, int, int]] = {
    "conv2_x": (256, 64, 56),
    "conv3_x": (512, 128, 28),
    "conv4_x": (1024, 256, 14),
    "conv5_x": (2048, 512, 7),
}


def resnet_bottleneck(channels: int = 256, width: int = 64, size: int = 56) -> Network:
    """ResNet's bottleneck block: 1x1 ``channels -> width``, 3x3 ``width -> width`` (padding
    1), 1x1 ``width -> channels``, on a ``size x size`` map, without biases.

    The default is ResNet-50's conv2_x block (256 -> 64 -> 64 -> 256 at 56x56): 69,632
    weights, 218,365,952 multiply-adds.
    """
    c, w, s = (at_least(channels, 1, "channels"), at_least(width, 1, "width"),
               at_least(size, 1, "size"))
    layers = (("1x1 reduce", Conv(w, 1, bias=False)), ("3x3", Conv(w, 3, 1, 1, bias=False)),
              ("1x1 expand", Conv(c, 1, bias=False)))
    return Network(f"bottleneck {c}-{w}-{c}", (c, s, s), layers)


def resnet_basic(channels: int = 64, size: int = 56) -> Network:
    """Two 3x3 convolutions ``channels -> channels`` (padding 1, no biases): ResNet-34's basic
    block at ``channels = 64``, or the plain stack a bottleneck replaces at the same width."""
    c, s = at_least(channels, 1, "channels"), at_least(size, 1, "size")
    layers = (("3x3 a", Conv(c, 3, 1, 1, bias=False)), ("3x3 b", Conv(c, 3, 1, 1, bias=False)))
    return Network(f"two 3x3 {c}", (c, s, s), layers)


def separable_pair(in_channels: int, out_channels: int, kernel: int, size: int, *,
                   stride: int = 1, padding: int | None = None,
                   bias: bool = False) -> tuple[Network, Network]:
    """A standard convolution and the depthwise separable pair that replaces it.

    Standard: ``kernel x kernel``, ``C_in -> C_out``. Separable: ``kernel x kernel`` depthwise
    (``groups = C_in``) then a 1x1 pointwise ``C_in -> C_out``. Both take ``stride`` and
    ``padding`` (default ``(kernel - 1) // 2``) in the spatial layer, so their outputs have
    the same shape ``(C_out, H', W')``, and their multiply-adds are in the ratio
    ``(H'W' C_in k^2 + H'W' C_in C_out) / (H'W' C_in C_out k^2) = 1 / C_out + 1 / k^2``
    (Howard et al., eq. 5); without biases, their weights too.

    Returns
    -------
    (standard, separable) Networks on a ``(C_in, size, size)`` input.
    """
    c_in, c_out = at_least(in_channels, 1, "in_channels"), at_least(out_channels, 1, "out_channels")
    k, s = at_least(kernel, 1, "kernel"), at_least(stride, 1, "stride")
    n = at_least(size, 1, "size")
    p = (k - 1) // 2 if padding is None else integer(padding, "padding")
    shape = (c_in, n, n)
    standard = Network("standard", shape, ((f"{k}x{k} conv", Conv(c_out, k, s, p, bias=bias)),))
    separable = Network("depthwise separable", shape, (
        (f"{k}x{k} depthwise", Conv(c_in, k, s, p, groups=c_in, bias=bias)),
        ("1x1 pointwise", Conv(c_out, 1, bias=bias)),
    ))
    return standard, separable


__all__ = [
    "MOBILENET_BLOCKS",
    "MOBILENET_PRINTED",
    "MOBILENET_TABLE2",
    "RESNET_STAGES",
    "Network",
    "mobilenet_v1",
    "resnet_basic",
    "resnet_bottleneck",
    "separable_pair",
]
