"""One description of a network's layers, for its costs and its receptive fields.

:class:`Conv`, :class:`Pool` and :class:`Dense` are plain frozen values, checked when made,
with PyTorch's meaning of every field. Each gives the shape it turns a ``(C, H, W)`` input
into (:meth:`Conv.output_shape`); :func:`conv_engine.costs.network_cost` counts their
parameters and multiply-adds, :func:`conv_engine.receptive_fields.receptive_field` follows
their geometry. Kernels, strides, paddings and dilations are square: one int for both axes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arithmetic import check_pool_padding, effective_kernel, output_size
from .checks import ParameterError, at_least, flag, map_shape, one_of, require
from .limits import MAX_CHANNEL_VIEW

Shape = tuple[int, int, int]  # (C, H, W)

POOL_OPS = ("max", "avg")


def _at_least(obj: object, name: str, lo: int) -> None:
    """Check field ``name`` of a frozen dataclass is an int >= lo, and store it as an int."""
    object.__setattr__(obj, name, at_least(getattr(obj, name), lo, name))


def _flag(obj: object, name: str) -> None:
    """Check field ``name`` is a bool (1 and 0 read like counts: refused), and store it as one."""
    object.__setattr__(obj, name, flag(getattr(obj, name), name))


def _spatial(shape: Shape, k: int, s: int, p: int, d: int) -> tuple[int, int]:
    """(H', W') of a square window op: ``floor((H + 2p - k_eff) / s) + 1`` on each axis."""
    return (output_size(shape[1], k, stride=s, padding=p, dilation=d),
            output_size(shape[2], k, stride=s, padding=p, dilation=d))


@dataclass(frozen=True)
class Conv:
    """A convolution layer, as PyTorch's ``nn.Conv2d`` with square sizes.

    Parameters
    ----------
    out_channels : int, >= 1
    kernel : int, >= 1
        Side k of the k x k kernel.
    stride, dilation : int, >= 1
    padding : int, >= 0
        Zeros added on every side.
    groups : int, >= 1
        Input and output channels split into ``groups`` blocks, block j of the output seeing
        block j of the input only; ``groups = C_in`` is a depthwise convolution. Must divide
        ``out_channels`` (and the input's channels, checked by :meth:`output_shape`).
    bias : bool
        One bias per output channel (False when a batch norm follows, as in MobileNet).

    Weights are ``(out_channels, C_in / groups, k, k)`` for a ``C_in``-channel input.
    """

    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        for name, lo in (("out_channels", 1), ("kernel", 1), ("stride", 1), ("padding", 0),
                         ("dilation", 1), ("groups", 1)):
            _at_least(self, name, lo)
        _flag(self, "bias")
        if self.out_channels % self.groups:
            raise ParameterError(
                "groups",
                f"groups must divide out_channels: {self.out_channels} is not a multiple of "
                f"groups={self.groups}",
            )

    @property
    def k_eff(self) -> int:
        """Extent of the dilated kernel, ``d (k - 1) + 1``."""
        return effective_kernel(self.kernel, self.dilation)

    def output_shape(self, shape: Shape) -> Shape:
        """``(out_channels, H', W')`` for a ``(C_in, H, W)`` input,
        ``H' = floor((H + 2p - k_eff) / s) + 1``; ValueError when ``groups`` does not divide
        ``C_in`` or the kernel does not fit."""
        c, h, w = map_shape(shape, "shape")
        if c % self.groups:
            raise ParameterError(
                "shape",
                f"groups must divide the input channels: the input has {c} channels, not a "
                f"multiple of groups={self.groups}",
            )
        return (self.out_channels,
                *_spatial((c, h, w), self.kernel, self.stride, self.padding, self.dilation))


@dataclass(frozen=True)
class Pool:
    """A max or average pooling layer, as PyTorch's ``nn.MaxPool2d`` / ``nn.AvgPool2d``.

    Parameters
    ----------
    kernel : int, >= 1
    stride : int, >= 1, optional
        Defaults to ``kernel`` (non-overlapping windows), stored as that number.
    padding : int, 0 .. kernel // 2
        PyTorch's limit; padded values never win a max and count as zeros in an average.
    op : "max" or "avg"
    """

    kernel: int
    stride: int | None = None
    padding: int = 0
    op: str = "max"

    def __post_init__(self) -> None:
        _at_least(self, "kernel", 1)
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel)
        _at_least(self, "stride", 1)
        _at_least(self, "padding", 0)
        check_pool_padding((self.padding,) * 4, (self.kernel, self.kernel))
        one_of(self.op, POOL_OPS, "op")

    @property
    def dilation(self) -> int:
        """Always 1: pooling windows are contiguous."""
        return 1

    @property
    def k_eff(self) -> int:
        """Extent of the window, ``kernel``."""
        return self.kernel

    def output_shape(self, shape: Shape) -> Shape:
        """``(C, H', W')`` for a ``(C, H, W)`` input: channels kept,
        ``H' = floor((H + 2p - k) / s) + 1`` (PyTorch's floor mode)."""
        c, h, w = map_shape(shape, "shape")
        return (c, *_spatial((c, h, w), self.kernel, self.stride, self.padding, 1))


@dataclass(frozen=True)
class Dense:
    """A fully connected layer on the flattened input, as ``nn.Flatten`` + ``nn.Linear``.

    Parameters
    ----------
    out_features : int, >= 1
    bias : bool

    A ``(C, H, W)`` input gives ``(out_features, 1, 1)``: the same as a convolution whose
    kernel covers the whole input (on a 1x1 map, a 1x1 convolution).
    """

    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        _at_least(self, "out_features", 1)
        _flag(self, "bias")

    def output_shape(self, shape: Shape) -> Shape:
        """``(out_features, 1, 1)`` for any ``(C, H, W)`` input."""
        map_shape(shape, "shape")
        return (self.out_features, 1, 1)


AnyLayer = Conv | Pool | Dense  # what a network is a sequence of


def check_channel_case(layer: Conv, input_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """The output shape of ``layer`` on ``input_shape``, or ParameterError naming what the
    channels view cannot draw (sizes beyond :data:`~conv_engine.limits.MAX_CHANNEL_VIEW`,
    dilation): the one check of a channels case, for its drawing and its captions alike."""
    require(layer, Conv, "layer")
    out = layer.output_shape(input_shape)
    lim = MAX_CHANNEL_VIEW
    checks = (("C_in", input_shape[0]), ("C_out", layer.out_channels), ("H", input_shape[1]),
              ("W", input_shape[2]), ("kernel", layer.kernel), ("stride", layer.stride),
              ("padding", layer.padding))
    for name, v in checks:
        if v > lim[name]:
            raise ParameterError(
                name, f"{name} must be at most {lim[name]} for the channels view, got {v}"
            )
    if layer.dilation != 1:
        raise ParameterError(
            "dilation", f"dilation must be 1 for the channels view, got {layer.dilation}"
        )
    return out


__all__ = ["POOL_OPS", "Conv", "Dense", "Pool", "check_channel_case"]
