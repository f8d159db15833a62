"""Raster helpers: grid edges as runs, a supersampling pen for static layers, and
anti-aliased lines computed with NumPy for the parts that move every frame."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .style import RGB, font


def runs(e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True along axis 1 of a 2-D mask: (line, start, end) arrays, end exclusive."""
    d = np.diff(e.astype(np.int8), axis=1, prepend=0, append=0)
    line, start = np.nonzero(d == 1)
    _, end = np.nonzero(d == -1)  # row-major order pairs each start with its end
    return line, start, end


def edges(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges touching a True cell of an (H, W) mask, merged into straight runs.

    Returns ``(p0, p1)``: (n, 2) arrays of (row, col) boundary points.
    """
    h, w = mask.shape
    m = np.zeros((h + 2, w + 2), bool)
    m[1:-1, 1:-1] = mask
    horiz = m[:-1, 1:-1] | m[1:, 1:-1]  # (H+1, W): boundary row y, cell column c
    vert = m[1:-1, :-1] | m[1:-1, 1:]  # (H, W+1): cell row r, boundary column x
    hy, hx0, hx1 = runs(horiz)
    vx, vy0, vy1 = runs(vert.T)
    p0 = np.concatenate([np.stack([hy, hx0], 1), np.stack([vy0, vx], 1)])
    p1 = np.concatenate([np.stack([hy, hx1], 1), np.stack([vy1, vx], 1)])
    return p0, p1


def pixels(img: np.ndarray) -> np.ndarray:
    """(H, W) view of a C-contiguous (H, W, 3) uint8 array, one 3-byte item a pixel: masked
    copies then move whole pixels at once."""
    return img.view(np.dtype((np.void, 3)))[..., 0]


def grid_lines(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Every boundary line of an (H, W) grid, edge to edge: (p0, p1) in (row, col)."""
    h, w = shape
    ys, xs = np.arange(h + 1), np.arange(w + 1)
    p0 = np.concatenate([np.stack([ys, 0 * ys], 1), np.stack([0 * xs, xs], 1)])
    p1 = np.concatenate([np.stack([ys, 0 * ys + w], 1), np.stack([0 * xs + h, xs], 1)])
    return p0, p1


class Pen:
    """Draws in canvas pixel coordinates onto an image ``ss`` times larger (no anti-aliasing:
    the box-filtered downscale smooths the edges)."""

    def __init__(self, im: Image.Image, ss: int) -> None:
        self.im, self.ss = im, ss
        self.draw = ImageDraw.Draw(im)

    def _px(self, pts) -> np.ndarray:
        return np.asarray(pts, float).reshape(-1, 2) * self.ss

    def polygon(self, pts, fill) -> None:
        self.draw.polygon([tuple(p) for p in self._px(pts).tolist()], fill=fill)

    def _width(self, px: float) -> int:
        return max(1, round(px * self.ss))

    def segments(self, p0, p1, width: float, fill) -> None:
        """Straight lines p0[i] -> p1[i] with square caps, which close the corners of grids."""
        a, b = self._px(p0), self._px(p1)
        w = self._width(width)
        d = b - a
        d *= (w / 2) / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        for (x0, y0), (x1, y1) in zip((a - d).tolist(), (b + d).tolist(), strict=True):
            self.draw.line([(x0, y0), (x1, y1)], fill=fill, width=w)

    def dashed(self, p0, p1, width: float, fill, dash: float) -> None:
        """Dashed lines (``dash`` px on, ``dash`` px off, from p0) as TikZ draws them."""
        a, b = self._px(p0), self._px(p1)
        d = b - a
        length = np.hypot(d[:, 0], d[:, 1])
        period = 2 * dash * self.ss
        n = np.ceil(length / period).astype(int)
        seg = np.repeat(np.arange(len(a)), n)
        t0 = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) * period
        t1 = np.minimum(t0 + dash * self.ss, length[seg])
        unit = d[seg] / np.maximum(length[seg], 1e-9)[:, None]
        s, e = a[seg] + unit * t0[:, None], a[seg] + unit * t1[:, None]
        w = self._width(width)
        for (x0, y0), (x1, y1) in zip(s.tolist(), e.tolist(), strict=True):
            self.draw.line([(x0, y0), (x1, y1)], fill=fill, width=w)

    def text(self, xy, s: str, px: int, fill, path: str | None, anchor: str | None = None) -> None:
        """``s`` with its ink centred on ``xy`` (or placed by a Pillow ``anchor``)."""
        draw_text(self.draw, self._px(xy)[0], s, px * self.ss, fill, path, anchor)


def draw_text(draw: ImageDraw.ImageDraw, xy, s: str, px: int, fill, path: str | None,
              anchor: str | None = None) -> None:
    """``s`` in a ``px`` font with its ink centred on ``xy`` (or placed by ``anchor``)."""
    f = font(path, px)
    x, y = float(xy[0]), float(xy[1])
    if anchor is None:
        left, top, right, bottom = f.getbbox(s)
        x, y, anchor = x - (left + right) / 2, y - (top + bottom) / 2, "la"
    draw.text((x, y), s, font=f, fill=fill, anchor=anchor)


def line_pixels(p0, p1, width, shape: tuple[int, int], caps: bool = True):
    """Pixels under anti-aliased straight lines, for drawing with :func:`blend`.

    Parameters
    ----------
    p0, p1 : (n, 2) line ends in pixel coordinates (x, y); pixel (i, j) covers [i, i+1)
    width : line width in px, scalar or (n,)
    shape : (H, W) of the target; pixels outside are dropped
    caps : extend each line by half its width at both ends (square caps)

    Returns
    -------
    rows, cols, cover : (m,) arrays; ``cover`` in (0, 1] is the overlap of each pixel with the
    line's cross-section along the pixel row (column, for lines nearer horizontal).
    """
    p0 = np.asarray(p0, float).reshape(-1, 2)
    p1 = np.asarray(p1, float).reshape(-1, 2)
    width = np.broadcast_to(np.asarray(width, float), (len(p0),))
    d = p1 - p0
    length = np.hypot(d[:, 0], d[:, 1])
    ok = length > 1e-9
    p0, p1, d, length, width = p0[ok], p1[ok], d[ok], length[ok], width[ok]
    if caps:
        e = d * (width / 2 / length)[:, None]
        p0, p1 = p0 - e, p1 + e
    steep = np.abs(d[:, 1]) >= np.abs(d[:, 0])
    out_r, out_c, out_v = [], [], []
    for is_steep in (True, False):
        sel = steep == is_steep
        if not sel.any():
            continue
        major, minor = (1, 0) if is_steep else (0, 1)  # steep lines step over rows
        n_major, n_minor = (shape[0], shape[1]) if is_steep else (shape[1], shape[0])
        a_maj, a_min, b_maj, b_min = p0[sel, major], p0[sel, minor], p1[sel, major], p1[sel, minor]
        lo, hi = np.minimum(a_maj, b_maj), np.maximum(a_maj, b_maj)
        first = np.clip(np.ceil(lo - 0.5), 0, n_major).astype(int)
        count = np.maximum(np.clip(np.floor(hi - 0.5) + 1, 0, n_major).astype(int) - first, 0)
        seg = np.repeat(np.arange(len(lo)), count)
        m = np.repeat(first, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count,
                                                                          count)
        slope = (b_min - a_min) / (b_maj - a_maj)
        centre = a_min[seg] + (m + 0.5 - a_maj[seg]) * slope[seg]
        half = (width[sel] * np.hypot(1.0, slope) / 2)[seg]
        left, right = centre - half, centre + half
        base = np.floor(left).astype(int)
        for k in range(math.ceil(2 * half.max()) + 1 if half.size else 0):
            n = base + k
            cover = np.clip(np.minimum(n + 1, right) - np.maximum(n, left), 0, 1)
            keep = (cover > 0) & (n >= 0) & (n < n_minor)
            r, c = (m[keep], n[keep]) if is_steep else (n[keep], m[keep])
            out_r.append(r)
            out_c.append(c)
            out_v.append(cover[keep])
    if not out_r:
        empty = np.zeros(0, int)
        return empty, empty, np.zeros(0)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)


def blend(img: np.ndarray, rows, cols, cover, color: RGB, levels: int) -> None:
    """Lay ``color`` over pixels (rows, cols) of an (H, W, 3) uint8 array, in place.

    Covers are rounded to ``levels`` steps (fewer shades make smaller GIFs); where lines
    cross, a pixel takes its largest cover.
    """
    q = np.rint(np.asarray(cover) * levels).astype(np.int16)
    keep = q > 0
    rows, cols, q = np.asarray(rows)[keep], np.asarray(cols)[keep], q[keep]
    if rows.size == 0:
        return
    most = np.zeros(img.shape[:2], np.int16)
    for level in range(1, levels + 1):  # one value a pass, so repeated pixels agree
        sel = q >= level
        most[rows[sel], cols[sel]] = level
    a = most[rows, cols, None].astype(np.float32) / levels
    px = img[rows, cols].astype(np.float32)
    img[rows, cols] = np.rint(px + (np.asarray(color, np.float32) - px) * a)
