"""What an interactive player needs to animate a drawing in the browser, all at once.

A browser player steps, plays and hit-tests without asking the server anything, so it gets
everything with the first render:

- the frames, as the static canvas once plus, for each step, small overlays of the pixels
  that step changes (transparent elsewhere), so that ``background + overlays(i)`` is exactly
  frame ``i`` of the engine's animation; WebP lossless keeps them exact and about a third
  the size of PNG (see :data:`~conv_engine.limits.MAX_PLAYER_STEPS` for the sizes);
- every step's caption, the engine's own (:func:`~conv_engine.captions.step_caption`,
  :func:`~conv_engine.captions.depth_caption`);
- the polygon, in image pixels, of every output cell (one per step) and of every input cell
  (padding and inserted zeros excluded), from the drawing's own placement (``Geometry`` of
  the arithmetic figures, ``DepthGeometry`` of the depth view), so the browser hit-tests
  without knowing the projection; which input cells each step reads comes from the engine's
  one geometry function (:func:`~conv_engine.arithmetic.window_in`), and the reverse map
  (which steps read each input cell) from that.

Pure NumPy and Pillow, like the rest of the engine; the component that shows it is in
``ui/player``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from .arithmetic import require, window_in
from .captions import depth_caption, step_caption
from .checks import ParameterError
from .limits import MAX_PLAYER_STEPS, MIN_PLAYER_CELL, MIN_PLAYER_NUMERICAL_CELL
from .render.depth import DepthAnimation, depth_animation
from .render.scene import Animation, animation
from .render.style import DEFAULT_STYLE, Style
from .traces import Trace

MIME = "image/webp"
# WebP lossless (exact colours), a third the size of PNG here; method 1 at quality 50 encodes
# the heaviest cases about 1.5x as fast as Pillow's default effort for files about 5 % larger.
_WEBP = {"format": "WEBP", "lossless": True, "method": 1, "quality": 50}

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Overlay:
    """Pixels one step changes in a box of the canvas: an RGBA WebP of ``size`` (w, h) to lay
    at ``(x, y)``; unchanged pixels are transparent."""

    x: int
    y: int
    size: tuple[int, int]
    image: bytes


@dataclass(frozen=True, eq=False)
class PlayerData:
    """Everything a browser player needs, for one animation.

    Attributes
    ----------
    kind : "arithmetic" or "depth"
    size : (width, height) px of every frame
    background : the static canvas, encoded as ``mime``
    overlays : per step, the :class:`Overlay` s that make frame ``i`` from the background
    captions : per step, the engine's caption
    out_cells : (steps, 2) int, the output (row, col) of each step, row-major
    out_polys : (steps, S_out, 4, 2) float, px corners of each output cell on each of its
        S_out sheets (1 for the arithmetic figures, C_out for the depth view)
    in_cells : (n_in, 2) int, every input cell (row, col): input grid coordinates, padding
        and inserted zeros excluded; pixel coordinates in the depth view
    in_polys : (n_in, S_in, 4, 2) float, px corners of each input cell on each of its sheets
    reads : per step, indices into ``in_cells`` of the input cells it reads, in tap order
    readers : per input cell, the steps that read it, ascending (the reverse map)
    number_px : font size (px) of each kind of number drawn; empty without numbers
    names : what an input cell and an output cell are called ("input", "output")
    mime : the images' media type
    """

    kind: str
    size: tuple[int, int]
    background: bytes
    overlays: tuple[tuple[Overlay, ...], ...]
    captions: tuple[str, ...]
    out_cells: np.ndarray
    out_polys: np.ndarray
    in_cells: np.ndarray
    in_polys: np.ndarray
    reads: tuple[np.ndarray, ...]
    readers: tuple[np.ndarray, ...]
    number_px: dict[str, int]
    names: tuple[str, str]
    mime: str = MIME

    @property
    def steps(self) -> int:
        """Number of steps (frames)."""
        return len(self.captions)

    @property
    def nbytes(self) -> int:
        """Bytes of the encoded images: the bulk of what a browser receives."""
        return len(self.background) + sum(len(o.image) for step in self.overlays for o in step)

    def frame(self, i: int) -> Image.Image:
        """Frame ``i`` as the browser composes it: the background with step ``i``'s overlays
        (decoded here; it equals the engine's frame ``i`` pixel for pixel)."""
        im = Image.open(io.BytesIO(self.background)).convert("RGB")
        for o in self.overlays[i]:
            layer = Image.open(io.BytesIO(o.image)).convert("RGBA")
            im.paste(layer, (o.x, o.y), layer)
        return im


def player_style(style: Style | None = None) -> Style:
    """``style`` (default :data:`DEFAULT_STYLE`) with the player's larger cells
    (:data:`~conv_engine.limits.MIN_PLAYER_CELL`,
    :data:`~conv_engine.limits.MIN_PLAYER_NUMERICAL_CELL`); colours and labels kept."""
    style = DEFAULT_STYLE if style is None else style
    require(style, Style, "style")
    return replace(style, cell=max(style.cell, MIN_PLAYER_CELL),
                   numerical_cell=max(style.numerical_cell, MIN_PLAYER_NUMERICAL_CELL))


def _encode(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, **_WEBP)
    return buf.getvalue()


def _step_overlays(static: np.ndarray, patches: list[tuple[Box, np.ndarray]]) -> tuple:
    """The overlays of one frame: per patch box, the pixels that differ from the static
    canvas once every patch is pasted in order (as the drawing's ``frame`` pastes them, so
    overlapping boxes agree), cropped to those pixels."""
    out = []
    for x0, y0, x1, y1 in (box for box, _ in patches):
        if len(patches) == 1:  # the common case: nothing else to paste over it
            region = patches[0][1]
        else:
            region = static[y0:y1, x0:x1].copy()
            for (a0, b0, a1, b1), px in patches:
                ix0, iy0, ix1, iy1 = max(x0, a0), max(y0, b0), min(x1, a1), min(y1, b1)
                if ix0 < ix1 and iy0 < iy1:
                    region[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = px[iy0 - b0:iy1 - b0,
                                                                      ix0 - a0:ix1 - a0]
        ne = region != static[y0:y1, x0:x1]
        changed = ne[..., 0] | ne[..., 1] | ne[..., 2]  # 4x faster than any(axis=2)
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if rows.size == 0:
            continue
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        rgba = np.zeros((r1 - r0, c1 - c0, 4), np.uint8)
        mask = changed[r0:r1, c0:c1]
        rgba[mask, :3] = region[r0:r1, c0:c1][mask]
        rgba[mask, 3] = 255
        out.append(Overlay(int(x0 + c0), int(y0 + r0), (int(c1 - c0), int(r1 - r0)),
                           _encode(Image.fromarray(rgba, "RGBA"))))
    return tuple(out)


def _frames(anim: Animation | DepthAnimation) -> tuple[bytes, tuple]:
    """(background, per-step overlays) of a drawing with ``static`` and ``patch_arrays``."""
    static = np.asarray(anim.static)
    overlays = tuple(_step_overlays(static, anim.patch_arrays(i)) for i in range(len(anim)))
    return _encode(anim.static), overlays


def _reverse(reads: Sequence[np.ndarray], n_in: int) -> tuple[np.ndarray, ...]:
    """For each of ``n_in`` input cells, the steps whose ``reads`` hold it, ascending."""
    counts = np.array([len(r) for r in reads], dtype=np.int64)
    steps = np.repeat(np.arange(len(reads)), counts)
    cells = np.concatenate(reads) if len(reads) else np.zeros(0, np.int64)
    order = np.lexsort((steps, cells))  # by cell, then by step
    bounds = np.searchsorted(cells[order], np.arange(n_in + 1))
    s = steps[order]
    return tuple(s[bounds[j]:bounds[j + 1]] for j in range(n_in))


def _check_steps(n: int, name: str) -> None:
    """ParameterError naming the argument that makes ``n`` steps, when they are too many."""
    if n > MAX_PLAYER_STEPS:
        raise ParameterError(name, f"{n:,} steps are too many for the player (at most "
                                   f"{MAX_PLAYER_STEPS:,}); use smaller sizes")


def player_data(trace: Trace, style: Style | None = None, *,
                numerical: bool | None = None) -> PlayerData:
    """The player's data for a convolution-arithmetic trace.

    Parameters
    ----------
    trace : the animation's steps (``conv_engine.trace(spec, x, w)``), at most
        :data:`~conv_engine.limits.MAX_PLAYER_STEPS`
    style : how it is drawn (the player passes :func:`player_style`)
    numerical : flat view with numbers, by default ``trace.spec.numerical``

    Returns
    -------
    PlayerData with one step per output cell (row-major). Input cells are the real input
    cells (``in_cells[j] = divmod(j, W_in)``), drawn at grid cell
    ``(layout.rows[r], layout.cols[c])``; step ``i`` reads the taps of
    ``window_in(layout, *divmod(i, W_out))`` that fall on one.
    """
    require(trace, Trace, "trace")
    spec, layout = trace.spec, trace.layout
    _check_steps(spec.steps, "trace")
    anim = animation(trace, style, numerical)
    g = anim.geometry
    ho, wo = spec.output_shape
    ih, iw = spec.input_size
    # The one geometry function, once per output row and column: the taps are their outer
    # product, so (row, col) windows give every step's taps.
    tap_rows = np.stack([window_in(layout, r, 0)[0] for r in range(ho)])  # (ho, kh)
    tap_cols = np.stack([window_in(layout, 0, c)[1] for c in range(wo)])  # (wo, kw)
    row_of = np.full(layout.shape[0], -1)
    row_of[layout.rows] = np.arange(ih)
    col_of = np.full(layout.shape[1], -1)
    col_of[layout.cols] = np.arange(iw)
    ir = row_of[tap_rows][:, None, :, None]  # (ho, 1, kh, 1): input row under each tap
    ic = col_of[tap_cols][None, :, None, :]  # (1, wo, 1, kw)
    real = (ir >= 0) & (ic >= 0)
    ids = np.where(real, ir * iw + ic, -1).reshape(ho * wo, -1)
    reads = tuple(row[row >= 0] for row in ids)

    out_cells = np.stack(np.divmod(np.arange(ho * wo), wo), axis=1)
    r, c = out_cells[:, 0], out_cells[:, 1]
    out_polys = g.quad("output", r, c, r + 1, c + 1)[:, None]
    in_cells = np.stack(np.divmod(np.arange(ih * iw), iw), axis=1)
    gr, gc = layout.rows[in_cells[:, 0]], layout.cols[in_cells[:, 1]]
    in_polys = g.quad("grid", gr, gc, gr + 1, gc + 1)[:, None]

    background, overlays = _frames(anim)
    captions = tuple(step_caption(trace, i, numerical=anim.numerical)
                     for i in range(spec.steps))
    return PlayerData("arithmetic", tuple(g.size), background, overlays, captions, out_cells,
                      out_polys, in_cells, in_polys, reads, _reverse(reads, ih * iw),
                      anim.number_px, ("input", "output"))


def depth_player_data(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    numerical: bool = False,
    style: Style | None = None,
    channel_names: Sequence[str] | None = None,
    tint: bool = False,
    numerical_captions: bool | None = None,
) -> PlayerData:
    """The player's data for the 1x1 convolution through depth (:mod:`conv_engine.render.depth`).

    Parameters are those of :func:`~conv_engine.render.depth.depth_animation`: ``x`` (C_in, H, W),
    ``w`` (C_out, C_in), ``b`` (C_out,) or None; ``numerical_captions`` writes each step's
    sums in its caption (by default, as the drawing: ``numerical``). One step per pixel
    (row-major); step ``i`` reads input pixel ``divmod(i, W)`` through all C_in sheets and
    writes output pixel ``divmod(i, W)`` of all C_out sheets. Cells are pixels; each has a
    polygon per sheet.
    """
    anim = depth_animation(x, w, b, numerical=numerical, style=style,
                           channel_names=channel_names, tint=tint)
    g = anim.geometry
    n = g.h * g.w
    _check_steps(n, "x")
    cells = np.stack(np.divmod(np.arange(n), g.w), axis=1)
    r, c = cells[:, 0:1], cells[:, 1:2]
    corner_r = np.concatenate([r, r, r + 1, r + 1], axis=1)  # (n, 4): the quad's order
    corner_c = np.concatenate([c, c + 1, c + 1, c], axis=1)

    def polys(stack: str, sheets: int) -> np.ndarray:
        return np.stack([g.point(stack, k, corner_r, corner_c) for k in range(sheets)], axis=1)

    reads = tuple(np.array([i]) for i in range(n))
    background, overlays = _frames(anim)
    sums = numerical if numerical_captions is None else numerical_captions
    captions = tuple(depth_caption(anim.x, anim.w, anim.b, i, numerical=sums) for i in range(n))
    return PlayerData("depth", tuple(g.size), background, overlays, captions, cells,
                      polys("output", g.c_out), cells.copy(), polys("input", g.c_in), reads,
                      _reverse(reads, n), anim.number_px, ("input pixel", "output pixel"))


__all__ = [
    "Overlay",
    "PlayerData",
    "depth_player_data",
    "player_data",
    "player_style",
]
