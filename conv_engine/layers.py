"""One description of a network's layers, for its costs and its receptive fields.

:class:`Conv`, :class:`Pool` and :class:`Dense` are plain frozen values, checked when made,
with PyTorch's meaning of every field. Each gives the shape it turns a ``(C, H, W)`` input
into (:meth:`Conv.output_shape`); :func:`conv_engine.networks.network_cost` counts their
parameters and multiply-adds, :func:`conv_engine.networks.receptive_field` follows their
geometry. Kernels, strides, paddings and dilations are square: one int for both axes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arithmetic import _direct_len, _int, effective_kernel

Shape = tuple[int, int, int]  # (C, H, W)

POOL_OPS = ("max", "avg")


def _at_least(obj: object, name: str, lo: int) -> None:
    """Check field ``name`` of a frozen dataclass is an int >= lo, and store it as an int."""
    v = _int(getattr(obj, name), name)
    if v < lo:
        raise ValueError(f"{name} must be >= {lo}, got {v}")
    object.__setattr__(obj, name, v)


def _flag(obj: object, name: str) -> None:
    """Check field ``name`` is a bool (1 and 0 read like counts: refused)."""
    v = getattr(obj, name)
    if not isinstance(v, bool):
        raise ValueError(f"{name} must be True or False, got {v!r}")


def input_shape(shape: object, name: str = "input_shape") -> Shape:
    """A ``(C, H, W)`` triple of ints >= 1, or ValueError naming it."""
    if isinstance(shape, str | bytes) or not isinstance(shape, tuple | list) or len(shape) != 3:
        raise ValueError(f"{name} must be a (C, H, W) triple, got {shape!r}")
    out = tuple(_int(v, name) for v in shape)
    if min(out) < 1:
        raise ValueError(f"{name} must have every entry >= 1, got {out}")
    return out  # type: ignore[return-value]


def _spatial(shape: Shape, k: int, s: int, p: int, d: int) -> tuple[int, int]:
    """(H', W') of a square window op: ``floor((H + 2p - k_eff) / s) + 1`` on each axis."""
    return (_direct_len(shape[1], k, s, p, p, d), _direct_len(shape[2], k, s, p, p, d))


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
            raise ValueError(
                f"groups must divide out_channels: {self.out_channels} is not a multiple of "
                f"groups={self.groups}"
            )

    @property
    def k_eff(self) -> int:
        """Extent of the dilated kernel, ``d (k - 1) + 1``."""
        return effective_kernel(self.kernel, self.dilation)

    def output_shape(self, shape: Shape) -> Shape:
        """``(out_channels, H', W')`` for a ``(C_in, H, W)`` input,
        ``H' = floor((H + 2p - k_eff) / s) + 1``; ValueError when ``groups`` does not divide
        ``C_in`` or the kernel does not fit."""
        c, h, w = input_shape(shape, "shape")
        if c % self.groups:
            raise ValueError(
                f"groups must divide the input channels: the input has {c} channels, not a "
                f"multiple of groups={self.groups}"
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
        if self.padding > self.kernel // 2:
            raise ValueError(
                f"padding must be at most half the pooling kernel ({self.kernel // 2}), "
                f"got {self.padding}"
            )
        if self.op not in POOL_OPS:
            raise ValueError(f"op must be one of {POOL_OPS}, got {self.op!r}")

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
        c, h, w = input_shape(shape, "shape")
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
        input_shape(shape, "shape")
        return (self.out_features, 1, 1)


AnyLayer = Conv | Pool | Dense  # what a network is a sequence of

__all__ = ["POOL_OPS", "Conv", "Dense", "Pool"]
