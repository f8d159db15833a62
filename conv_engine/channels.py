"""The channels lesson: a (grouped, depthwise) convolution over a small multi-channel input,
as numbers a learner can check, frames and GIFs.

The drawing is :class:`~conv_engine.render.channels.ChannelsAnimation`; this module adds the
data (small integers), the caption of each step (the engine's :func:`~conv_engine.ops.conv2d`
value next to one sum per input channel) and the exports.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from PIL import Image

from .captions import dot_terms, factor_text, fmt, round_text
from .checks import ParameterError, array, integer
from .export import DEFAULT_DURATION, animation_gif
from .layers import Conv
from .ops import conv2d
from .render.channels import ChannelsAnimation, check_channel_case
from .render.style import Style

# A channel's sum lists every product up to this many taps; beyond it the middle is elided.
_MAX_TERMS = 9


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


def _check(x, w, layer: Conv) -> tuple[np.ndarray, np.ndarray]:
    """The input and weights of a channels case, checked against ``layer``."""
    x, w = array(x, "x", 3), array(w, "w", 4)
    check_channel_case(layer, x.shape)
    want = (layer.out_channels, x.shape[0] // layer.groups, layer.kernel, layer.kernel)
    if w.shape != want:
        raise ParameterError(
            "w", f"w must have shape {want} for this layer and input, got {w.shape}"
        )
    return x, w


def _span(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}–{b}"


def channels_caption(x: np.ndarray, w: np.ndarray, layer: Conv, filter: int, step: int) -> str:
    """What step ``step`` of filter ``filter`` computes, as Markdown.

    A heading (the filter, its group and the input channels it reads, the window), then one
    line per channel of the group, ``channel c: x·w + ... = partial`` over the ``k x k``
    window (products ``x[c, ...]·w[filter, c - first, i, j]`` row-major, the middle elided
    beyond nine), then ``out[o, r, c] = partial + partial + ... = total``, where ``total`` is
    :func:`~conv_engine.ops.conv2d`'s value (printed as :mod:`conv_engine.captions` prints
    sums: exact with the decimals of its terms, at least one, or ``≈``), and the count of
    multiply-adds, ``(C_in / groups) k^2``.

    Parameters
    ----------
    x : (C_in, H, W) array
    w : (C_out, C_in / groups, k, k) array
    layer : Conv (no bias is added: the drawing's convolution has none)
    filter, step : as in :class:`~conv_engine.render.channels.ChannelsAnimation`
    """
    x, w = _check(x, w, layer)
    anim = ChannelsAnimation(layer, x.shape, filter)  # checks filter; geometry only
    r, col = anim.step_cell(step)
    r0, c0, r1, c1 = anim.window(step)
    p = layer.padding
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    o = anim.filter
    out = conv2d(x, w, stride=layer.stride, padding=p, groups=layer.groups)[o, r, col]
    chans = anim.channels
    lines, totals, exact, places = [], [], True, 1
    for g, ch in enumerate(chans):
        vals, wts = xp[ch, r0:r1, c0:c1], w[o, g]
        partial = float(np.sum(vals * wts))
        terms, rel, total = dot_terms(vals, wts, result=partial)
        if len(terms) > _MAX_TERMS:
            keep = _MAX_TERMS - 1
            terms = [*terms[: keep - keep // 2], "…", *terms[len(terms) - keep // 2:]]
        lines.append(f"channel {ch}: {' + '.join(terms)} {rel} {total}")
        totals.append(total)
        exact = exact and rel == "="
        places = max(places, len(total.split(".")[1]) if "." in total else 0)
    if exact:
        result = round_text(sum(map(Fraction, totals), Fraction(0)), places, 1)
        rel = "="
    else:
        result, rel = fmt(out, min_places=1), "≈"
    sums = " + ".join([totals[0], *map(factor_text, totals[1:])])
    per_in, groups = x.shape[0] // layer.groups, layer.groups
    group = "" if groups == 1 else f" (group {anim.group} of {groups})"
    k = layer.kernel
    head = (f"**Filter {o}**{group} reads input channel{'s' if per_in > 1 else ''} "
            f"{_span(chans.start, chans.stop - 1)}, rows {r0}–{r1 - 1} and columns "
            f"{c0}–{c1 - 1} of the padded input, for output cell ({r}, {col}):")
    last = (f"out[{o}, {r}, {col}] {rel} {sums} {rel} {result}" if per_in > 1
            else f"out[{o}, {r}, {col}] {rel} {result}")
    mults = f"{per_in}·{k}·{k} = {per_in * k * k} multiply-adds"
    return "\n".join([head, *(f"- {line}" for line in lines), f"- {last}: {mults}"])


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
    "channels_caption",
    "channels_data",
    "channels_gif",
    "draw_channels_step",
]
