"""A multi-channel convolution in 3-D: the input stack, the bank of filters, the output stack.

One frame per output position of one filter (row-major), in the guide's colours:

- the ``C_in`` input channels as a pile of slanted sheets (padding as white cells with a
  dashed grid), the channels the current filter sees in the guide's input blue, the others
  pale: "not seen by this filter";
- the ``C_out`` filters as columns of ``k x k`` tiles, each tile level with the input sheet
  it multiplies: a filter of group ``q`` has tiles only beside its group's
  ``C_in / groups`` channels, so the bank reads as a block (standard), a staircase of blocks
  (grouped) or a diagonal (depthwise). The current filter is drawn dark;
- the ``C_out`` output channels as a pile, the current filter's channel in the guide's cyan;
- per frame, the kernel's shadow over the window on each sheet of the group, joined into a
  ``k x k x C_in/groups`` prism by thin lines, the guide's connector lines to the filter and
  on to the output cell, which is shaded.

Sheets use the depth view's pile projection (one column right, one row back = half a cell
right and a third up): the guide's own slant is three times taller, and a pile of eight
sheets would no longer fit a page. The static layers are drawn once, supersampled and
box-filtered; each frame composes the input sheets back to front at canvas resolution with
the moving parts between them (a lower sheet's prism lines pass behind the sheet above), the
shadow laid with Pillow's own blend so shaded colours are exactly ``Colors.shaded``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from ..checks import integer, require
from ..layers import Conv, check_channel_case
from ..limits import MAX_CHANNELS_SUPERSAMPLED_PIXELS
from .geometry import PILE_U as _U
from .geometry import PILE_V as _V
from .geometry import CanvasGeometry, pile_extent
from .raster import Pen, blend, line_pixels
from .style import DEFAULT_STYLE, RGB, Colors, Style, font, times_sign

# Empty space between two sheets of a pile, in cells.
_SHEET_GAP = 0.6
# A filter's tile cell, as a share of a sheet's cell; a tile's thickness, of its cell.
_TILE = 0.55
_THICK = 0.45
# How much of the full colour a pale sheet keeps (input not seen, other output channels).
_PALE = 0.28
# Shades of the anti-aliased lines that move: each one more costs GIF bytes in every frame.
_LINE_LEVELS = 4

Box = tuple[int, int, int, int]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    """``t`` of colour ``a`` over colour ``b``, rounded."""
    return tuple(round(t * x + (1 - t) * y) for x, y in zip(a, b, strict=True))  # type: ignore


@dataclass(frozen=True, eq=False)
class ChannelsGeometry(CanvasGeometry):
    """Pixel placement of the channels view.

    Stacks are ``"input"`` (``c_in`` sheets of the padded ``rows x cols`` grid) and
    ``"output"`` (``c_out`` sheets of ``out_rows x out_cols``); sheet 0 is the top of its
    pile. A sheet point ``(row, col)`` is a cell-boundary coordinate, row 0 at the back;
    pixel (i, j) covers [i, i+1) x [j, j+1). Filter ``o`` is a column of ``k x k`` tiles at
    ``filter_x[o]``, its tile for input channel ``c`` centred at height ``row_y[c]``.
    """

    c_in: int
    c_out: int
    groups: int
    rows: int
    cols: int
    pad: int
    out_rows: int
    out_cols: int
    kernel: int
    cell: float
    size: tuple[int, int]
    pitch: float
    anchors: dict[str, np.ndarray]  # stack -> (n, 2) px of each sheet's (row max, col 0)
    filter_x: np.ndarray
    row_y: np.ndarray
    tile: float  # px side of a tile's cell
    thick: float  # px thickness of a tile
    # text, (x, y) px, Pillow anchor, size px
    labels: tuple[tuple[str, tuple[float, float], str, int], ...]

    def _shape(self, stack: str) -> tuple[int, int]:
        return (self.rows, self.cols) if stack == "input" else (self.out_rows, self.out_cols)

    def point(self, stack: str, sheet: int, rows, cols) -> np.ndarray:
        """Pixel (x, y) of sheet points; ``rows``/``cols`` broadcast, result shape (..., 2)."""
        r, c = np.broadcast_arrays(np.asarray(rows, float), np.asarray(cols, float))
        h = self._shape(stack)[0]
        return (self.anchors[stack][sheet] + c[..., None] * _U * self.cell
                + (h - r)[..., None] * _V * self.cell)

    def plane_coords(self, stack: str, sheet: int, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`point`: (rows, cols) of pixel points (x, y)."""
        h = self._shape(stack)[0]
        m = np.stack([_U, _V], axis=1) * self.cell  # (col, h - row) -> offset
        inv = np.linalg.inv(m)
        a = self.anchors[stack][sheet]
        dx, dy = np.asarray(x, float) - a[0], np.asarray(y, float) - a[1]
        col = inv[0, 0] * dx + inv[0, 1] * dy
        back = inv[1, 0] * dx + inv[1, 1] * dy
        return h - back, col

    def quad(self, stack: str, sheet: int, r0: float, c0: float, r1: float,
             c1: float) -> np.ndarray:
        """(4, 2) px corners of rows r0..r1, cols c0..c1 (boundaries) of a sheet, in the
        order back-left, back-right, front-right, front-left."""
        return self.point(stack, sheet, [r0, r0, r1, r1], [c0, c1, c1, c0])

    def tile_origin(self, o: int, c: int) -> np.ndarray:
        """Pixel (x, y) of the front-left corner of the top face of filter ``o``'s tile for
        input channel ``c``, placed so that the tile's bounding box is centred on
        (``filter_x[o]``, ``row_y[c]``)."""
        k, a, d = self.kernel, self.tile, self.thick
        w = k * a * (_U[0] + _V[0])
        h = -k * a * _V[1] + d
        return np.array([self.filter_x[o] - w / 2, self.row_y[c] - h / 2 + (-k * a * _V[1])])

    def tile_point(self, o: int, c: int, rows, cols, down: float = 0.0) -> np.ndarray:
        """Pixel (x, y) of points (row, col) of a tile's top face (row ``k`` at the front);
        ``down`` px lower (its bottom face: ``down = thick``)."""
        r, cc = np.broadcast_arrays(np.asarray(rows, float), np.asarray(cols, float))
        o0 = self.tile_origin(o, c) + np.array([0.0, down])
        return o0 + cc[..., None] * _U * self.tile + (self.kernel - r)[..., None] * _V * self.tile

    def tile_faces(self, o: int, c: int) -> dict[str, np.ndarray]:
        """(4, 2) px polygons of the faces of a tile: ``"top"``, ``"front"``, ``"side"``,
        ``"bottom"`` (the top face moved down by the thickness), corners in the order
        back-left, back-right, front-right, front-left for top and bottom."""
        k, d = self.kernel, self.thick
        top = self.tile_point(o, c, [0, 0, k, k], [0, k, k, 0])
        bottom = top + np.array([0.0, d])
        front = np.array([top[3], top[2], bottom[2], bottom[3]])
        side = np.array([top[2], top[1], bottom[1], bottom[2]])
        return {"top": top, "front": front, "side": side, "bottom": bottom}


def _place(c_in, c_out, groups, grid, out, k, pad, style: Style, cell: float) -> ChannelsGeometry:
    """The layout at one cell size (px)."""
    (rows, cols), (orows, ocols) = grid, out
    lo_i, hi_i = pile_extent(rows, cols)
    lo_o, hi_o = pile_extent(orows, ocols)
    label_px = int(np.clip(round(0.62 * cell), 12, 20))
    small_px = int(np.clip(round(0.5 * cell), 11, 16))
    fl, fs = font(style.font, label_px), font(style.font, small_px)
    x_ = times_sign(fl)
    margin = max(8.0, 0.4 * cell)
    tile = _TILE * cell
    thick = _THICK * tile
    tile_w = k * tile * (_U[0] + _V[0])
    tile_h = -k * tile * _V[1] + thick
    sheet_h = (hi_i[1] - lo_i[1]) * cell
    out_h = (hi_o[1] - lo_o[1]) * cell
    # Sheets of a pile are as close as the tiles beside them allow.
    pitch = max(sheet_h, out_h, tile_h * 1.15) + _SHEET_GAP * cell
    col_step = tile_w + max(5.0, 0.3 * tile_w)
    per_out = c_out // groups
    # Groups of several filters stand apart, so that the bank reads as blocks.
    group_gap = 0.5 * col_step if groups > 1 and per_out > 1 else 0.0
    gap = max(1.4 * cell, 26.0)

    per = c_in // groups
    titles = {
        "input": f"input {rows - 2 * pad}{x_}{cols - 2 * pad}{x_}{c_in}",
        "filters": f"{c_out} filter{'s' if c_out > 1 else ''} {k}{x_}{k}{x_}{per}",
        "output": f"output {orows}{x_}{ocols}{x_}{c_out}",
    }
    if groups > 1:
        titles["filters"] += ", depthwise" if groups == c_in else f" in {groups} groups"
    if not style.labels:
        titles = dict.fromkeys(titles, "")
    sheet_w = (hi_i[0] - lo_i[0]) * cell
    osheet_w = (hi_o[0] - lo_o[0]) * cell
    over_in = max(0.0, (fl.getlength(titles["input"]) - sheet_w) / 2)
    over_out = max(0.0, (fl.getlength(titles["output"]) - osheet_w) / 2)
    index_w = 0.3 * cell + fs.getlength(str(max(c_in, c_out) - 1))

    x_in = margin + max(index_w, over_in) - lo_i[0] * cell
    x = x_in + hi_i[0] * cell + max(gap, over_in + 0.6 * label_px)
    cols_w = (c_out - 1) * col_step + (groups - 1) * group_gap + tile_w
    block_w = max(cols_w, fl.getlength(titles["filters"]))
    o = np.arange(c_out)
    filter_x = x + (block_w - cols_w) / 2 + tile_w / 2 + col_step * o + group_gap * (o // per_out)
    x_out = x + block_w + max(gap, over_out + 0.6 * label_px) - lo_o[0] * cell
    width = x_out + hi_o[0] * cell + max(index_w, over_out) + margin

    top = margin + (1.7 * label_px if style.labels else 0.0)
    in_h = (c_in - 1) * pitch + sheet_h
    o_h = (c_out - 1) * pitch + out_h
    tall = max(in_h, o_h)
    y_in = top + (tall - in_h) / 2 - lo_i[1] * cell  # anchor y of input sheet 0
    y_out = top + (tall - o_h) / 2 - lo_o[1] * cell
    anchors = {
        "input": np.stack([np.full(c_in, x_in), y_in + pitch * np.arange(c_in)], axis=1),
        "output": np.stack([np.full(c_out, x_out), y_out + pitch * np.arange(c_out)], axis=1),
    }
    row_y = anchors["input"][:, 1] + (lo_i[1] + hi_i[1]) / 2 * cell
    bottom = max(top + tall, float(row_y[-1]) + tile_h / 2)
    labels: list[tuple[str, tuple[float, float], str, int]] = []
    title_y = margin + 0.55 * label_px
    if style.labels:
        labels += [
            (titles["input"], (x_in + (lo_i[0] + hi_i[0]) / 2 * cell, title_y), "mm", label_px),
            (titles["filters"], (x + block_w / 2, title_y), "mm", label_px),
            (titles["output"], (x_out + (lo_o[0] + hi_o[0]) / 2 * cell, title_y), "mm",
             label_px),
        ]
    for c in range(c_in):  # input channels numbered on the left
        labels.append((str(c), (x_in + lo_i[0] * cell - 0.3 * cell, float(row_y[c])), "rm",
                       small_px))
    under = bottom + 0.35 * small_px + 2
    for o in range(c_out):  # filter o makes output channel o: both numbered
        labels.append((str(o), (float(filter_x[o]), under), "mt", small_px))
        y = anchors["output"][o, 1] + (lo_o[1] + hi_o[1]) / 2 * cell
        labels.append((str(o), (x_out + hi_o[0] * cell + 0.3 * cell, float(y)), "lm", small_px))
    height = under + 1.2 * small_px + margin
    return ChannelsGeometry(
        c_in, c_out, groups, rows, cols, pad, orows, ocols, k, float(cell),
        (math.ceil(width), math.ceil(height)), float(pitch), anchors, filter_x, row_y,
        float(tile), float(thick), tuple(labels),
    )


def channels_geometry(layer: Conv, input_shape: tuple[int, int, int],
                      style: Style | None = None) -> ChannelsGeometry:
    """Place the piles and the filter bank of ``layer`` on ``input_shape`` (C_in, H, W).

    The cell starts at ``style.cell`` and shrinks until the canvas is at most
    ``style.max_size`` px wide (never below 8 px: the limits of
    :data:`~conv_engine.limits.MAX_CHANNEL_VIEW` keep the widest case under about 1000 px at
    that size).
    """
    style = DEFAULT_STYLE if style is None else style
    c_out, ho, wo = check_channel_case(layer, input_shape)
    c_in, h, w = input_shape
    p = layer.padding
    args = (c_in, c_out, layer.groups, (h + 2 * p, w + 2 * p), (ho, wo), layer.kernel, p, style)
    cell = float(style.cell)
    g = _place(*args, cell)
    while g.size[0] > style.max_size and cell > 8:
        cell = max(8.0, math.floor(cell * style.max_size / g.size[0]))
        g = _place(*args, cell)
    return g


class ChannelsAnimation:
    """The frames of one filter of a (grouped) convolution sliding over a multi-channel input.

    Parameters
    ----------
    layer : Conv (dilation 1), the convolution drawn
    input_shape : (C_in, H, W), within :data:`~conv_engine.limits.MAX_CHANNEL_VIEW`
    filter : int, 0 <= filter < C_out
        The filter (output channel) animated.
    style : colours, sizes, fonts (:data:`DEFAULT_STYLE` when None)

    Frame ``i`` (``0 <= i < H_out * W_out``) shows output cell ``divmod(i, W_out)``: the
    window ``rows r*s .. r*s+k-1``, ``cols c*s .. c*s+k-1`` of the padded input shaded on
    each channel of the filter's group.
    """

    def __init__(self, layer: Conv, input_shape: tuple[int, int, int], filter: int = 0,
                 style: Style | None = None) -> None:
        self.style = DEFAULT_STYLE if style is None else style
        require(self.style, Style, "style")
        self.geometry = channels_geometry(layer, tuple(input_shape), self.style)
        self.layer = layer
        self.input_shape = tuple(int(v) for v in input_shape)
        g = self.geometry
        self.filter = integer(filter, "filter", f"an integer from 0 to {g.c_out - 1}",
                              lambda v: 0 <= v < g.c_out)
        per_in, per_out = g.c_in // g.groups, g.c_out // g.groups
        q = self.filter // per_out
        self.group = q
        self.channels = range(q * per_in, (q + 1) * per_in)  # input channels this filter sees
        self.colors: Colors = self.style.rgb
        area = g.size[0] * g.size[1]
        self.ss = max(1, min(self.style.supersample,
                             math.isqrt(MAX_CHANNELS_SUPERSAMPLED_PIXELS // area)))

    def __len__(self) -> int:
        return self.geometry.out_rows * self.geometry.out_cols

    # -- colours --------------------------------------------------------------------------

    @cached_property
    def palette(self) -> dict[str, RGB]:
        """Every flat colour of the drawing besides the style's own."""
        c = self.colors
        pale_in = _mix(c.input, c.background, _PALE)
        pale_out = _mix(c.output, c.background, _PALE)
        kernel = c.shaded(c.background)  # a filter's weights: the guide's kernel shadow
        current = c.shaded(c.input)  # the current filter: the kernel's shadow over blue
        return {
            "pale_in": pale_in, "pale_out": pale_out, "kernel": kernel, "current": current,
            "kernel_side": c.shaded(kernel), "current_side": c.shaded(current),
            "shaded_in": current, "shaded_out": c.shaded(c.output),
            "shaded_pad": c.shaded(c.background),
        }

    # -- static layers --------------------------------------------------------------------

    def _bbox(self, pts, pad: float | None = None) -> Box:
        """:meth:`CanvasGeometry.box` of the drawing's geometry."""
        return self.geometry.box(pts, pad)

    def _draw_sheet(self, pen: Pen, stack: str, k: int, fill: RGB, origin=(0.0, 0.0)) -> None:
        """One sheet: padding white with a dashed grid, cells filled, solid grid over them."""
        g, c = self.geometry, self.colors
        off = np.asarray(origin, float)
        rows, cols = g._shape(stack)
        pad = g.pad if stack == "input" else 0

        def pts(r, cc):
            return g.point(stack, k, r, cc) - off

        if pad:
            pen.polygon(pts([0, 0, rows, rows], [0, cols, cols, 0]), c.background)
            ys, xs = np.arange(rows + 1), np.arange(cols + 1)
            pen.dashed(np.concatenate([pts(ys, 0 * ys), pts(0 * xs, xs)]),
                       np.concatenate([pts(ys, 0 * ys + cols), pts(0 * xs + rows, xs)]),
                       g.line, c.grid, dash=0.21 * g.cell)
        r0, r1, c0, c1 = pad, rows - pad, pad, cols - pad
        pen.polygon(pts([r0, r0, r1, r1], [c0, c1, c1, c0]), fill)
        ys, xs = np.arange(r0, r1 + 1), np.arange(c0, c1 + 1)
        pen.segments(np.concatenate([pts(ys, 0 * ys + c0), pts(0 * xs + r0, xs)]),
                     np.concatenate([pts(ys, 0 * ys + c1), pts(0 * xs + r1, xs)]),
                     g.line, c.grid)

    def _draw_tiles(self, pen: Pen, o: int) -> None:
        """Filter ``o``'s tiles, one per input channel of its group, joined by thin lines."""
        g, c, pal = self.geometry, self.colors, self.palette
        per_in, per_out = g.c_in // g.groups, g.c_out // g.groups
        q = o // per_out
        chans = range(q * per_in, (q + 1) * per_in)
        cur = o == self.filter
        fill, side = ((pal["current"], pal["current_side"]) if cur
                      else (pal["kernel"], pal["kernel_side"]))
        faces = [g.tile_faces(o, ch) for ch in chans]
        for upper, lower in zip(faces[:-1], faces[1:], strict=True):
            pen.segments(upper["bottom"], lower["top"], g.thin, c.connector)
        k = g.kernel
        for ch, f in zip(chans, faces, strict=True):
            pen.polygon(f["front"], side)
            pen.polygon(f["side"], side)
            pen.polygon(f["top"], fill)
            ys = np.arange(k + 1)
            p0 = np.concatenate([g.tile_point(o, ch, ys, 0 * ys), g.tile_point(o, ch, 0 * ys, ys)])
            p1 = np.concatenate([g.tile_point(o, ch, ys, 0 * ys + k),
                                 g.tile_point(o, ch, 0 * ys + k, ys)])
            pen.segments(p0, p1, g.thin * (1.6 if cur else 1.2), c.grid)
            for name in ("front", "side"):
                q4 = f[name]
                pen.segments(q4, np.roll(q4, -1, axis=0), g.thin * 1.2, c.grid)

    @cached_property
    def _base(self) -> np.ndarray:
        """(H, W, 3) uint8 canvas without the input pile: labels, filters, output pile."""
        g, c, ss = self.geometry, self.colors, self.ss
        im = Image.new("RGB", (g.size[0] * ss, g.size[1] * ss), c.background)
        pen = Pen(im, ss)
        for text, xy, anchor, px in g.labels:
            pen.text(xy, text, px, c.text, self.style.font, anchor=anchor)
        for o in range(g.c_out):
            self._draw_tiles(pen, o)
        for o in range(g.c_out - 1, -1, -1):
            fill = c.output if o == self.filter else self.palette["pale_out"]
            self._draw_sheet(pen, "output", o, fill)
        return np.asarray(im.reduce(ss) if ss > 1 else im).copy()

    @cached_property
    def _sheets(self) -> list[tuple[Box, np.ndarray, np.ndarray]]:
        """Each input sheet drawn once: (canvas box, premultiplied RGB float32, alpha)."""
        g, ss = self.geometry, self.ss
        out = []
        for k in range(g.c_in):
            box = self._bbox(g.quad("input", k, 0, 0, g.rows, g.cols))
            size = ((box[2] - box[0]) * ss, (box[3] - box[1]) * ss)
            fill = self.colors.input if k in self.channels else self.palette["pale_in"]
            # Drawn on black, box-filtered: colours premultiplied by coverage, so that a
            # sheet's smoothed edges lay over whatever lies under them in a frame.
            rgb = Image.new("RGB", size, (0, 0, 0))
            self._draw_sheet(Pen(rgb, ss), "input", k, fill, origin=box[:2])
            # The same shapes in white on black: how much of each pixel the sheet covers.
            white = Image.new("RGB", size, (0, 0, 0))
            self._draw_sheet(_Flat(white, ss), "input", k, fill, origin=box[:2])
            mask = white.convert("L")
            if ss > 1:
                rgb, mask = rgb.reduce(ss), mask.reduce(ss)
            out.append((box, np.asarray(rgb, np.float32),
                         np.asarray(mask, np.float32)[..., None] / 255.0))
        return out

    @cached_property
    def static(self) -> Image.Image:
        """The canvas with no step drawn (RGB image of ``geometry.size``)."""
        return Image.fromarray(self._compose(None))

    # -- frames ---------------------------------------------------------------------------

    def step_cell(self, i: int) -> tuple[int, int]:
        """Output (row, col) of frame ``i``, row-major."""
        n = len(self)
        i = integer(i, "step", f"an integer from 0 to {n - 1}", lambda v: 0 <= v < n)
        return divmod(i, self.geometry.out_cols)

    def window(self, i: int) -> tuple[int, int, int, int]:
        """Rows r0..r1 and cols c0..c1 (cell boundaries) of the padded input that step ``i``'s
        kernel covers: ``r0 = r * s``, ``r1 = r0 + k``."""
        r, col = self.step_cell(i)
        s, k = self.layer.stride, self.layer.kernel
        return (r * s, col * s, r * s + k, col * s + k)

    def _shade(self, img: np.ndarray, stack: str, k: int, rect) -> None:
        """Lay the guide's shadow over the pixels whose centres lie in ``rect`` (r0, c0, r1,
        c1) of a sheet, with Pillow's blend (so colours match ``Colors.shaded``)."""
        g, c = self.geometry, self.colors
        r0, c0, r1, c1 = rect
        x0, y0, x1, y1 = self._bbox(g.quad(stack, k, r0, c0, r1, c1), pad=1)
        ys, xs = np.mgrid[y0:y1, x0:x1]
        rr, cc = g.plane_coords(stack, k, xs + 0.5, ys + 0.5)
        inside = (rr >= r0) & (rr <= r1) & (cc >= c0) & (cc <= c1)
        patch = Image.fromarray(img[y0:y1, x0:x1])
        mask = Image.fromarray(np.where(inside, c.shadow_level, 0).astype(np.uint8))
        patch.paste(c.shadow, (0, 0, x1 - x0, y1 - y0), mask)
        img[y0:y1, x0:x1] = np.asarray(patch)

    def _lines(self, img: np.ndarray, p0, p1, width: float, color: RGB) -> None:
        rows, cols, cover = line_pixels(p0, p1, width, img.shape[:2])
        blend(img, rows, cols, cover, color, _LINE_LEVELS)

    def _outline(self, img: np.ndarray, q: np.ndarray) -> None:
        self._lines(img, q, np.roll(q, -1, axis=0), 1.6 * self.geometry.line, self.colors.grid)

    def _compose(self, i: int | None) -> np.ndarray:
        """Frame ``i`` (the bare canvas when None) as an (H, W, 3) uint8 array: the input
        sheets back to front over the base, each followed by its share of the moving parts."""
        g, c = self.geometry, self.colors
        img = self._base.copy()
        win = None if i is None else self.window(i)
        for k in range(g.c_in - 1, -1, -1):
            (x0, y0, x1, y1), rgb, alpha = self._sheets[k]
            under = img[y0:y1, x0:x1].astype(np.float32)
            img[y0:y1, x0:x1] = np.rint(rgb + (1.0 - alpha) * under).astype(np.uint8)
            if win is None or k not in self.channels:
                continue
            self._shade(img, "input", k, win)
            self._outline(img, g.quad("input", k, *win))
            if k > self.channels.start:  # the prism's edges up to the sheet above
                self._lines(img, g.quad("input", k, *win), g.quad("input", k - 1, *win),
                            g.thin, c.connector)
        if win is None:
            return img
        r, col = self.step_cell(i)
        o = self.filter
        first, last = self.channels.start, self.channels.stop - 1
        top_in, bot_in = g.quad("input", first, *win), g.quad("input", last, *win)
        t_top, t_bot = g.tile_faces(o, first), g.tile_faces(o, last)
        cell = g.quad("output", o, r, col, r + 1, col + 1)
        self._shade(img, "output", o, (r, col, r + 1, col + 1))
        self._outline(img, cell)
        beams = [(top_in[1], t_top["top"][0]), (bot_in[2], t_bot["bottom"][3]),
                 (t_top["top"][1], cell[0]), (t_bot["bottom"][2], cell[3])]
        self._lines(img, [a for a, _ in beams], [b for _, b in beams], g.thin, c.connector)
        return img

    def frame(self, i: int) -> Image.Image:
        """Frame ``i`` (output cell ``divmod(i, W_out)`` of the filter) as an RGB image."""
        return Image.fromarray(self._compose(i))

    def frames(self) -> list[Image.Image]:
        """Every frame, row-major over the filter's output cells."""
        return [self.frame(i) for i in range(len(self))]

    def patch_arrays(self, i: int) -> list[tuple[Box, np.ndarray]]:
        """What frame ``i`` changes over :attr:`static`: one (box, (h, w, 3) uint8) pair, the
        bounding box of the changed pixels (for :func:`~conv_engine.export.animation_gif`)."""
        now = self._compose(i)
        changed = np.any(now != np.asarray(self.static), axis=2)
        ys, xs = np.nonzero(changed)
        if ys.size == 0:
            return []
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        return [(box, now[box[1]:box[3], box[0]:box[2]])]

    @property
    def extra_colors(self) -> list[RGB]:
        """Flat colours a GIF must keep exact besides the style's own."""
        return list(dict.fromkeys(self.palette.values()))


class _Flat(Pen):
    """A pen that draws every shape in white: the coverage mask of what a Pen would draw."""

    def polygon(self, pts, fill) -> None:
        super().polygon(pts, (255, 255, 255))

    def segments(self, p0, p1, width: float, fill) -> None:
        super().segments(p0, p1, width, (255, 255, 255))

    def dashed(self, p0, p1, width: float, fill, dash: float) -> None:
        super().dashed(p0, p1, width, (255, 255, 255), dash)


def channels_animation(layer: Conv, input_shape: tuple[int, int, int], filter: int = 0,
                       style: Style | None = None) -> ChannelsAnimation:
    """The :class:`ChannelsAnimation` of ``filter`` of ``layer`` over ``input_shape``.

    Raises ParameterError naming the parameter for a layer that does not fit the input, a size
    beyond :data:`~conv_engine.limits.MAX_CHANNEL_VIEW`, a dilation, or a filter outside
    ``0 .. C_out - 1``.
    """
    return ChannelsAnimation(layer, input_shape, filter, style)


__all__ = [
    "ChannelsAnimation",
    "ChannelsGeometry",
    "channels_animation",
    "channels_geometry",
]
