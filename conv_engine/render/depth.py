"""The 1x1 convolution through depth: a feature stack, its 1x1 filters and the output stack.

A (C_in, H, W) stack is drawn as C_in slanted sheets piled in depth, so that the same pixel
of every sheet lines up into a vertical *depth column*; each of the C_out filters is a
column of C_in weight tiles, the weight for sheet k level with sheet k; the output is a
pile of C_out sheets. One frame per pixel (row-major): the pixel's depth column is shaded
through every input sheet and the output pixel lights up in every output sheet.

Drawn like the guide's arithmetic figures (same Style and palette): everything is drawn
without anti-aliasing at ``supersample`` times the canvas size and box-filtered down, so
edges are smooth while flat areas keep their exact palette colours. The static picture is
drawn once per animation; a frame re-draws only the regions that change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, ImageDraw

from ..checks import ParameterError, integer, pointwise_arrays
from ..limits import MAX_DEPTH_NUMERICAL, MAX_DEPTH_SCHEMATIC, MAX_DEPTH_SUPERSAMPLED_PIXELS
from ..ops import pointwise
from .geometry import PILE_U as _U
from .geometry import PILE_V as _V
from .geometry import CanvasGeometry, pile_extent
from .scene import cell_text, output_text
from .style import DEFAULT_STYLE, Style, font, times_sign

# Empty space between two sheets of a pile, in cells.
_SHEET_GAP = 0.55

Box = tuple[int, int, int, int]


# -- geometry -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DepthGeometry(CanvasGeometry):
    """Pixel placement of the depth view.

    Stacks are ``"input"`` (``c_in`` sheets) and ``"output"`` (``c_out`` sheets); sheet 0
    is the top of its pile. A sheet point ``(row, col)`` is a cell-boundary coordinate:
    cell (r, c) spans rows r..r+1 and columns c..c+1, row 0 at the back. Pixel (i, j)
    covers [i, i+1) x [j, j+1), so continuous (x, y) lands in pixel (floor x, floor y).
    Tiles (weights; numerical: the pixel's values, biases and dot products) are 1x1 cells
    of side ``tile`` px drawn as small blocks, see :meth:`tile_faces`.
    """

    c_in: int
    c_out: int
    h: int
    w: int
    numerical: bool
    cell: int
    size: tuple[int, int]  # (width, height) px
    pitch: float  # px from one sheet of a pile to the next
    anchors: dict[str, np.ndarray]  # stack -> (n_sheets, 2) px of each sheet's (row h, col 0)
    filter_x: np.ndarray  # (c_out,) px centre of each filter's column of tiles
    row_y: np.ndarray  # (c_in,) px centre of the tiles level with input sheet k
    tile: float  # px side of a tile
    thick: float  # px thickness of a tile (0: flat)
    text_px: int
    panel: tuple[float, float]  # (x0, x1) px of the filters' block
    vector_x: float | None  # numerical: centre of the column of the pixel's values
    bias_y: float | None  # numerical with biases: centre of the row of biases
    result_y: float | None  # numerical: centre of the row of dot products
    # text, (x, y) px, Pillow anchor, size px
    labels: tuple[tuple[str, tuple[float, float], str, int], ...]

    def point(self, stack: str, sheet: int, rows, cols) -> np.ndarray:
        """Pixel (x, y) of sheet points; ``rows``/``cols`` broadcast, result shape (..., 2)."""
        r, c = np.broadcast_arrays(np.asarray(rows, float), np.asarray(cols, float))
        u, v = _U * self.cell, _V * self.cell
        return self.anchors[stack][sheet] + c[..., None] * u + (self.h - r)[..., None] * v

    def cell_center(self, stack: str, sheet: int, row: int, col: int) -> tuple[float, float]:
        """Continuous pixel coordinates of the centre of cell (row, col) of a sheet."""
        x, y = self.point(stack, sheet, row + 0.5, col + 0.5)
        return float(x), float(y)

    def cell_pixel(self, stack: str, sheet: int, row: int, col: int) -> tuple[int, int]:
        """The (x, y) pixel holding the centre of cell (row, col) of a sheet."""
        x, y = self.cell_center(stack, sheet, row, col)
        return math.floor(x), math.floor(y)

    def quad(self, stack: str, sheet: int, r0: float, c0: float, r1: float,
             c1: float) -> np.ndarray:
        """(4, 2) px corners of the block rows r0..r1, cols c0..c1 (boundaries) of a sheet,
        in the order back-left, back-right, front-right, front-left."""
        return self.point(stack, sheet, [r0, r0, r1, r1], [c0, c1, c1, c0])

    def tile_faces(self, x: float, y: float) -> dict[str, np.ndarray]:
        """Polygons (n, 2) px of the tile whose bounding box is centred on (x, y).

        A tile is a 1x1 cell as a block ``thick`` px thick (thicker in the numerical view,
        whose numbers go on the front face): faces ``"top"``, ``"front"`` and ``"side"``
        (only ``"top"`` when flat). ``"bottom"`` is the top face moved down by the thickness,
        where the lines joining a column of tiles attach.
        """
        a, d = self.tile, self.thick
        u, v = _U * a, _V * a
        # Top face's front-left corner, so that the whole tile's bounding box is centred.
        fl = np.array([x - (u[0] + v[0]) / 2, y - (d + v[1]) / 2])
        top = np.array([fl + v, fl + v + u, fl + u, fl])
        down = np.array([0.0, d])
        faces = {"top": top, "bottom": top + down}
        if d > 0:
            faces["front"] = np.array([fl, fl + u, fl + u + down, fl + down])
            faces["side"] = np.array([fl + u, fl + u + v, fl + u + v + down, fl + u + down])
        return faces

    def tile_text(self, x: float, y: float) -> tuple[float, float]:
        """Where a tile centred on (x, y) carries its number: its front face (or top)."""
        face = self.tile_faces(x, y)
        c = face.get("front", face["top"]).mean(axis=0)
        return float(c[0]), float(c[1])

    def weight_center(self, j: int, k: int) -> tuple[float, float]:
        """Pixel centre of the face of weight ``w[j, k]``'s tile that carries its number
        (filter j, level with input sheet k)."""
        return self.tile_text(float(self.filter_x[j]), float(self.row_y[k]))

    def weight_pixel(self, j: int, k: int) -> tuple[int, int]:
        """The (x, y) pixel holding :meth:`weight_center`."""
        x, y = self.weight_center(j, k)
        return math.floor(x), math.floor(y)


def _check_sizes(c_in: int, c_out: int, h: int, w: int, numerical: bool) -> None:
    """ParameterError naming the first size outside the drawable range."""
    lim = MAX_DEPTH_NUMERICAL if numerical else MAX_DEPTH_SCHEMATIC
    view = "numerical" if numerical else "schematic"
    for name, v in (("C_in", c_in), ("C_out", c_out), ("H", h), ("W", w)):
        if not 1 <= v <= lim[name]:
            raise ParameterError(
                name, f"{name} must be from 1 to {lim[name]} for the {view} depth view, got {v} "
                f"(limits: C_in <= {lim['C_in']}, C_out <= {lim['C_out']}, H <= {lim['H']}, "
                f"W <= {lim['W']})"
            )


def _names(channel_names, c_in: int) -> tuple[str, ...]:
    """The channel names as strings (none when not given), one per input channel."""
    if channel_names is None:
        return ()
    names = tuple(str(n) for n in channel_names)
    if len(names) != c_in:
        raise ParameterError(
            "channel_names",
            f"channel_names must have one name per input channel ({c_in}), got {len(names)}",
        )
    return names


def depth_geometry(
    c_in: int,
    c_out: int,
    h: int,
    w: int,
    *,
    numerical: bool = False,
    bias: bool = False,
    style: Style | None = None,
    channel_names: tuple[str, ...] | list[str] | None = None,
) -> DepthGeometry:
    """Place the piles and the filters; the cell shrinks until the canvas fits ``max_size``.

    Parameters
    ----------
    c_in, c_out : number of input sheets (channels) and of filters (output sheets)
    h, w : sheet size in cells (pixels of the feature maps)
    numerical : leave room for numbers: the pixel's values, the dot products
    bias : numerical only: a row of biases under the weights
    style : preferred cell size, ``max_size``, fonts
    channel_names : written left of the input sheets when given (``c_in`` names)

    Returns
    -------
    DepthGeometry whose ``size`` is the (width, height) of every frame.
    """
    _check_sizes(c_in, c_out, h, w, numerical)
    style = DEFAULT_STYLE if style is None else style
    names = _names(channel_names, c_in)
    cell = style.cell
    while True:
        geo = _place(c_in, c_out, h, w, numerical, bias and numerical, style, names, cell)
        if max(geo.size) <= style.max_size or cell <= max(style.min_cell, 4):
            return geo
        cell = max(4, style.min_cell, min(cell - 1, int(cell * style.max_size / max(geo.size))))


def _place(c_in, c_out, h, w, numerical, bias, style, names, cell) -> DepthGeometry:
    """The layout at one cell size (px)."""
    lo, hi = pile_extent(h, w)
    sheet_h = (hi[1] - lo[1]) * cell
    label_px = int(np.clip(round(0.5 * cell), 12, 18))
    small_px = int(np.clip(round(0.4 * cell), 10, 14))
    fl, fs = font(style.font, label_px), font(style.font, small_px)
    times = times_sign(fl)
    margin = max(8.0, 0.4 * cell)
    # A tile is a 1x1 cell drawn bigger than a sheet's; numerical tiles are blocks with
    # the number on their front face, big enough to read.
    if numerical:
        tile = max(1.2 * cell, 46.0)
        thick = 0.5 * tile
    else:
        tile = 1.2 * cell
        thick = 0.3 * tile
    tile_w, tile_h = tile * (_U[0] + _V[0]), thick - _V[1] * tile
    # Sheets of a pile are as close as their tiles allow.
    pitch = max(sheet_h + _SHEET_GAP * cell, 1.25 * tile_h)
    text_px = max(6, round(0.62 * thick)) if numerical else 0
    col_step = tile_w + max(4.0, 0.12 * tile_w)
    name_w = max((fs.getlength(n) for n in names), default=0.0)
    name_gap = 0.3 * cell if names else 0.0
    gap = max(1.6 * cell, 28.0)

    titles = {
        "input": f"input  {h}{times}{w}{times}{c_in}",
        "filters": f"{c_out} filter{'s' if c_out > 1 else ''}  1{times}1{times}{c_in}",
        "output": f"output  {h}{times}{w}{times}{c_out}",
    }
    if not style.labels:
        titles = dict.fromkeys(titles, "")
    # A pile's title is centred over it and may be wider than the pile.
    sheet_w = (hi[0] - lo[0]) * cell
    over_in = max(0.0, (fl.getlength(titles["input"]) - sheet_w) / 2)
    over_out = max(0.0, (fl.getlength(titles["output"]) - sheet_w) / 2)
    title_gap = 0.6 * label_px

    x_in = margin + max(name_w + name_gap, over_in) - lo[0] * cell  # anchor of input sheets
    x = x_in + hi[0] * cell + max(gap, over_in + title_gap)
    vector_x = None
    if numerical:
        vector_x = x + tile_w / 2
        x += tile_w + 0.45 * gap  # room for the "·" between the values and the weights
    # The filters' title may be wider than their columns: centre the columns under it.
    cols_w = (c_out - 1) * col_step + tile_w
    block_w = max(cols_w, fl.getlength(titles["filters"]))
    filter_x = x + (block_w - cols_w) / 2 + tile_w / 2 + col_step * np.arange(c_out)
    panel = (x, x + block_w)
    x_out = panel[1] + max(gap, over_out + title_gap) - lo[0] * cell
    index_w = 0.3 * cell + fs.getlength(str(c_out - 1))  # the sheets' numbers on the right
    width = x_out + hi[0] * cell + max(index_w, over_out) + margin

    # Piles start under the titles; a tile on the top row may stand higher than a sheet.
    top = margin + 1.6 * label_px * style.labels + max(0.0, (tile_h - sheet_h) / 2)
    in_h = (c_in - 1) * pitch + sheet_h
    out_h = (c_out - 1) * pitch + sheet_h
    # The shorter pile is centred on the taller one.
    y_in = top + (max(in_h, out_h) - in_h) / 2 - lo[1] * cell  # anchor y of input sheet 0
    y_out = top + (max(in_h, out_h) - out_h) / 2 - lo[1] * cell
    anchors = {
        "input": np.stack([np.full(c_in, x_in), y_in + pitch * np.arange(c_in)], axis=1),
        "output": np.stack([np.full(c_out, x_out), y_out + pitch * np.arange(c_out)], axis=1),
    }
    row_y = anchors["input"][:, 1] + (lo[1] + hi[1]) / 2 * cell  # centre of each sheet
    bottom = max(top + max(in_h, out_h), row_y[-1] + tile_h / 2)
    bias_y = result_y = None
    labels = []
    if numerical:
        step = max(1.3 * tile_h, min(pitch, 1.6 * tile_h))
        # Operators in one column, between the pixel's values and the first filter.
        op_x = float(vector_x + filter_x[0]) / 2
        labels += [("·", (op_x, float(y)), "mm", 2 * label_px) for y in row_y]
        y = float(row_y[-1])
        if bias:
            y += step
            bias_y = y
            labels.append(("+", (op_x, bias_y), "mm", label_px))
        result_y = y + step
        bottom = max(bottom, result_y + tile_h / 2)
        labels.append(("=", (op_x, result_y), "mm", label_px))

    title_y = margin + 0.55 * label_px
    if style.labels:
        labels += [
            (titles["input"], (x_in + (lo[0] + hi[0]) / 2 * cell, title_y), "mm", label_px),
            (titles["filters"], ((panel[0] + panel[1]) / 2, title_y), "mm", label_px),
            (titles["output"], (x_out + (lo[0] + hi[0]) / 2 * cell, title_y), "mm", label_px),
        ]
    for k, n in enumerate(names):
        labels.append((n, (x_in + lo[0] * cell - name_gap, float(row_y[k])), "rm", small_px))
    # Filter j makes output sheet j: both are numbered.
    under = bottom + 0.3 * small_px + 2
    for j in range(c_out):
        labels.append((str(j), (float(filter_x[j]), under), "mt", small_px))
        y = anchors["output"][j, 1] + (lo[1] + hi[1]) / 2 * cell
        labels.append((str(j), (x_out + hi[0] * cell + 0.3 * cell, y), "lm", small_px))
    height = under + 1.2 * small_px + margin
    return DepthGeometry(
        c_in, c_out, h, w, numerical, int(cell), (math.ceil(width), math.ceil(height)),
        float(pitch), anchors, filter_x, row_y, float(tile), float(thick), text_px,
        (float(panel[0]), float(panel[1])), None if vector_x is None else float(vector_x),
        bias_y, result_y,
        tuple((t, (float(px), float(py)), a, s) for t, (px, py), a, s in labels),
    )


# -- drawing ------------------------------------------------------------------------------------


class _Pen:
    """Draws in canvas pixel coordinates onto a supersampled image (or a crop of one).

    Corners are rounded to whole supersampled pixels of the full canvas before the crop's
    origin is taken off, and lines are drawn as polygons: a shape then lands on exactly the
    same pixels in a crop as in the full canvas, so patches join the static image seamlessly.
    """

    def __init__(self, im: Image.Image, ss: int, origin: tuple[int, int] = (0, 0)) -> None:
        self.im, self.ss = im, ss
        self.origin = np.asarray(origin, float) * ss
        self.draw = ImageDraw.Draw(im)

    def points(self, pts) -> np.ndarray:
        """Points (..., 2) in whole supersampled pixels of the full canvas."""
        return np.floor(np.asarray(pts, float) * self.ss + 0.5)

    def _px(self, pts) -> np.ndarray:
        """:meth:`points` relative to this image's origin, as (n, 2)."""
        return self.points(pts).reshape(-1, 2) - self.origin

    def polygon(self, pts, fill) -> None:
        self.draw.polygon([tuple(p) for p in self._px(pts).tolist()], fill=fill)

    def line_polygons(self, p0, p1, width: float, caps: bool = True) -> np.ndarray:
        """(n, 4, 2) corners, in whole supersampled pixels of the full canvas, of the lines
        p0[i] -> p1[i] drawn as polygons; square caps close the corners of grids."""
        a = np.asarray(p0, float).reshape(-1, 2)
        b = np.asarray(p1, float).reshape(-1, 2)
        half = max(1, round(width * self.ss)) / 2 / self.ss
        d = b - a
        d *= half / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-12)[:, None]
        n = np.stack([-d[:, 1], d[:, 0]], axis=1)
        if caps:
            a, b = a - d, b + d
        return self.points(np.stack([a + n, b + n, b - n, a - n], axis=1))

    def polygons(self, corners: np.ndarray, fill) -> None:
        """Polygons (n, m, 2) in full-canvas supersampled pixels (:meth:`points`)."""
        for q in (corners - self.origin).tolist():
            self.draw.polygon([tuple(p) for p in q], fill=fill)

    def segments(self, p0, p1, width: float, fill, caps: bool = True) -> None:
        """Straight lines p0[i] -> p1[i]; square caps close the corners of grids."""
        self.polygons(self.line_polygons(p0, p1, width, caps), fill)

    def outline(self, q, width: float, fill) -> None:
        """The closed outline of a polygon."""
        self.segments(q, np.roll(q, -1, axis=0), width, fill)

    def text(self, xy, s: str, px: int, fill, path: str | None, anchor: str | None = None) -> None:
        """``s`` with its ink centred on ``xy`` (or placed by a Pillow ``anchor``)."""
        f = font(path, px * self.ss)
        ((x, y),) = self._px(xy).tolist()
        if anchor is None:
            left, top, right, bottom = f.getbbox(s)
            x, y, anchor = x - round((left + right) / 2), y - round((top + bottom) / 2), "la"
        self.draw.text((x, y), s, font=f, fill=fill, anchor=anchor)


def _grid_lines(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Every boundary line of an (h, w) grid: (p0, p1) arrays of (row, col)."""
    ys, xs = np.arange(h + 1), np.arange(w + 1)
    p0 = np.concatenate([np.stack([ys, 0 * ys], 1), np.stack([0 * xs, xs], 1)])
    p1 = np.concatenate([np.stack([ys, 0 * ys + w], 1), np.stack([0 * xs + h, xs], 1)])
    return p0, p1


def _num(v: float) -> str:
    """A value, weight or bias on its tile: the arithmetic figures' cell label (one formatter)."""
    return cell_text(v)


def _out_text(v: float) -> str:
    """An output value on its tile, as the guide prints outputs: one decimal ("12.0", "1.7")."""
    return output_text(v)


def _rgb(a) -> tuple[int, int, int]:
    """A colour as a tuple of Python ints (a dictionary key, a Pillow fill)."""
    return tuple(int(v) for v in a)  # type: ignore[return-value]


class DepthAnimation:
    """The frames of one 1x1 convolution through depth.

    Parameters
    ----------
    x : (C_in, H, W) array, the feature stack
    w : (C_out, C_in) array, one 1x1 filter a row
    b : (C_out,) array or None, the biases (drawn in the numerical view only)
    numerical : write the pixel's values, the weights, biases and dot products
    style : colours, sizes, fonts (:data:`DEFAULT_STYLE` when None)
    channel_names : C_in names written beside the input sheets
    tint : fill each input cell by its value (palest = the channel's smallest value)

    Frame ``i`` (0 <= i < H*W) shows pixel ``divmod(i, W)``; ``output`` is
    ``conv_engine.ops.pointwise(x, w, b)``, shape (C_out, H, W). The static picture is
    drawn once; a frame re-draws only the boxes that change (:meth:`regions`).
    """

    def __init__(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *,
                 numerical: bool = False, style: Style | None = None,
                 channel_names: tuple[str, ...] | list[str] | None = None,
                 tint: bool = False) -> None:
        self.x, self.w, self.b = _check_arrays(x, w, b, numerical)
        self.output = pointwise(self.x, self.w, self.b)
        self.numerical = bool(numerical)
        self.tint = bool(tint)
        self.style = DEFAULT_STYLE if style is None else style
        self.colors = self.style.rgb
        c_in, h, wd = self.x.shape
        self.geometry = depth_geometry(
            c_in, self.w.shape[0], h, wd, numerical=self.numerical, bias=self.b is not None,
            style=self.style, channel_names=channel_names,
        )
        area = self.geometry.size[0] * self.geometry.size[1]
        self.ss = max(1, min(self.style.supersample,
                             math.isqrt(MAX_DEPTH_SUPERSAMPLED_PIXELS // area)))
        g = self.geometry
        # Every cell corner of every sheet, once: drawing indexes into these.
        rows, cols = np.meshgrid(np.arange(g.h + 1), np.arange(g.w + 1), indexing="ij")
        self._lattice = {s: np.stack([g.point(s, k, rows, cols) for k in range(n)])
                         for s, n in (("input", g.c_in), ("output", g.c_out))}

    def __len__(self) -> int:
        return self.geometry.h * self.geometry.w

    def _quad(self, stack: str, k: int, r0: int, c0: int, r1: int, c1: int) -> np.ndarray:
        """:meth:`DepthGeometry.quad` for whole cells, from the precomputed corners."""
        return self._lattice[stack][k, [r0, r0, r1, r1], [c0, c1, c1, c0]]

    # -- colours and numbers --------------------------------------------------------------

    @cached_property
    def _input_fill(self) -> np.ndarray:
        """(C_in, H, W, 3) uint8 fill of each input cell: flat input blue, or tinted by value."""
        if not self.tint:
            return np.broadcast_to(np.asarray(self.colors.input, np.uint8), (*self.x.shape, 3))
        x = self.x.astype(float)
        lo = x.min(axis=(1, 2), keepdims=True)
        span = x.max(axis=(1, 2), keepdims=True) - lo
        t = np.where(span > 0, (x - lo) / np.where(span > 0, span, 1.0), 1.0)
        blue = np.asarray(self.colors.input, float)
        white = np.asarray(self.colors.background, float)
        # The smallest value keeps a hint of blue so that a sheet never melts into the page.
        mix = 0.12 + 0.88 * t[..., None]
        return np.round(white + mix * (blue - white)).astype(np.uint8)

    @cached_property
    def _shades(self) -> dict:
        """Every colour a shaded area can take, composited exactly like the guide's shadow."""
        c = self.colors
        fills = {_rgb(v) for v in np.unique(self._input_fill.reshape(-1, 3), axis=0)}
        fills |= {c.output, c.background, c.input}
        shades = {rgb: c.shaded(rgb) for rgb in fills}
        kernel = shades[c.background]  # a filter's weights: the guide's kernel shadow
        shades[kernel] = c.shaded(kernel)  # for the filters' side faces
        return shades

    @property
    def shade_colors(self) -> list:
        """The colours of the shaded areas, for an exporter's palette (kept exact)."""
        return list(self._shades.values())

    @cached_property
    def _text_px(self) -> int:
        """Font size of the numbers on tiles: the widest one fits 85 % of a tile's face."""
        g = self.geometry
        texts = [_num(v) for v in self.w.ravel()] + [_num(v) for v in self.x.ravel()]
        texts += [_out_text(v) for v in self.output.ravel()]
        if self.b is not None:
            texts += [_num(v) for v in self.b]
        widest = max(texts, key=len)
        px = max(1, g.text_px)
        width = font(self.style.font, px).getlength(widest)
        return max(6, min(px, int(px * 0.85 * g.tile / max(width, 1e-9))))

    @property
    def number_px(self) -> dict[str, int]:
        """Font size (px) of the numbers on the tiles ({"tile": px}); empty for the schematic
        view, which draws none (a player sizes its view so that these stay readable)."""
        return {"tile": self._text_px} if self.numerical else {}

    # -- static layers --------------------------------------------------------------------

    def _bbox(self, pts, pad: float | None = None) -> Box:
        """:meth:`CanvasGeometry.box` of the drawing's geometry."""
        return self.geometry.box(pts, pad)

    @cached_property
    def _sheet_boxes(self) -> dict[str, list[Box]]:
        """Stack -> canvas box of each of its sheets."""
        return {s: [self._bbox(self._quad(s, k, 0, 0, self.geometry.h, self.geometry.w))
                    for k in range(len(lat))] for s, lat in self._lattice.items()}

    @cached_property
    def _input_sheets(self) -> list[tuple[Image.Image, Image.Image]]:
        """Each input sheet drawn once, supersampled over its box: (RGB, mask)."""
        g, c, ss = self.geometry, self.colors, self.ss
        p0, p1 = _grid_lines(g.h, g.w)
        lat = self._lattice["input"]
        out = []
        for k, box in enumerate(self._sheet_boxes["input"]):
            size = ((box[2] - box[0]) * ss, (box[3] - box[1]) * ss)
            im, mask = Image.new("RGB", size, c.background), Image.new("L", size, 0)
            for target, flat in ((im, None), (mask, 255)):
                pen = _Pen(target, ss, box[:2])
                if flat is None and self.tint:
                    for r in range(g.h):
                        for col in range(g.w):
                            pen.polygon(self._quad("input", k, r, col, r + 1, col + 1),
                                        _rgb(self._input_fill[k, r, col]))
                else:
                    pen.polygon(self._quad("input", k, 0, 0, g.h, g.w),
                                c.input if flat is None else flat)
                pen.segments(lat[k, p0[:, 0], p0[:, 1]], lat[k, p1[:, 0], p1[:, 1]], g.line,
                             c.grid if flat is None else flat)
            out.append((im, mask))
        return out

    def _tiles(self, pen: _Pen, x: float, ys, fill, *, joined: bool = True,
               outline: float = 1.0) -> None:
        """A column of tiles at ``x`` (one per ``ys``), joined like a depth column lifted
        out of a pile: thin lines from each tile's bottom corners to the next one's top."""
        g, c = self.geometry, self.colors
        faces = [g.tile_faces(x, y) for y in ys]
        if joined:
            for upper, lower in zip(faces[:-1], faces[1:], strict=True):
                pen.segments(upper["bottom"], lower["top"], g.thin, c.connector, caps=False)
        for f in faces:
            for name in ("top", "front", "side"):
                if name in f:
                    shade = self._shades.get(fill, fill) if name == "side" else fill
                    pen.polygon(f[name], shade)
            for name in ("top", "front", "side"):
                if name in f:
                    pen.outline(f[name], outline * g.line, c.grid)

    @cached_property
    def _under(self) -> Image.Image:
        """Supersampled canvas without the piles: labels, filters, the empty number tiles."""
        g, c, ss = self.geometry, self.colors, self.ss
        im = Image.new("RGB", (g.size[0] * ss, g.size[1] * ss), c.background)
        pen = _Pen(im, ss)
        for text, xy, anchor, px in g.labels:
            pen.text(xy, text, px, c.text, self.style.font, anchor=anchor)
        kernel = self._shades[c.background]
        for j in range(g.c_out):
            fx = float(g.filter_x[j])
            self._tiles(pen, fx, g.row_y, kernel)
            if self.numerical:
                for k in range(g.c_in):
                    pen.text(g.weight_center(j, k), _num(self.w[j, k]), self._text_px, c.text,
                             self.style.font)
            if g.bias_y is not None:
                self._tiles(pen, fx, [g.bias_y], kernel)
                pen.text(g.tile_text(fx, g.bias_y), _num(self.b[j]), self._text_px, c.text,
                         self.style.font)
            if g.result_y is not None:
                self._tiles(pen, fx, [g.result_y], self._shades[c.output], outline=1.6)
        if g.vector_x is not None:
            self._tiles(pen, g.vector_x, g.row_y, c.input)
        return im

    # -- moving parts ---------------------------------------------------------------------

    def _beams(self, pos) -> list[tuple[np.ndarray, np.ndarray]]:
        """The guide's connector lines as (start, end) px: from the input depth column to the
        first column of tiles, and from the last filter to the output depth column."""
        g = self.geometry
        r, col = pos
        first = g.vector_x if g.vector_x is not None else float(g.filter_x[0])
        last = float(g.filter_x[-1])
        top_in = self._quad("input", 0, r, col, r + 1, col + 1)
        bot_in = self._quad("input", g.c_in - 1, r, col, r + 1, col + 1)
        top_out = self._quad("output", 0, r, col, r + 1, col + 1)
        bot_out = self._quad("output", g.c_out - 1, r, col, r + 1, col + 1)
        t_top = g.tile_faces(first, float(g.row_y[0]))
        t_bot = g.tile_faces(first, float(g.row_y[-1]))
        f_top = g.tile_faces(last, float(g.row_y[0]))
        f_bot = g.tile_faces(last, float(g.row_y[-1]))
        return [(top_in[1], t_top["top"][0]), (bot_in[2], t_bot["bottom"][3]),
                (f_top["top"][1], top_out[0]), (f_bot["bottom"][2], bot_out[3])]

    def _ops(self, pos) -> list[tuple[Box, Callable[[Image.Image, _Pen], None]]]:
        """What a picture draws over :attr:`_under`, in painting order, each with its box.

        Sheets go bottom first so that each hides what lies under it; the output sheets
        also hide the ends of the connector lines that reach them. With ``pos`` = (row, col)
        that pixel's step is drawn; with None, the bare piles. Shapes are computed here once
        (as polygons in supersampled pixels), however many boxes they are drawn in.
        """
        g, c, ss = self.geometry, self.colors, self.ss
        pen = _Pen(Image.new("L", (1, 1)), ss)  # computes polygons; draws nothing
        ops: list = []
        boxes = self._sheet_boxes
        thick, thin = 1.6 * g.line, g.thin

        def shape(fill, polys: np.ndarray) -> Callable[[Image.Image, _Pen], None]:
            return lambda im, p: p.polygons(polys, fill)

        def outline(q) -> np.ndarray:
            return pen.line_polygons(q, np.roll(q, -1, axis=0), thick)

        if pos is not None:
            r, col = pos
            cells = self._lattice["input"][:, [r, r, r + 1, r + 1], [col, col + 1, col + 1, col]]
            shaded = [self._shades[_rgb(v)] for v in self._input_fill[:, r, col]]
        for k in range(g.c_in - 1, -1, -1):
            sb = boxes["input"][k]
            layer, mask = self._input_sheets[k]

            def sheet(im, p, sb=sb, layer=layer, mask=mask):
                im.paste(layer, (round(sb[0] * ss - p.origin[0]),
                                 round(sb[1] * ss - p.origin[1])), mask)

            ops.append((sb, sheet))
            if pos is None:
                continue
            box = self._bbox(cells[k])
            ops.append((box, shape(shaded[k], pen.points(cells[k])[None])))
            ops.append((box, shape(c.grid, outline(cells[k]))))
            if k > 0:  # the column's edges up to the next sheet, which hides their ends
                edges = pen.line_polygons(cells[k], cells[k - 1], thin, caps=False)
                ops.append((self._bbox(cells[k - 1: k + 1]), shape(c.connector, edges)))
        if pos is not None:
            for a, b in self._beams(pos):
                polys = pen.line_polygons(a, b, thin, caps=False)
                ops.append((self._bbox([a, b]), shape(c.connector, polys)))
            if g.vector_x is not None:
                for part, box in zip(("values", "dots"), self._number_boxes, strict=True):
                    ops.append((box, lambda im, p, part=part: self._numbers(p, pos, part)))
        for j in range(g.c_out - 1, -1, -1):
            parts = [(c.background, [self._quad("output", j, 0, 0, g.h, g.w)])]
            if pos is not None:
                r, col = pos
                q = self._quad("output", j, r, col, r + 1, col + 1)
                done = [self._quad("output", j, 0, 0, r, g.w)] if r > 0 else []
                if col > 0:
                    done.append(self._quad("output", j, r, 0, r + 1, col))
                parts += [(c.output, done), (self._shades[c.output], [q])]
            polys = [(fill, pen.points(np.array(qs))) for fill, qs in parts if qs]
            polys.append((c.grid, self._output_grids[j]))
            if pos is not None:
                polys.append((c.grid, outline(q)))
                if j > 0:
                    up = self._quad("output", j - 1, r, col, r + 1, col + 1)
                    polys.append((c.connector, pen.line_polygons(q, up, thin, caps=False)))

            def out_sheet(im, p, polys=polys):
                for fill, pp in polys:
                    p.polygons(pp, fill)

            ops.append((self._out_boxes[j], out_sheet))
        return ops

    @cached_property
    def _output_grids(self) -> list[np.ndarray]:
        """The grid lines of each output sheet as polygons, computed once."""
        g = self.geometry
        lat = self._lattice["output"]
        p0, p1 = _grid_lines(g.h, g.w)
        pen = _Pen(Image.new("L", (1, 1)), self.ss)
        return [pen.line_polygons(lat[j, p0[:, 0], p0[:, 1]], lat[j, p1[:, 0], p1[:, 1]], g.line)
                for j in range(g.c_out)]

    @cached_property
    def _out_boxes(self) -> list[Box]:
        """Box of each output sheet and of the column joining it to the sheet above."""
        g, boxes = self.geometry, self._sheet_boxes["output"]
        return [boxes[j] if j == 0 else _union(boxes[j], boxes[j - 1]) for j in range(g.c_out)]

    @cached_property
    def _number_boxes(self) -> tuple[Box, Box]:
        """Boxes of the numbers that change with the pixel: its values, the dot products."""
        g = self.geometry
        # Tinted values re-colour their whole tiles; otherwise only the front faces change.
        values = [np.concatenate(list(g.tile_faces(g.vector_x, float(y)).values()))
                  if self.tint else g.tile_faces(g.vector_x, float(y))["front"]
                  for y in g.row_y[[0, -1]]]
        dots = [g.tile_faces(float(x), g.result_y)["front"] for x in g.filter_x[[0, -1]]]
        return self._bbox(values, pad=None if self.tint else -1), self._bbox(dots, pad=-1)

    def _numbers(self, pen: _Pen, pos, part: str) -> None:
        """The pixel's values on their tiles, or the dot products under the filters."""
        g, c = self.geometry, self.colors
        r, col = pos
        if part == "values":
            if self.tint:  # each value on its cell's colour
                for k in range(g.c_in):
                    self._tiles(pen, g.vector_x, [float(g.row_y[k])],
                                _rgb(self._input_fill[k, r, col]), joined=False)
            for k in range(g.c_in):
                ink = c.text_on_input
                if self.tint and sum(_rgb(self._input_fill[k, r, col])) > 3 * 170:
                    ink = c.text  # a pale tile: the ink of text on the page
                pen.text(g.tile_text(g.vector_x, float(g.row_y[k])), _num(self.x[k, r, col]),
                         self._text_px, ink, self.style.font)
        else:
            for j in range(g.c_out):
                pen.text(g.tile_text(float(g.filter_x[j]), g.result_y),
                         _out_text(self.output[j, r, col]), self._text_px, c.text_on_output,
                         self.style.font)

    def regions(self, i: int) -> list[Box]:
        """Canvas boxes (x0, y0, x1, y1) that frame ``i`` re-draws over :attr:`static`."""
        g = self.geometry
        r, col = pos = divmod(_check_index(i, len(self)), g.w)
        column = self._lattice["input"][[0, -1]][:, [r, r + 1]][:, :, [col, col + 1]]
        out = self._sheet_boxes["output"]
        boxes = [self._bbox(column), _union(out[0], out[-1])]
        # Long connector lines are re-drawn in short pieces, so that their boxes stay small.
        for a, b in self._beams(pos):
            n = max(1, math.ceil(np.abs(b - a).max() / 64))
            pts = a + np.linspace(0, 1, n + 1)[:, None] * (b - a)
            boxes += [self._bbox(pts[m:m + 2]) for m in range(n)]
        if g.vector_x is not None:
            boxes += self._number_boxes
        return [b for b in boxes if b[0] < b[2] and b[1] < b[3]]

    def _paint(self, im: Image.Image, box: Box, ops) -> None:
        """Run the ``ops`` that reach canvas box ``box`` on ``im``, a supersampled crop of
        :attr:`_under` at that box."""
        pen = _Pen(im, self.ss, box[:2])
        for b, op in ops:
            if b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3]:
                op(im, pen)

    @cached_property
    def static(self) -> Image.Image:
        """The canvas with no pixel selected (RGB image of ``geometry.size``)."""
        g = self.geometry
        full = self._under.copy()
        self._paint(full, (0, 0, *g.size), self._ops(None))
        return full.reduce(self.ss) if self.ss > 1 else full

    def patches(self, i: int) -> list[tuple[Box, Image.Image]]:
        """What frame ``i`` changes: (canvas box (x0, y0, x1, y1), RGB image of that box).

        Frame ``i`` is :attr:`static` with each image pasted at its box, in order.
        """
        i = _check_index(i, len(self))
        ops = self._ops(divmod(i, self.geometry.w))
        ss, (width, height) = self.ss, self.geometry.size
        out = []
        for box in self.regions(i):
            # Drawn a little beyond the box: shapes cut by a crop's edge may differ there.
            m = (max(0, box[0] - 2), max(0, box[1] - 2), min(width, box[2] + 2),
                 min(height, box[3] + 2))
            crop = self._under.crop(tuple(v * ss for v in m))
            self._paint(crop, m, ops)
            crop = crop.reduce(ss) if ss > 1 else crop
            out.append((box, crop.crop(tuple(v - o for v, o in zip(box, m[:2] * 2,
                                                                  strict=True)))))
        return out

    def patch_arrays(self, i: int) -> list[tuple[Box, np.ndarray]]:
        """:meth:`patches` as (box, (h, w, 3) uint8 array) pairs."""
        return [(box, np.asarray(im)) for box, im in self.patches(i)]

    def frame(self, i: int) -> Image.Image:
        """Frame ``i`` (pixel ``divmod(i, W)``) as an RGB image of ``geometry.size``."""
        im = self.static.copy()
        for box, patch in self.patches(i):
            im.paste(patch, box[:2])
        return im

    def frames(self) -> list[Image.Image]:
        """Every frame, row-major over the pixels."""
        return [self.frame(i) for i in range(len(self))]


def _union(a: Box, b: Box) -> Box:
    """The smallest box holding both boxes."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _check_index(i, n: int) -> int:
    """``i`` as an int if it numbers one of ``n`` frames, else ParameterError."""
    return integer(i, "index", f"an integer from 0 to {n - 1} (H*W - 1)", lambda v: 0 <= v < n)


def _check_arrays(x, w, b, numerical: bool):
    """The arrays (x, w, b) checked, or ParameterError naming the bad one; ``numerical``
    picks the drawing limits."""
    return pointwise_arrays(
        x, w, b, lambda c_in, c_out, h, wd: _check_sizes(c_in, c_out, h, wd, numerical)
    )


# -- public API ---------------------------------------------------------------------------------

def depth_animation(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    numerical: bool = False,
    style: Style | None = None,
    channel_names: tuple[str, ...] | list[str] | None = None,
    tint: bool = False,
) -> DepthAnimation:
    """The :class:`DepthAnimation` of ``x`` through ``w`` (and ``b``); the engine keeps
    nothing between calls (the app memoises what it draws in ``ui/``).

    Parameters
    ----------
    x : (C_in, H, W) feature stack
    w : (C_out, C_in) 1x1 weights
    b : (C_out,) biases or None
    numerical, style, channel_names, tint : see :class:`DepthAnimation`

    Raises ParameterError naming the parameter for inconsistent shapes or sizes too large to
    draw (:data:`~conv_engine.limits.MAX_DEPTH_SCHEMATIC`,
    :data:`~conv_engine.limits.MAX_DEPTH_NUMERICAL`).
    """
    x, w, b = _check_arrays(x, w, b, bool(numerical))
    style = DEFAULT_STYLE if style is None else style
    names = None if channel_names is None else tuple(str(n) for n in channel_names)
    return DepthAnimation(x, w, b, numerical=numerical, style=style, channel_names=names,
                          tint=tint)


def depth_frames(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                 **options) -> list[Image.Image]:
    """Every frame of the 1x1 convolution ``out = w @ x[:, i, j] + b`` through depth.

    Parameters
    ----------
    x : (C_in, H, W) feature stack
    w : (C_out, C_in) 1x1 weights, one filter a row
    b : (C_out,) biases or None (shown in the numerical view)
    **options : ``numerical``, ``style``, ``channel_names``, ``tint``, keywords of
        :func:`depth_animation` (:class:`DepthAnimation` says what each does)

    Returns
    -------
    H*W RGB images of one size, one per pixel in row-major order. Output values are
    ``conv_engine.ops.pointwise(x, w, b)``.
    """
    return depth_animation(x, w, b, **options).frames()


def draw_depth_step(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, index: int = 0,
                    **options) -> Image.Image:
    """Frame ``index`` of :func:`depth_frames` alone (a still for a step scrubber).

    ``index`` runs row-major over the pixels: pixel ``divmod(index, W)``, 0 <= index < H*W;
    ``options`` are :func:`depth_frames`'.
    """
    return depth_animation(x, w, b, **options).frame(index)


__all__ = [
    "DepthAnimation",
    "DepthGeometry",
    "depth_animation",
    "depth_frames",
    "depth_geometry",
    "draw_depth_step",
]
