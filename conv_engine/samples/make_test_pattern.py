"""Draw ``test_pattern.png``, the sample image that makes the filters' behaviour easy to read.

Four 256 x 256 quadrants on a 512 x 512 canvas:

- top left: black and white gratings at 0, 45, 90 and 135 degrees (period 16 px), one per
  128 x 128 tile, so each orientation-tuned filter lights up on exactly one tile;
- top right: red, green and blue discs on black, added where they overlap (yellow, cyan,
  magenta, white), so a 1x1 convolution's colour mixing is visible at a glance;
- bottom left: concentric rings (period 16 px), every orientation at once;
- bottom right: a hue sweep fading to white (top half) above two checkerboards (bottom half),
  black/white and red/green; the red and green have about the same luma, so that
  checkerboard all but vanishes in a greyscale reduction while a colour-opponent 1x1 filter
  (red minus green) shows it clearly.

Everything is drawn at 4x the size and box-averaged down, which anti-aliases the edges.
The output is deterministic. Usage: ``python make_test_pattern.py [OUTPUT.png]``.
Needs only NumPy and Pillow.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 512
SUPERSAMPLE = 4
PERIOD = 16.0  # pixels per black + white pair: a scale that 3x3 to 7x7 filters can resolve


def _square_wave(t: np.ndarray, period: float) -> np.ndarray:
    """1.0 on the first half of each period, 0.0 on the second."""
    return (np.floor(t / (period / 2.0)) % 2 == 0).astype(np.float32)


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """HSV in [0, 1] to an (..., 3) float RGB array in [0, 1]."""
    i = np.floor(h * 6.0) % 6
    f = h * 6.0 - np.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros((*h.shape, 3), np.float32)
    for k, (r, g, b) in enumerate(table):
        m = i == k
        out[m] = np.stack([r[m], g[m], b[m]], axis=-1)
    return out


def gratings(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Top-left quadrant: a 2 x 2 grid of gratings at 0, 45, 90 and 135 degrees."""
    tile = 128.0
    out = np.zeros((*y.shape, 3), np.float32)
    for k, degrees in enumerate((0, 45, 90, 135)):
        row, col = divmod(k, 2)
        m = (y // tile == row) & (x // tile == col)
        # Project onto the grating's normal; stripes run along `degrees` (0 = horizontal).
        a = np.deg2rad(degrees)
        cy, cx = (row + 0.5) * tile, (col + 0.5) * tile
        t = -(x[m] - cx) * np.sin(a) + (y[m] - cy) * np.cos(a)
        out[m] = _square_wave(t + PERIOD / 4.0, PERIOD)[:, None]
    return out


def discs(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Top-right quadrant: additive red, green and blue discs on black."""
    out = np.zeros((*y.shape, 3), np.float32)
    cy, cx, radius, offset = 132.0, 128.0, 70.0, 42.0
    for channel, angle in enumerate((-90.0, 150.0, 30.0)):
        a = np.deg2rad(angle)
        dy, dx = y - (cy + offset * np.sin(a)), x - (cx + offset * np.cos(a))
        out[..., channel] = (dy * dy + dx * dx <= radius * radius).astype(np.float32)
    return out


def rings(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Bottom-left quadrant: white and black concentric rings."""
    r = np.hypot(y - 128.0, x - 128.0)
    return np.repeat(_square_wave(r, PERIOD)[..., None], 3, axis=-1)


def colours(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Bottom-right quadrant: hue sweep over saturation, then two checkerboards."""
    out = np.zeros((*y.shape, 3), np.float32)
    top = y < 128.0
    h, s = x[top] / 256.0, 1.0 - y[top] / 128.0
    out[top] = _hsv_to_rgb(h, s, np.ones_like(h))
    bottom = ~top
    squares = (np.floor(x[bottom] / 16.0) + np.floor(y[bottom] / 16.0)) % 2 == 0
    left = x[bottom] < 128.0
    # Red (200, 0, 0) and green (0, 102, 0) have about the same luma (0.299 R + 0.587 G).
    light = np.where(left, 1.0, 0.0)[:, None] * np.array([1.0, 1.0, 1.0], np.float32)
    light[~left] = (200 / 255.0, 0.0, 0.0)
    dark = np.zeros_like(light)
    dark[~left] = (0.0, 102 / 255.0, 0.0)
    out[bottom] = np.where(squares[:, None], light, dark)
    return out


def make_test_pattern() -> Image.Image:
    """The 512 x 512 RGB test pattern as a Pillow image."""
    n = SIZE * SUPERSAMPLE
    # Sample at sub-pixel centres, in output-pixel units.
    c = (np.arange(n, dtype=np.float32) + 0.5) / SUPERSAMPLE
    y, x = np.meshgrid(c, c, indexing="ij")
    half = SIZE // 2
    img = np.zeros((n, n, 3), np.float32)
    h = half * SUPERSAMPLE
    quadrants = ((0, 0, gratings), (0, 1, discs), (1, 0, rings), (1, 1, colours))
    for row, col, draw in quadrants:
        ys, xs = slice(row * h, (row + 1) * h), slice(col * h, (col + 1) * h)
        img[ys, xs] = draw(y[ys, xs] - row * half, x[ys, xs] - col * half)
    small = img.reshape(SIZE, SUPERSAMPLE, SIZE, SUPERSAMPLE, 3).mean(axis=(1, 3))
    return Image.fromarray(np.round(small * 255.0).astype(np.uint8), "RGB")


def main(argv: list[str]) -> None:
    """Write the pattern to the path given, or next to this script."""
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("test_pattern.png")
    make_test_pattern().save(out, "PNG", optimize=True)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv)
