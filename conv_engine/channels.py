"""The channels lesson: a (grouped, depthwise) convolution over a small multi-channel input,
as numbers a learner can check, frames and GIFs.

The drawing is :class:`~conv_engine.render.channels.ChannelsAnimation` and the caption of
each step :func:`~conv_engine.captions.channels_caption`; this module adds the data (small
integers) and the exports.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .checks import integer
from .export import DEFAULT_DURATION, animation_gif
from .layers import Conv, check_channel_case
from .render.channels import ChannelsAnimation
from .render.style import Style


def channels_data(layer: Conv, input_shape: tuple[int, int, int],
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Small integer values (0..3) and weights (-1..2) for ``layer`` on ``input_shape``,
    easy to multiply in one's head, from ``numpy.random.default_rng(seed)``.

    Returns
    -------
    x : (C_in, H, W) float array
    w : (C_out, C_in / groups, k, k) float array
    """
    check_channel_case(layer, input_shape)
    rng = np.random.default_rng(integer(seed, "seed"))
    c, k = input_shape[0], layer.kernel
    x = rng.integers(0, 4, input_shape).astype(float)
    w = rng.integers(-1, 3, (layer.out_channels, c // layer.groups, k, k)).astype(float)
    return x, w


def draw_channels_step(layer: Conv, input_shape: tuple[int, int, int], filter: int = 0,
                       step: int = 0, *, style: Style | None = None) -> Image.Image:
    """Frame ``step`` of filter ``filter`` of ``layer`` over ``input_shape`` (a still).

    Steps run row-major over the filter's output cells, ``0 <= step < H_out * W_out``.
    """
    return ChannelsAnimation(layer, input_shape, filter, style).frame(step)


def channels_gif(layer: Conv, input_shape: tuple[int, int, int], filter: int = 0, *,
                 duration: float = DEFAULT_DURATION, scale: int = 1,
                 style: Style | None = None) -> bytes:
    """Every frame of filter ``filter`` sliding over the input, as GIF bytes: ``duration`` ms
    a frame, looping forever, one shared palette without dithering (the flat colours exact).

    ``scale`` upscales nearest-neighbour, for browsers that show the GIF large.
    """
    anim = ChannelsAnimation(layer, input_shape, filter, style)
    return animation_gif(anim, duration, scale=scale, colors=anim.extra_colors)


__all__ = [
    "channels_data",
    "channels_gif",
    "draw_channels_step",
]
