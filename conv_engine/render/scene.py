"""Drawing a trace: the static grids once, then only the moving parts of each frame.

The static canvas is drawn without anti-aliasing at ``supersample`` times its size and
box-filtered down, so edges are smooth while flat areas keep their exact palette colours.
Each frame then changes a few small boxes at canvas resolution: the kernel's shadow (cells
hit-tested through the inverse of the plane's mapping, so flat colours stay exact), its
outline, the connector lines and the current output cell, lines anti-aliased with NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, ImageDraw

from ..captions import fmt
from ..checks import integer
from ..limits import MAX_ARITHMETIC_SUPERSAMPLED_SIDE
from ..traces import Step, Trace
from .geometry import Geometry, make_geometry
from .raster import Pen, blend, draw_text, edges, grid_lines, line_pixels, pixels, runs
from .style import DEFAULT_STYLE, RGB, Style, font

# Text smaller than this many px is not drawn (unreadable, and slow for huge grids).
_MIN_TEXT_PX = 6
# Shades of the anti-aliased lines that move: each one more costs GIF bytes in every frame.
_LINE_LEVELS = 4

Box = tuple[int, int, int, int]
# The output's label says what a pooling window computes.
_OUTPUT_NAMES = {"conv": "output", "max": "output (max)", "avg": "output (average)"}


@dataclass(frozen=True)
class TextLabel:
    """A number drawn in the numerical view.

    ``kind``: "value" (grid cell), "weight" (kernel weight in a covered cell's lower-right
    corner) or "output"; ``cell``: (row, col) in ``plane``; ``xy``: pixel centre of the ink.
    """

    kind: str
    plane: str
    cell: tuple[int, int]
    text: str
    xy: tuple[float, float]
    size: int
    color: RGB


def output_text(v: float) -> str:
    """An output cell's label as the guide prints it: one decimal ("12.0", "1.7", "-inf").

    :func:`~conv_engine.captions.fmt` rounding (half away from zero, never "-0.0"); the
    caption beside the drawing carries the full precision.
    """
    return fmt(v, 1, min_places=1)


def cell_text(v: float) -> str:
    """An input value's or a weight's label, short enough to fit its cell: the number with up
    to two decimals below 10, one below 100, none beyond (:func:`~conv_engine.captions.fmt`)."""
    a = abs(float(fmt(v, 0)))  # fmt checks v (ValueError naming it)
    return fmt(v, 2 if a < 10 else 1 if a < 100 else 0)


class Animation:
    """The frames of one trace, drawn in one style.

    Parameters
    ----------
    trace : the steps to draw (``conv_engine.trace(spec, x, w)``)
    style : colours, sizes, labels; :data:`DEFAULT_STYLE` when None
    numerical : flat view with numbers (True) or the slanted 2.5D view (False);
        by default ``trace.spec.numerical``

    Frames are RGB images of ``geometry.size``; frame ``i`` shows step ``i`` (row-major over
    the output). :attr:`static` is drawn once; :meth:`patch_arrays` gives what each frame
    changes.
    """

    def __init__(self, trace: Trace, style: Style | None = None, numerical: bool | None = None):
        self.trace = trace
        self.style = DEFAULT_STYLE if style is None else style
        self.numerical = trace.spec.numerical if numerical is None else bool(numerical)
        self.colors = self.style.rgb
        self.geometry: Geometry = make_geometry(
            trace.layout.shape, trace.spec.output_shape, self.style, self.numerical,
            ("input", _OUTPUT_NAMES[trace.spec.op]),
        )
        side = max(self.geometry.size)
        self.ss = max(1, min(self.style.supersample, MAX_ARITHMETIC_SUPERSAMPLED_SIDE // side))

    def __len__(self) -> int:
        return len(self.trace.steps)

    # -- numbers ------------------------------------------------------------------------------

    @cached_property
    def _text_px(self) -> dict[str, int]:
        """Font size (px) of each kind of number, shrunk so the widest fits its cell."""
        t, cell, path = self.trace, self.geometry.cell, self.style.font
        # Each distinct number once: a large grid repeats few values.
        widest = {
            "value": max(map(cell_text, np.unique(t.grid).tolist()), key=len),
            "output": max(map(output_text, np.unique(t.output).tolist()), key=len),
            "weight": max(map(cell_text, np.unique(t.w).tolist()), key=len),
        }
        sizes = {}
        for kind, (rel, room) in {"value": (0.42, 0.82), "output": (0.36, 0.86),
                                  "weight": (0.26, 0.38)}.items():
            px = max(1, round(rel * cell))
            width = font(path, px).getlength(widest[kind])
            if width > room * cell:
                px = int(px * room * cell / width)
            sizes[kind] = px
        return sizes

    @property
    def number_px(self) -> dict[str, int]:
        """Font size (px) of each kind of number this view draws: "value", "output" and, for a
        convolution, "weight"; empty for the 2.5D view, which draws none (a player sizes its
        view so that these stay readable)."""
        if not self.numerical:
            return {}
        kinds = ("value", "output", "weight") if self.trace.spec.op == "conv" else (
            "value", "output")
        return {k: self._text_px[k] for k in kinds if self._text_px[k] >= _MIN_TEXT_PX}

    @cached_property
    def _static_texts(self) -> list[TextLabel]:
        if not self.numerical:
            return []
        t, g, c = self.trace, self.geometry, self.colors
        out: list[TextLabel] = []
        px = self._text_px["value"]
        if px >= _MIN_TEXT_PX:
            kind = t.kind
            for (r, k), v in np.ndenumerate(t.grid):
                real = bool(kind[r, k])
                if not real and t.spec.op == "max":
                    continue  # max pooling pads with -inf: nothing is added there
                out.append(TextLabel("value", "grid", (r, k), cell_text(v),
                                     g.cell_center("grid", r, k),
                                     px, c.text_on_input if real else c.text))
        px = self._text_px["output"]
        if px >= _MIN_TEXT_PX:
            for (r, k), v in np.ndenumerate(t.output):
                out.append(TextLabel("output", "output", (r, k), output_text(v),
                                     g.cell_center("output", r, k), px, c.text_on_output))
        return out

    def _step_texts(self, step: Step) -> list[TextLabel]:
        """The kernel weights, small in the lower-right corner of each covered cell."""
        px = self._text_px["weight"]
        if not self.numerical or step.weights is None or px < _MIN_TEXT_PX:
            return []
        g, c, kind = self.geometry, self.colors, self.trace.kind
        out = []
        for (gr, gc), (a, b) in zip(step.cells, step.taps, strict=True):
            x, y = g.point("grid", gr + 0.78, gc + 0.78)
            out.append(TextLabel("weight", "grid", (gr, gc), cell_text(step.weights[a, b]),
                                 (float(x), float(y)), px,
                                 c.text_on_input if kind[gr, gc] else c.text))
        return out

    def texts(self, i: int | None = None) -> list[TextLabel]:
        """Numbers drawn in frame ``i`` (the static ones when None); none in the 2.5D view."""
        if i is None:
            return list(self._static_texts)
        return [*self._static_texts, *self._step_texts(self.trace.steps[i])]

    # -- the static canvas --------------------------------------------------------------------

    def _draw_grid(self, pen: Pen) -> None:
        """Padding and inserted zeros (dashed) and input cells (filled, solid borders)."""
        g, c, kind = self.geometry, self.colors, self.trace.kind
        if not kind.all():
            p0, p1 = grid_lines(kind.shape)
            pen.dashed(g.point("grid", p0[:, 0], p0[:, 1]), g.point("grid", p1[:, 0], p1[:, 1]),
                       g.line, c.grid, dash=0.21 * g.cell)
        for r, c0, c1 in zip(*runs(kind), strict=True):
            pen.polygon(g.quad("grid", r, c0, r + 1, c1), c.input)
        p0, p1 = edges(kind)
        pen.segments(g.point("grid", p0[:, 0], p0[:, 1]), g.point("grid", p1[:, 0], p1[:, 1]),
                     g.line, c.grid)

    def _draw_output(self, pen: Pen) -> None:
        g, c = self.geometry, self.colors
        h, w = g.output_shape
        pen.polygon(g.quad("output", 0, 0, h, w), c.output)
        p0, p1 = grid_lines((h, w))
        pen.segments(g.point("output", p0[:, 0], p0[:, 1]),
                     g.point("output", p1[:, 0], p1[:, 1]), g.line, c.grid)

    @cached_property
    def static(self) -> Image.Image:
        """The canvas without any step: grids, labels and (numerical view) numbers."""
        g, c, ss = self.geometry, self.colors, self.ss
        big = Image.new("RGB", (g.size[0] * ss, g.size[1] * ss), c.background)
        pen = Pen(big, ss)
        self._draw_grid(pen)
        for text, xy, anchor in g.labels:
            pen.text(xy, text, g.label_px, c.text, self.style.font, anchor=anchor)
        self._draw_output(pen)  # after the input: the slanted output plane may hide some
        for t in self._static_texts:
            pen.text(t.xy, t.text, t.size, t.color, self.style.font)
        return big.reduce(ss) if ss > 1 else big

    @cached_property
    def _pixels(self) -> tuple[np.ndarray, np.ndarray]:
        """(static, static under the shadow) as (H, W, 3) uint8 arrays."""
        c = self.colors
        shaded = self.static.copy()
        # Pillow's own blend, so shaded cells match Colors.shaded exactly.
        shaded.paste(c.shadow, (0, 0, *shaded.size), Image.new("L", shaded.size, c.shadow_level))
        return np.asarray(self.static), np.asarray(shaded)

    # -- moving parts -------------------------------------------------------------------------

    def _pad(self) -> int:
        """Pixels the moving parts reach beyond their cells (half the widest line, smoothing)."""
        return math.ceil(self.geometry.line) + 2

    def _box(self, corners: np.ndarray) -> list[int]:
        """Integer canvas box around pixel points, padded and clipped to the canvas."""
        w, h = self.geometry.size
        p = self._pad()
        lo = np.floor(corners.min(axis=0)).astype(int) - p
        hi = np.ceil(corners.max(axis=0)).astype(int) + p
        return [max(0, int(lo[0])), max(0, int(lo[1])), min(w, int(hi[0])), min(h, int(hi[1]))]

    def _boxes(self, step: Step) -> list[Box]:
        """Canvas boxes (x0, y0, x1, y1) that frame ``step`` changes."""
        g = self.geometry
        r0, c0, r1, c1 = step.footprint
        orow, ocol = step.out_pos
        kernel = g.quad("grid", r0, c0, r1 + 1, c1 + 1)
        cell = g.quad("output", orow, ocol, orow + 1, ocol + 1)
        if not self.numerical:  # the connector lines join the two: one box
            return [tuple(self._box(np.concatenate([kernel, cell])))]  # type: ignore[list-item]
        a, b = self._box(kernel), self._box(cell)
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
            return [(min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))]
        return [tuple(a), tuple(b)]  # type: ignore[list-item]

    def _hidden(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which pixel centres lie under the slanted output plane (its border included)."""
        if self.numerical:
            return np.zeros(np.shape(x), bool)
        g = self.geometry
        h, w = g.output_shape
        r, c = g.plane_coords("output", np.asarray(x) + 0.5, np.asarray(y) + 0.5)
        e = (g.line / 2 + 0.5) / g.cell  # half the border line and its smoothing, in cells
        return (r > -e) & (r < h + e) & (c > -e) & (c < w + e)

    @cached_property
    def _cell_ids(self) -> dict[str, np.ndarray]:
        """Per plane, an (H, W) canvas map of which cell (row * width + col) holds each pixel
        centre, -1 for none; grid pixels hidden by the slanted output plane are -1 too."""
        g = self.geometry
        h, w = g.size[1], g.size[0]
        xs, ys = np.arange(w)[None, :] + 0.5, np.arange(h)[:, None] + 0.5
        ids = {}
        for plane, (ph, pw) in (("grid", g.grid_shape), ("output", g.output_shape)):
            r, c = g.plane_coords(plane, xs, ys)
            r, c = np.floor(r), np.floor(c)
            inside = (r >= 0) & (r < ph) & (c >= 0) & (c < pw)
            ids[plane] = np.where(inside, r * pw + c, -1).astype(np.int32)
        if not self.numerical:
            ids["grid"][self._hidden(xs - 0.5, ys - 0.5)] = -1
        return ids

    def _shade(self, region: np.ndarray, box: Box, plane: str, cells: np.ndarray) -> None:
        """Lay the shadow over ``cells`` ((n, 2) rows and cols of ``plane``) in ``region``:
        each pixel whose centre falls in one of them takes its shaded static colour."""
        g = self.geometry
        r0, c0 = cells.min(axis=0)
        r1, c1 = cells.max(axis=0) + 1
        x0, y0, x1, y1 = self._box(g.quad(plane, r0, c0, r1, c1))
        x0, y0, x1, y1 = max(x0, box[0]), max(y0, box[1]), min(x1, box[2]), min(y1, box[3])
        if x0 >= x1 or y0 >= y1:
            return
        width = (g.grid_shape if plane == "grid" else g.output_shape)[1]
        tapped = np.zeros(g.grid_shape[0] * g.grid_shape[1] + g.output_shape[0] * g.output_shape[1]
                          + 1, bool)  # index -1 (no cell) lands on the last, False
        tapped[cells[:, 0] * width + cells[:, 1]] = True
        hit = tapped[self._cell_ids[plane][y0:y1, x0:x1]]
        sub = pixels(region)[y0 - box[1]:y1 - box[1], x0 - box[0]:x1 - box[0]]
        np.copyto(sub, pixels(self._pixels[1])[y0:y1, x0:x1], where=hit)

    @cached_property
    def _output_bbox(self) -> np.ndarray:
        h, w = self.geometry.output_shape
        return self.geometry.bbox("output", 0, 0, h, w)

    def _may_hide(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the output plane may hide part of a pixel box (2.5D view only)."""
        if self.numerical:
            return False
        bx0, by0, bx1, by1 = self._output_bbox
        p = self._pad()
        return x0 < bx1 + p and bx0 - p < x1 and y0 < by1 + p and by0 - p < y1

    def _lines(self, region: np.ndarray, box: Box, p0, p1, width, color: RGB,
               caps: bool = True, behind: bool = False) -> None:
        """Anti-aliased lines (canvas px) into ``region``; ``behind``: hidden by the output."""
        origin = np.array(box[:2], float)
        rows, cols, cover = line_pixels(np.asarray(p0) - origin, np.asarray(p1) - origin, width,
                                        region.shape[:2], caps)
        if behind and rows.size and self._may_hide(cols.min() + box[0], rows.min() + box[1],
                                                   cols.max() + box[0] + 1,
                                                   rows.max() + box[1] + 1):
            keep = ~self._hidden(cols + box[0], rows + box[1])
            rows, cols, cover = rows[keep], cols[keep], cover[keep]
        blend(region, rows, cols, cover, color, _LINE_LEVELS)

    def _corners(self, step: Step) -> tuple[np.ndarray, np.ndarray]:
        """(4, 2) pixel corners of the kernel's footprint and of the current output cell, in
        matching order."""
        g = self.geometry
        r0, c0, r1, c1 = step.footprint
        orow, ocol = step.out_pos
        return (g.quad("grid", r0, c0, r1 + 1, c1 + 1),
                g.quad("output", orow, ocol, orow + 1, ocol + 1))

    def connectors(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(start, end): (4, 2) pixel ends of the thin lines of frame ``i``, from the corners
        of the kernel's footprint to those of the output cell (none in the numerical view;
        the parts behind the output plane are not drawn)."""
        if self.numerical:
            return np.zeros((0, 2)), np.zeros((0, 2))
        return self._corners(self.trace.steps[i])

    @cached_property
    def _tap_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Outline of the kernel's taps relative to its footprint's corner, the same at every
        step: (p0, p1) (n, 2) row/col boundary points."""
        step = self.trace.steps[0]
        cells = np.array(step.cells)
        r0, c0, r1, c1 = step.footprint
        mask = np.zeros((r1 - r0 + 1, c1 - c0 + 1), bool)
        mask[cells[:, 0] - r0, cells[:, 1] - c0] = True
        return edges(mask)

    def _draw_step(self, region: np.ndarray, box: Box, step: Step) -> np.ndarray:
        """Draw step ``step`` into ``region`` (the static pixels of ``box``); returns it."""
        g, c = self.geometry, self.colors
        cells = np.array(step.cells)
        orow, ocol = step.out_pos
        self._shade(region, box, "grid", cells)
        self._shade(region, box, "output", np.array([[orow, ocol]]))
        # Solid outlines: each tap (apart when the kernel is dilated) and the output cell.
        r0, c0, _, _ = step.footprint
        p0, p1 = self._tap_edges
        e0 = g.point("grid", p0[:, 0] + r0, p0[:, 1] + c0)
        e1 = g.point("grid", p1[:, 0] + r0, p1[:, 1] + c0)
        kernel, cell = self._corners(step)
        if self._may_hide(*self._box(kernel)):  # rare: the output plane hides part of it
            self._lines(region, box, e0, e1, g.line, c.grid, behind=True)
            e0, e1 = e0[:0], e1[:0]
        self._lines(region, box, np.concatenate([e0, cell]),
                    np.concatenate([e1, np.roll(cell, -1, axis=0)]),
                    np.r_[np.full(len(e0), g.line), np.full(4, 1.6 * g.line)], c.grid)
        if not self.numerical:  # they pass behind the output plane
            self._lines(region, box, kernel, cell, g.thin, c.connector, caps=False, behind=True)
        texts = self._step_texts(step)
        if texts:
            im = Image.fromarray(region)
            d = ImageDraw.Draw(im)
            for t in texts:
                draw_text(d, (t.xy[0] - box[0], t.xy[1] - box[1]), t.text, t.size, t.color,
                          self.style.font)
            region = np.array(im)
        return region

    def patch_arrays(self, i: int) -> list[tuple[Box, np.ndarray]]:
        """What frame ``i`` changes: (canvas box (x0, y0, x1, y1), (h, w, 3) uint8 pixels).

        Frame ``i`` is :attr:`static` with each array pasted at its box.
        """
        step = self.trace.steps[i]
        static = self._pixels[0]
        out = []
        for box in self._boxes(step):
            region = static[box[1]:box[3], box[0]:box[2]].copy()
            out.append((box, self._draw_step(region, box, step)))
        return out

    def patches(self, i: int) -> list[tuple[Box, Image.Image]]:
        """:meth:`patch_arrays` as RGB images."""
        return [(box, Image.fromarray(px)) for box, px in self.patch_arrays(i)]

    def frame(self, i: int) -> Image.Image:
        """Frame ``i`` (negative counts from the end) as an RGB image of ``geometry.size``."""
        n = len(self)
        i = integer(i, "step", f"an integer from 0 to {n - 1}", lambda v: -n <= v < n)
        im = self.static.copy()
        for box, patch in self.patches(i % n):
            im.paste(patch, box[:2])
        return im

    def frames(self) -> list[Image.Image]:
        """Every frame, in step order."""
        return [self.frame(i) for i in range(len(self))]


def animation(trace: Trace, style: Style | None = None, numerical: bool | None = None) -> Animation:
    """The :class:`Animation` of ``trace``: its static layers drawn once, frames on demand.

    The engine keeps nothing between calls: a caller that asks for many frames of one case
    (a step scrubber) keeps the Animation (the app memoises it in ``ui/cached.py``).
    """
    return Animation(trace, DEFAULT_STYLE if style is None else style, numerical)


def draw(step: Step | int, style: Style | None = None, *, trace: Trace,
         numerical: bool | None = None) -> Image.Image:
    """One still: step ``step`` of ``trace`` with its receptive window highlighted.

    Returns an RGB image: the kernel's taps shaded (only the taps of a dilated kernel) and
    outlined, the current output cell shaded and outlined. It is frame ``step`` of the
    animation, so a step scrubber shows exactly what the GIF plays.
    """
    i = step.index if isinstance(step, Step) else step
    return animation(trace, style, numerical).frame(i)


def draw_step(trace: Trace, step: Step | int, style: Style | None = None, *,
              numerical: bool | None = None) -> Image.Image:
    """:func:`draw` with the trace first: the still of step ``step`` (RGB image)."""
    return draw(step, style, trace=trace, numerical=numerical)


def render_frames(trace: Trace, style: Style | None = None,
                  numerical: bool | None = None) -> list[Image.Image]:
    """Every frame of ``trace`` as RGB images, one per output cell (row-major)."""
    return animation(trace, style, numerical).frames()
