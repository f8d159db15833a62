"""Feature maps as pictures: one map through a colour map, a stack as a labelled grid of
tiles, and an image with a window highlighted. Pillow and NumPy; matplotlib only for its
colour maps' tables."""

from __future__ import annotations

import matplotlib
import numpy as np
from PIL import Image, ImageDraw

from ..checks import ParameterError
from .style import SOLARIZED, font, hex_rgb

# The colour maps the app offers (matplotlib's names), the first the default.
CMAPS = ("viridis", "magma", "cividis", "gray", "coolwarm")
_LABEL_H = 22
_GAP = 6
_FONT_SIZE = 14
_LABEL_X, _LABEL_Y = 2, 3  # where a label starts inside its tile
_LABEL_INK = hex_rgb("#073642")  # Solarized base02, the guide's shadow colour


def _lut(cmap: str) -> np.ndarray:
    """(256, 3) uint8 colours of a matplotlib colormap."""
    return (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def colorize(m: np.ndarray, cmap: str = "viridis") -> np.ndarray:
    """One (H, W) map, stretched to its own min..max, as (H, W, 3) uint8 colours.

    Parameters
    ----------
    m : (H, W) array
    cmap : a matplotlib colour map's name (:data:`CMAPS`)

    Returns
    -------
    (H, W, 3) uint8 array: the smallest value the colour map's first colour, the largest its
    last; a constant map is all the first colour.
    """
    lo, hi = float(m.min()), float(m.max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    idx = ((m - lo) * scale).astype(np.uint8)
    return _lut(cmap)[idx]


def _fit(m: np.ndarray, side: int) -> np.ndarray:
    """Every n-th sample so the longest side is at most ``side`` (previews only)."""
    step = max(1, int(np.ceil(max(m.shape[-2:]) / side)))
    return m[..., ::step, ::step]


def maps_grid(
    maps: np.ndarray, names: list[str] | tuple[str, ...], *, cmap: str = "viridis",
    tile: int = 220, cols: int | None = None,
) -> Image.Image:
    """A (C, H, W) stack as one labelled image: one tile per channel, each stretched alone.

    Maps larger than ``tile`` are subsampled to at most ``tile`` pixels on their longest side;
    smaller ones are enlarged by a whole factor (nearest neighbour: every pixel stays a crisp
    square) up to ``tile``, so a 1x1 or 8x8 image is still visible and its labels fit. Each
    tile's slot is at least as wide as the widest label, which therefore never runs into the
    next tile (a very narrow map keeps its width and sits at the left of its slot). ``cols``
    defaults to a near-square layout.

    Parameters
    ----------
    maps : (C, H, W) array
    names : C labels, written above the tiles
    cmap : a matplotlib colour map's name (:data:`CMAPS`)
    tile : longest side of a tile in px
    cols : tiles a row

    Returns
    -------
    RGB image on white.
    """
    maps = _fit(np.asarray(maps, dtype=np.float32), tile)
    c, h, w = maps.shape
    names = [str(n) for n in names]
    if len(names) != c:
        raise ParameterError("names", f"names must have one entry per map ({c}), got {len(names)}")
    zoom = max(1, tile // max(h, w))
    h, w = h * zoom, w * zoom
    f = font(None, _FONT_SIZE)  # the drawings' font: Pillow's built-in one
    label_w = max((f.getbbox(n)[2] for n in names), default=0)
    slot = max(w, _LABEL_X + label_w + _LABEL_X)
    cols = cols or max(1, min(c, int(np.ceil(np.sqrt(c * h / slot)))))
    rows = -(-c // cols)
    canvas = Image.new("RGB", (cols * (slot + _GAP) - _GAP, rows * (h + _LABEL_H + _GAP) - _GAP),
                       "white")
    draw = ImageDraw.Draw(canvas)
    for i in range(c):
        r, col = divmod(i, cols)
        x, y = col * (slot + _GAP), r * (h + _LABEL_H + _GAP)
        draw.text((x + _LABEL_X, y + _LABEL_Y), names[i], fill=_LABEL_INK, font=f)
        rgb = colorize(maps[i], cmap).repeat(zoom, axis=0).repeat(zoom, axis=1)
        canvas.paste(Image.fromarray(rgb), (x, y + _LABEL_H))
    return canvas


def highlight(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int],
              zoom: int = 1) -> np.ndarray:
    """The image dimmed outside ``mask``, enlarged ``zoom`` times (nearest neighbour), with
    the box (r0, r1, c0, c1) outlined in the guide's output cyan just outside its cells.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 image
    mask : (H, W) bool, the pixels kept bright
    box : (r0, r1, c0, c1) rows and columns (end excluded) of the outlined window
    zoom : whole enlargement factor

    Returns
    -------
    (H * zoom, W * zoom, 3) uint8 array.
    """
    out = rgb.astype(np.float32)
    out[~mask] = out[~mask] * 0.3 + 255 * 0.7
    out = out.repeat(zoom, 0).repeat(zoom, 1)
    r0, r1, c0, c1 = (v * zoom for v in box)
    if r1 > r0 and c1 > c0:
        t = max(2, min(out.shape[:2]) // 200)
        cyan = np.array(SOLARIZED.output, dtype=np.float32)
        a, b = max(r0 - t, 0), min(r1 + t, out.shape[0])
        c, d = max(c0 - t, 0), min(c1 + t, out.shape[1])
        out[a:r0, c:d] = cyan
        out[r1:b, c:d] = cyan
        out[a:b, c:c0] = cyan
        out[a:b, c1:d] = cyan
    return out.astype(np.uint8)


__all__ = ["CMAPS", "colorize", "highlight", "maps_grid"]
