"""Drawing a trace: the static grids once, then only the moving parts of each frame.

Everything is drawn without anti-aliasing at ``supersample`` times the canvas size and
box-filtered down, so edges are smooth while flat areas keep their exact palette colours.
A frame is the static image with small patches pasted in: the kernel's shadow, its
outline, the connector lines and the current output cell.
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, ImageDraw

from ..captions import fmt
from ..trace import Step, Trace
from .geometry import Geometry, make_geometry
from .style import DEFAULT_STYLE, RGB, Style, font

# Largest side of the supersampled canvas; bigger canvases are drawn at a lower factor.
_MAX_SUPERSAMPLED = 3000
# Text smaller than this many px is not drawn (unreadable, and slow for huge grids).
_MIN_TEXT_PX = 6

Box = tuple[int, int, int, int]


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


def _entry(p: np.ndarray, q: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """For segments p[i] -> q[i], the fraction t at which each enters convex ``poly`` (1 when
    it never does; 0 when it starts inside). Cyrus-Beck clipping; poly (n, 2) in order."""
    edge = np.roll(poly, -1, axis=0) - poly
    normal = np.stack([-edge[:, 1], edge[:, 0]], 1)
    normal *= np.sign(np.sum(normal * (poly.mean(axis=0) - poly), axis=1))[:, None]  # inward
    num = np.einsum("mnk,nk->mn", p[:, None, :] - poly[None], normal)
    den = (q - p) @ normal.T
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -num / den
    t_in = np.max(np.where(den > 0, t, 0.0), axis=1, initial=0.0)
    t_out = np.min(np.where(den < 0, t, 1.0), axis=1, initial=1.0)
    outside_parallel = np.any((den == 0) & (num < 0), axis=1)
    return np.where((t_in <= t_out) & ~outside_parallel, np.clip(t_in, 0.0, 1.0), 1.0)


def output_text(v: float) -> str:
    """An output value as the guide prints it: always one decimal ("12.0", "1.7")."""
    return f"{float(v) + 0.0:.1f}"  # + 0.0 turns -0.0 into 0.0


def _runs(e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True along axis 1 of a 2-D mask: (line, start, end) arrays, end exclusive."""
    d = np.diff(np.pad(e.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    line, start = np.nonzero(d == 1)
    _, end = np.nonzero(d == -1)  # row-major order pairs each start with its end
    return line, start, end


def _edges(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges touching a True cell, merged into straight runs.

    Returns ``(p0, p1)``: (n, 2) arrays of (row, col) boundary points.
    """
    m = np.pad(mask.astype(bool), 1)
    horiz = m[:-1, 1:-1] | m[1:, 1:-1]  # (H+1, W): boundary row y, cell column c
    vert = m[1:-1, :-1] | m[1:-1, 1:]  # (H, W+1): cell row r, boundary column x
    hy, hx0, hx1 = _runs(horiz)
    vx, vy0, vy1 = _runs(vert.T)
    p0 = np.concatenate([np.stack([hy, hx0], 1), np.stack([vy0, vx], 1)])
    p1 = np.concatenate([np.stack([hy, hx1], 1), np.stack([vy1, vx], 1)])
    return p0, p1


def _lines(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Every boundary line of an (H, W) grid, edge to edge: (p0, p1) in (row, col)."""
    h, w = shape
    ys, xs = np.arange(h + 1), np.arange(w + 1)
    p0 = np.concatenate([np.stack([ys, 0 * ys], 1), np.stack([0 * xs, xs], 1)])
    p1 = np.concatenate([np.stack([ys, 0 * ys + w], 1), np.stack([0 * xs + h, xs], 1)])
    return p0, p1


class _Pen:
    """Draws in canvas pixel coordinates onto a supersampled image (or a crop of one)."""

    def __init__(self, im: Image.Image, ss: int, origin: tuple[int, int] = (0, 0)) -> None:
        self.im, self.ss = im, ss
        self.origin = np.asarray(origin, float)
        self.draw = ImageDraw.Draw(im)

    def _px(self, pts) -> np.ndarray:
        return np.asarray(pts, float).reshape(-1, 2) * self.ss - self.origin

    def polygon(self, pts, fill) -> None:
        self.draw.polygon([tuple(p) for p in self._px(pts)], fill=fill)

    def width(self, px: float) -> int:
        return max(1, round(px * self.ss))

    def shade(self, quads, rgb: RGB, level: int) -> None:
        """Lay ``rgb`` at opacity ``level``/255 over the union of ``quads`` (no double shading)."""
        pts = [self._px(q) for q in quads]
        allp = np.concatenate(pts)
        x0, y0 = np.maximum(np.floor(allp.min(axis=0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(allp.max(axis=0)).astype(int) + 1, self.im.size)
        if x0 >= x1 or y0 >= y1:
            return
        # The mask covers only the quads' bounding box: pasting is the costly part.
        mask = Image.new("L", (x1 - x0, y1 - y0), 0)
        d = ImageDraw.Draw(mask)
        for p in pts:
            d.polygon([(x - x0, y - y0) for x, y in p.tolist()], fill=level)
        self.im.paste(rgb, (x0, y0, x1, y1), mask)

    def segments(self, p0, p1, width: float, fill, caps: bool = True) -> None:
        """Straight lines p0[i] -> p1[i] (canvas px); square caps close the corners of grids."""
        a, b = self._px(p0), self._px(p1)
        w = self.width(width)
        if caps:
            d = b - a
            d *= (w / 2) / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
            a, b = a - d, b + d
        for (x0, y0), (x1, y1) in zip(a.tolist(), b.tolist(), strict=True):
            self.draw.line([(x0, y0), (x1, y1)], fill=fill, width=w)

    def dashed(self, p0, p1, width: float, fill, dash: float) -> None:
        """Dashed lines (``dash`` px on, ``dash`` px off, starting at p0) as in TikZ."""
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
        w = self.width(width)
        for (x0, y0), (x1, y1) in zip(s.tolist(), e.tolist(), strict=True):
            self.draw.line([(x0, y0), (x1, y1)], fill=fill, width=w)

    def text(self, xy, s: str, px: int, fill, path: str | None, anchor: str | None = None) -> None:
        """``s`` with its ink centred on ``xy`` (or placed by a Pillow ``anchor``)."""
        f = font(path, px * self.ss)
        (x, y), = self._px(xy)
        if anchor is None:
            left, top, right, bottom = f.getbbox(s)
            x, y, anchor = x - (left + right) / 2, y - (top + bottom) / 2, "la"
        self.draw.text((x, y), s, font=f, fill=fill, anchor=anchor)


class Animation:
    """The frames of one trace, drawn in one style.

    Parameters
    ----------
    trace : the steps to draw (``conv_engine.trace(spec, x, w)``)
    style : colours, sizes, labels; :data:`DEFAULT_STYLE` when None
    numerical : flat view with numbers (True) or the slanted 2.5D view (False);
        by default ``trace.spec.numerical``

    Frames are RGB images of ``geometry.size``; frame ``i`` shows step ``i`` (row-major over
    the output). The static image is drawn once; :meth:`patches` gives what changes per frame.
    """

    def __init__(self, trace: Trace, style: Style | None = None, numerical: bool | None = None):
        self.trace = trace
        self.style = DEFAULT_STYLE if style is None else style
        self.numerical = trace.spec.numerical if numerical is None else bool(numerical)
        self.colors = self.style.rgb
        self.geometry: Geometry = make_geometry(
            trace.layout.shape, trace.spec.output_shape, self.style, self.numerical
        )
        side = max(self.geometry.size)
        self.ss = max(1, min(self.style.supersample, _MAX_SUPERSAMPLED // side))

    def __len__(self) -> int:
        return len(self.trace.steps)

    # -- text ---------------------------------------------------------------------------------

    @cached_property
    def _text_px(self) -> dict[str, int]:
        """Font size (px) of each kind of number, shrunk so the widest fits its cell."""
        t, cell, path = self.trace, self.geometry.cell, self.style.font
        widest = {
            "value": max((fmt(v) for v in t.grid.ravel()), key=len),
            "output": max((output_text(v) for v in t.output.ravel()), key=len),
            "weight": max((fmt(v) for v in t.w.ravel()), key=len),
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

    @cached_property
    def _static_texts(self) -> list[TextLabel]:
        if not self.numerical:
            return []
        t, g, c = self.trace, self.geometry, self.colors
        out: list[TextLabel] = []
        px = self._text_px["value"]
        if px >= _MIN_TEXT_PX:
            kind = t.kind
            for (r, col), v in np.ndenumerate(t.grid):
                real = bool(kind[r, col])
                if not real and t.spec.op == "max":
                    continue  # max pooling pads with -inf: nothing is added there
                color = c.text_on_input if real else c.text
                out.append(TextLabel("value", "grid", (r, col), fmt(v), g.cell_center("grid", r, col),
                                     px, color))
        px = self._text_px["output"]
        if px >= _MIN_TEXT_PX:
            for (r, col), v in np.ndenumerate(t.output):
                out.append(TextLabel("output", "output", (r, col), output_text(v),
                                     g.cell_center("output", r, col), px, c.text_on_output))
        return out

    def _step_texts(self, step: Step) -> list[TextLabel]:
        """The kernel weights written in the lower-right corner of each covered cell."""
        px = self._text_px["weight"]
        if not self.numerical or step.weights is None or px < _MIN_TEXT_PX:
            return []
        g, c, kind = self.geometry, self.colors, self.trace.kind
        out = []
        for (gr, gc), (a, b) in zip(step.cells, step.taps, strict=True):
            color = c.text_on_input if kind[gr, gc] else c.text
            xy = tuple(float(v) for v in g.point("grid", gr + 0.78, gc + 0.78))
            out.append(TextLabel("weight", "grid", (gr, gc), fmt(step.weights[a, b]), xy, px,
                                 color))
        return out

    def texts(self, i: int | None = None) -> list[TextLabel]:
        """Numbers drawn in frame ``i`` (static ones only when None); empty for the 2.5D view."""
        if i is None:
            return list(self._static_texts)
        return [*self._static_texts, *self._step_texts(self.trace.steps[i])]

    # -- static layers ------------------------------------------------------------------------

    def _draw_grid(self, pen: _Pen) -> None:
        """Padding (dashed), input cells (filled, solid borders), and their numbers."""
        g, c, kind = self.geometry, self.colors, self.trace.kind
        if not kind.all():
            p0, p1 = _lines(kind.shape)
            pen.dashed(g.point("grid", p0[:, 0], p0[:, 1]), g.point("grid", p1[:, 0], p1[:, 1]),
                       g.line, c.grid, dash=0.21 * g.cell)
        for r, c0, c1 in zip(*_runs(kind), strict=True):
            pen.polygon(g.quad("grid", r, c0, r + 1, c1), c.input)
        p0, p1 = _edges(kind)
        pen.segments(g.point("grid", p0[:, 0], p0[:, 1]), g.point("grid", p1[:, 0], p1[:, 1]),
                     g.line, c.grid)

    def _draw_output(self, pen: _Pen, fill, line) -> None:
        g = self.geometry
        h, w = g.output_shape
        pen.polygon(g.quad("output", 0, 0, h, w), fill)
        p0, p1 = _lines((h, w))
        pen.segments(g.point("output", p0[:, 0], p0[:, 1]),
                     g.point("output", p1[:, 0], p1[:, 1]), g.line, line)

    def _draw_texts(self, pen: _Pen, texts: list[TextLabel]) -> None:
        for t in texts:
            pen.text(t.xy, t.text, t.size, t.color, self.style.font)

    def _pad(self) -> int:
        """Pixels a patch reaches beyond the cells it covers (half the widest line + smoothing)."""
        return math.ceil(self.geometry.line) + 2

    @cached_property
    def _layers(self) -> tuple[Image.Image, Image.Image]:
        """(supersampled static canvas, static canvas)."""
        g, c, ss = self.geometry, self.colors, self.ss
        full = Image.new("RGB", (g.size[0] * ss, g.size[1] * ss), c.background)
        pen = _Pen(full, ss)
        self._draw_grid(pen)
        for text, xy, anchor in g.labels:
            pen.text(xy, text, g.label_px, c.text, self.style.font, anchor=anchor)
        self._draw_output(pen, c.output, c.grid)
        self._draw_texts(pen, self._static_texts)
        return full, (full.reduce(ss) if ss > 1 else full.copy())

    @cached_property
    def _output_box(self) -> Box:
        """Supersampled box of the output plane and its lines."""
        g, ss, p = self.geometry, self.ss, self._pad()
        h, w = g.output_shape
        x0, y0, x1, y1 = g.bbox("output", 0, 0, h, w)
        return (max(0, math.floor(x0) - p) * ss, max(0, math.floor(y0) - p) * ss,
                min(g.size[0], math.ceil(x1) + p) * ss, min(g.size[1], math.ceil(y1) + p) * ss)

    @cached_property
    def _over(self) -> tuple[Image.Image, Image.Image]:
        """The output plane alone and its mask (supersampled, in :attr:`_output_box`), to lay
        back over a kernel shadow that the slanted output plane hides."""
        c, box = self.colors, self._output_box
        size = (box[2] - box[0], box[3] - box[1])
        layer, mask = Image.new("RGB", size, c.background), Image.new("L", size, 0)
        self._draw_output(_Pen(layer, self.ss, box[:2]), c.output, c.grid)
        self._draw_output(_Pen(mask, self.ss, box[:2]), 255, 255)
        return layer, mask

    @property
    def static(self) -> Image.Image:
        """The canvas without any step: grids, labels and (numerical view) numbers."""
        return self._layers[1]

    # -- moving parts -------------------------------------------------------------------------

    def _boxes(self, step: Step) -> list[Box]:
        """Canvas boxes (x0, y0, x1, y1) of what step ``step`` changes, merged if they touch."""
        g = self.geometry
        r0, c0, r1, c1 = step.footprint
        orow, ocol = step.out_pos
        parts = [g.bbox("grid", r0, c0, r1 + 1, c1 + 1), g.bbox("output", orow, ocol, orow + 1,
                                                                 ocol + 1)]
        if not self.numerical:  # connector lines join the two: one box
            parts = [np.concatenate([np.minimum(*[p[:2] for p in parts]),
                                     np.maximum(*[p[2:] for p in parts])])]
        p = self._pad()
        boxes = [[max(0, math.floor(b[0]) - p), max(0, math.floor(b[1]) - p),
                  min(g.size[0], math.ceil(b[2]) + p), min(g.size[1], math.ceil(b[3]) + p)]
                 for b in parts]
        if len(boxes) == 2:
            a, b = boxes
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                boxes = [[min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]]
        return [tuple(b) for b in boxes]  # type: ignore[misc]

    def _draw_kernel(self, pen: _Pen, step: Step) -> None:
        """Shadow on the kernel's taps (only the taps when dilated) and their solid outline."""
        g, c = self.geometry, self.colors
        cells = np.array(step.cells)
        pen.shade([g.quad("grid", r, k, r + 1, k + 1) for r, k in cells], c.shadow, c.shadow_level)
        r0, c0, r1, c1 = step.footprint
        mask = np.zeros((r1 - r0 + 1, c1 - c0 + 1), bool)
        mask[cells[:, 0] - r0, cells[:, 1] - c0] = True
        p0, p1 = _edges(mask)
        pen.segments(g.point("grid", p0[:, 0] + r0, p0[:, 1] + c0),
                     g.point("grid", p1[:, 0] + r0, p1[:, 1] + c0), g.line, c.grid)

    def _draw_connectors(self, pen: _Pen, step: Step) -> None:
        """Thin lines from the footprint's corners to the output cell's, up to where they go
        behind the output plane (so the plane need not be drawn again over them)."""
        g = self.geometry
        r0, c0, r1, c1 = step.footprint
        orow, ocol = step.out_pos
        start = g.quad("grid", r0, c0, r1 + 1, c1 + 1)
        end = g.quad("output", orow, ocol, orow + 1, ocol + 1)
        h, w = g.output_shape
        t = _entry(start, end, g.quad("output", 0, 0, h, w))
        # Stop half a border short of the plane: its edge line stays untouched.
        t = np.maximum(t - (g.line / 2) / np.maximum(np.hypot(*(end - start).T), 1e-9), 0.0)
        keep = t > 0
        stop = start + (end - start) * t[:, None]
        pen.segments(start[keep], stop[keep], g.thin, self.colors.connector, caps=False)

    def _draw_current(self, pen: _Pen, step: Step) -> None:
        """The current output cell: shaded and outlined."""
        g, c = self.geometry, self.colors
        r, k = step.out_pos
        q = g.quad("output", r, k, r + 1, k + 1)
        pen.shade([q], c.shadow, c.shadow_level)
        pen.segments(q, np.roll(q, -1, axis=0), 1.6 * g.line, c.grid)

    def patches(self, i: int) -> list[tuple[Box, Image.Image]]:
        """What frame ``i`` changes: (canvas box, RGB image of that box) pairs.

        Frame ``i`` is :attr:`static` with each image pasted at its box.
        """
        step = self.trace.steps[i]
        full, _ = self._layers
        ss = self.ss
        out = []
        for box in self._boxes(step):
            sbox = tuple(v * ss for v in box)
            crop = full.crop(sbox)
            pen = _Pen(crop, ss, sbox[:2])
            self._draw_kernel(pen, step)
            if not self.numerical:
                self._restore_output(crop, sbox, step)
                self._draw_connectors(pen, step)
            self._draw_texts(pen, self._step_texts(step))
            self._draw_current(pen, step)
            out.append((box, crop.reduce(ss) if ss > 1 else crop))
        return out

    def _restore_output(self, crop: Image.Image, sbox: Box, step: Step) -> None:
        """Lay the output plane back over the kernel's shadow where the plane hides it."""
        g, ss, obox = self.geometry, self.ss, self._output_box
        r0, c0, r1, c1 = step.footprint
        fx0, fy0, fx1, fy1 = g.bbox("grid", r0, c0, r1 + 1, c1 + 1) * ss
        pad = self._pad() * ss
        ix = (max(math.floor(fx0) - pad, obox[0], sbox[0]), max(math.floor(fy0) - pad, obox[1],
                                                               sbox[1]),
              min(math.ceil(fx1) + pad, obox[2], sbox[2]), min(math.ceil(fy1) + pad, obox[3],
                                                             sbox[3]))
        if ix[0] >= ix[2] or ix[1] >= ix[3]:
            return  # the usual case: the output plane floats clear of the kernel
        layer, mask = self._over
        src = (ix[0] - obox[0], ix[1] - obox[1], ix[2] - obox[0], ix[3] - obox[1])
        crop.paste(layer.crop(src), (ix[0] - sbox[0], ix[1] - sbox[1]), mask.crop(src))

    def frame(self, i: int) -> Image.Image:
        """Frame ``i`` as an RGB image of ``geometry.size``."""
        n = len(self)
        if not -n <= i < n:
            raise ValueError(f"step must be from 0 to {n - 1}, got {i}")
        im = self.static.copy()
        for box, patch in self.patches(i % n):
            im.paste(patch, box[:2])
        return im

    def frames(self) -> list[Image.Image]:
        """Every frame, in step order."""
        return [self.frame(i) for i in range(len(self))]


# Animations already drawn, per trace (dropped with the trace): the scrubber redraws one
# frame at a time and should not redraw the static grids each time.
_CACHE: weakref.WeakKeyDictionary[Trace, dict] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def animation(trace: Trace, style: Style | None = None, numerical: bool | None = None) -> Animation:
    """The :class:`Animation` of ``trace``, reused while the trace lives."""
    style = DEFAULT_STYLE if style is None else style
    key = (style, numerical)
    with _LOCK:
        anim = _CACHE.get(trace, {}).get(key)
    if anim is None:
        anim = Animation(trace, style, numerical)
        with _LOCK:
            _CACHE.setdefault(trace, {})[key] = anim
    return anim


def draw(step: Step | int, style: Style | None = None, *, trace: Trace,
         numerical: bool | None = None) -> Image.Image:
    """One frame: step ``step`` of ``trace`` with its receptive window highlighted.

    Returns an RGB image; the kernel's taps are shaded (only the taps for a dilated kernel),
    the current output cell shaded and outlined. The same image is frame ``step`` of the
    animation, so it doubles as the still for a step scrubber.
    """
    i = step.index if isinstance(step, Step) else int(step)
    return animation(trace, style, numerical).frame(i)


def draw_step(trace: Trace, step: Step | int, style: Style | None = None, *,
              numerical: bool | None = None) -> Image.Image:
    """:func:`draw` with the trace first: the still of step ``step`` (RGB image)."""
    return draw(step, style, trace=trace, numerical=numerical)


def render_frames(trace: Trace, style: Style | None = None,
                  numerical: bool | None = None) -> list[Image.Image]:
    """Every frame of ``trace`` as RGB images, one per output cell (row-major)."""
    return animation(trace, style, numerical).frames()
