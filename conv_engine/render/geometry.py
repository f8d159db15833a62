"""Where things land on the canvas: grid and output cells -> pixels, for both views.

Only screen placement lives here; which cells a kernel covers comes from the engine's
one geometry function (``arithmetic.window_in``, via the trace's steps and layout). The
projections of every view are here too: the guide's slant (:data:`SLANT`) and the flatter
pile projection of the depth and channels views (:data:`PILE_U`, :data:`PILE_V`), with what
every view's geometry shares (:class:`CanvasGeometry`: line widths, boxes of points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..checks import ParameterError
from ..limits import MAX_CANVAS_SIDE
from .style import Style, font, line_widths

# The guide's 2.5D slant: a point (x, y) of a plane (y up) goes to (x - 0.7 y, 0.5 x + 0.65 y).
SLANT = np.array([[1.0, -0.7], [0.5, 0.65]])
# The piles of sheets (depth and channels views): one column of a sheet goes right; one row
# towards the back goes right and up. Flatter than the guide's slant so that a pile of sheets
# stays short (the guide's is three times taller: a pile of eight would not fit a page).
PILE_U = np.array([1.0, 0.0])
PILE_V = np.array([0.5, -0.34])


def pile_extent(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Bounding box (lo, hi) in cells of an (h, w) sheet of a pile, relative to its
    (row h, col 0) corner."""
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)  # (cols right, rows back)
    pts = corners[:, :1] * PILE_U + corners[:, 1:] * PILE_V
    return pts.min(axis=0), pts.max(axis=0)


class CanvasGeometry:
    """What every view's placement shares: the guide's two line widths for cells of ``cell``
    px, and boxes of points on a canvas of ``size`` (width, height) px."""

    cell: float
    size: tuple[int, int]

    @property
    def line(self) -> float:
        """Width in px of the guide's 'thick' grid lines (0.8 pt on a 0.5 cm cell)."""
        return line_widths(self.cell)[0]

    @property
    def thin(self) -> float:
        """Width in px of the guide's thin connector lines (0.4 pt on a 0.5 cm cell)."""
        return line_widths(self.cell)[1]

    def box(self, pts, pad: float | None = None) -> tuple[int, int, int, int]:
        """Integer canvas box (x0, y0, x1, y1) around points (..., 2) px, widened by ``pad``
        px (default: room for a thick line and its smoothing), clipped to the canvas."""
        p = math.ceil(self.line) + 2 if pad is None else pad
        pts = np.asarray(pts, float).reshape(-1, 2)
        (x0, y0), (x1, y1) = pts.min(axis=0).tolist(), pts.max(axis=0).tolist()
        return (max(0, math.floor(x0 - p)), max(0, math.floor(y0 - p)),
                min(self.size[0], math.ceil(x1 + p)), min(self.size[1], math.ceil(y1 + p)))


@dataclass(frozen=True, eq=False)
class Geometry(CanvasGeometry):
    """Pixel placement of one drawing.

    Planes are ``"grid"`` (the drawn input grid: padding and inserted zeros included, in the
    coordinates of ``Trace.layout``) and ``"output"``. A plane point ``(row, col)`` is a
    cell-boundary coordinate: cell (r, c) spans rows r..r+1 and columns c..c+1.
    ``affine[plane]`` maps ``(col, row, 1)`` to pixel ``(x, y)`` (continuous coordinates,
    pixel (i, j) covering [i, i+1) x [j, j+1)).
    """

    numerical: bool
    cell: int
    size: tuple[int, int]  # (width, height) px
    grid_shape: tuple[int, int]
    output_shape: tuple[int, int]
    affine: dict[str, np.ndarray]
    label_px: int  # font size of the labels
    # Each label's text, (x, y) position in px and Pillow text anchor.
    labels: tuple[tuple[str, tuple[float, float], str], ...] = field(default=())

    def point(self, plane: str, rows, cols) -> np.ndarray:
        """Pixel (x, y) of plane points; ``rows``/``cols`` broadcast, result shape (..., 2)."""
        a = self.affine[plane]
        r, c = np.asarray(rows, float), np.asarray(cols, float)
        return np.stack([a[0, 0] * c + a[0, 1] * r + a[0, 2], a[1, 0] * c + a[1, 1] * r + a[1, 2]],
                        axis=-1)

    def plane_coords(self, plane: str, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`point`: (rows, cols) plane coordinates of pixel points (x, y)
        (broadcast together)."""
        a = self.affine[plane]
        inv = self._inverse[plane]
        dx, dy = np.asarray(x, float) - a[0, 2], np.asarray(y, float) - a[1, 2]
        return inv[1, 0] * dx + inv[1, 1] * dy, inv[0, 0] * dx + inv[0, 1] * dy

    @cached_property
    def _inverse(self) -> dict[str, np.ndarray]:
        return {plane: np.linalg.inv(a[:, :2]) for plane, a in self.affine.items()}

    def cell_center(self, plane: str, r: float, c: float) -> tuple[float, float]:
        """Continuous pixel coordinates of the centre of cell (r, c)."""
        x, y = self.point(plane, r + 0.5, c + 0.5)
        return float(x), float(y)

    def cell_pixel(self, plane: str, r: int, c: int) -> tuple[int, int]:
        """The (x, y) pixel holding the centre of cell (r, c)."""
        x, y = self.cell_center(plane, r, c)
        return math.floor(x), math.floor(y)

    def quad(self, plane: str, r0, c0, r1, c1) -> np.ndarray:
        """Pixel corners of the block of cells rows r0..r1, cols c0..c1 (boundaries), in the
        order (r0, c0), (r0, c1), (r1, c1), (r1, c0): shape (4, 2), or (n, 4, 2) for arrays."""
        if all(np.ndim(v) == 0 for v in (r0, c0, r1, c1)):
            return self.point(plane, np.array([r0, r0, r1, r1], float),
                              np.array([c0, c1, c1, c0], float))
        r0, c0, r1, c1 = np.broadcast_arrays(*(np.asarray(v, float) for v in (r0, c0, r1, c1)))
        return self.point(plane, np.stack([r0, r0, r1, r1], -1), np.stack([c0, c1, c1, c0], -1))

    def bbox(self, plane: str, r0: float, c0: float, r1: float, c1: float) -> np.ndarray:
        """(x0, y0, x1, y1) pixel bounding box of :meth:`quad`."""
        q = self.quad(plane, r0, c0, r1, c1)
        return np.concatenate([q.min(axis=0), q.max(axis=0)])


def _unit_affines(grid: tuple[int, int], out: tuple[int, int], numerical: bool) -> dict:
    """Plane -> 2x3 map of (col, row, 1) to canvas units of one cell, before offsetting."""
    (hg, wg), (ho, _) = grid, out
    if numerical:
        # The guide: output one cell right of the input, centred vertically (rounded down).
        gap = hg - ho
        top = gap - gap // 2
        return {
            "grid": np.array([[1.0, 0, 0], [0, 1.0, 0]]),
            "output": np.array([[1.0, 0, wg + 1.0], [0, 1.0, float(top)]]),
        }
    affines = {}
    # A plane of h rows: u = col, v = h - row (y up); the output floats hg + 1 above.
    for plane, h, lift in (("grid", hg, 0.0), ("output", ho, hg + 1.0)):
        to_uv = np.array([[1.0, 0, 0], [0, -1.0, h]])
        m = SLANT @ to_uv
        m[1, 2] += lift
        m[1] *= -1  # screen y points down
        affines[plane] = m
    return affines


def _label_specs(grid, out, numerical: bool,
                 names: tuple[str, str]) -> list[tuple[str, str, float, float, str]]:
    """(text, plane, row, col, anchor) of the labels in plane coordinates."""
    (hg, wg), (ho, wo) = grid, out
    if numerical:  # centred above each grid
        return [(names[0], "grid", -0.2, wg / 2, "ms"), (names[1], "output", -0.2, wo / 2, "ms")]
    # Right of each plane's rightmost corner (its bottom-right cell corner).
    return [(names[0], "grid", hg, wg, "lm"), (names[1], "output", ho, wo, "lm")]


def make_geometry(
    grid_shape: tuple[int, int], output_shape: tuple[int, int], style: Style, numerical: bool,
    names: tuple[str, str] = ("input", "output"),
) -> Geometry:
    """Place the grids: the cell shrinks from the style's size until the canvas fits.

    Parameters
    ----------
    grid_shape : (H_g, W_g) of the drawn input grid (``Trace.layout.shape``)
    output_shape : (H_out, W_out)
    style : sizes and labels
    numerical : flat view (True) or slanted 2.5D view (False)
    names : label texts of the input and the output (when ``style.labels``)
    """
    unit = _unit_affines(grid_shape, output_shape, numerical)
    shapes = {"grid": grid_shape, "output": output_shape}
    corners = []
    for plane, (h, w) in shapes.items():
        pts = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], float)
        corners.append(pts @ unit[plane].T)
    corners = np.concatenate(corners)
    specs = _label_specs(grid_shape, output_shape, numerical, names) if style.labels else []
    cell = style.numerical_cell if numerical else style.cell
    for _ in range(12):
        label_px = max(11, round(cell * (0.4 if numerical else 0.5)))
        margin = 0.7 * cell + 2  # the guide's 10 pt border on a 0.5 cm cell
        lo = corners.min(axis=0) * cell
        hi = corners.max(axis=0) * cell
        placed = []
        f = font(style.font, label_px)
        for text, plane, r, c, anchor in specs:
            x, y = (unit[plane] @ [c, r, 1.0]) * cell
            if anchor == "lm":
                x += 0.35 * cell
            x0, y0, x1, y1 = f.getbbox(text, anchor=anchor)
            lo = np.minimum(lo, [x + x0, y + y0])
            hi = np.maximum(hi, [x + x1, y + y1])
            placed.append((text, (x, y), anchor))
        w_px = math.ceil(hi[0] - lo[0] + 2 * margin)
        h_px = math.ceil(hi[1] - lo[1] + 2 * margin)
        if max(w_px, h_px) <= style.max_size or cell <= style.min_cell:
            break
        cell = max(style.min_cell, min(cell - 1, int(cell * style.max_size / max(w_px, h_px))))
    if max(w_px, h_px) > MAX_CANVAS_SIDE:
        raise ParameterError(
            "grid_shape", f"grid too large to draw: {w_px}x{h_px} px at {cell} px a cell "
            f"(at most {MAX_CANVAS_SIDE} px a side); use smaller sizes"
        )
    off = margin - lo
    affine = {}
    for plane, m in unit.items():
        a = m * cell
        a[:, 2] += off
        affine[plane] = a
    labels = tuple((t, (float(x + off[0]), float(y + off[1])), a) for t, (x, y), a in placed)
    return Geometry(numerical, cell, (w_px, h_px), tuple(grid_shape), tuple(output_shape),
                    affine, label_px, labels)
