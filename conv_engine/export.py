"""Animations as GIF bytes (one shared palette, no dithering, looping forever) and the gallery.

Frames are mapped to one palette that holds every flat colour of the style exactly, plus
the commonest anti-aliasing shades; any other edge shade goes to its nearest entry. Only the
patches that change from the static canvas are mapped again for each frame.
"""

from __future__ import annotations

import io
import os
import secrets
import struct
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from PIL import GifImagePlugin, Image

from .arithmetic import ConvSpec, require
from .presets import PRESETS
from .render import Animation, Style
from .render.style import RGB
from .trace import Trace, trace

DEFAULT_DURATION = 1000  # ms a frame, as in the guide
# GIF delays are whole hundredths of a second in 16 bits; browsers slow down anything
# faster than 20 ms to 100 ms.
MIN_DURATION, MAX_DURATION = 20, 655_350
MAX_SCALE = 8
# Colours of an animation's palette: the style's flat colours and the commonest edge shades.
# Fewer shades make runs that compress better; 31 keep edges smooth (32 with transparency).
_DRAWING_COLORS = 31
# Colours of any other frames' palette: all a GIF holds but the transparent slot.
_GIF_COLORS = 255


def _key(im: Image.Image | np.ndarray) -> np.ndarray:
    """(H, W) uint32 colour keys ``r | g << 8 | b << 16`` of an image or (H, W, 3) array."""
    a = np.asarray(im.convert("RGB")) if isinstance(im, Image.Image) else np.asarray(im)
    u = np.uint32
    return a[..., 0].astype(u) | a[..., 1].astype(u) << 8 | a[..., 2].astype(u) << 16


class _Palette:
    """A fixed palette of at most ``size`` colours and an exact lookup from colour to index.

    The ``must`` colours come first. The rest are the commonest colours of ``samples``
    (drawings: flat colours and their edge shades) or, with ``spread``, those of Pillow's
    fast octree quantizer (colour maps, photographs and drawings tinted by data, whose
    colours spread over the cube; faster than a median cut, with a smaller largest error).
    """

    def __init__(self, must: Sequence[RGB], samples: Iterable[Image.Image], size: int,
                 spread: bool = False) -> None:
        samples = [im.convert("RGB") for im in samples]
        colors = list(dict.fromkeys(tuple(int(v) for v in c) for c in must))[:size]
        room = size - len(colors)
        if spread and room > 0:
            montage = Image.new("RGB", (max(im.width for im in samples),
                                        sum(im.height for im in samples)))
            y = 0
            for im in samples:
                montage.paste(im, (0, y))
                y += im.height
            few = montage.getcolors(room)  # None when there are more colours than room
            if few is None:
                q = montage.quantize(room, method=Image.Quantize.FASTOCTREE,
                                     dither=Image.Dither.NONE)
                pal = q.getpalette()[:3 * room]
                found = [tuple(pal[i:i + 3]) for i in range(0, len(pal), 3)]
            else:
                found = [rgb for _, rgb in few]
        else:
            counts: dict[tuple, int] = {}
            for im in samples:
                for n, rgb in im.getcolors(im.width * im.height) or ():
                    counts[rgb] = counts.get(rgb, 0) + n
            found = [rgb for rgb, _ in sorted(counts.items(), key=lambda kv: -kv[1])]
        chosen = set(colors)
        for rgb in found:
            if len(colors) >= size:
                break
            if rgb not in chosen:
                colors.append(rgb)
                chosen.add(rgb)
        self.colors = np.array(colors, dtype=np.int32).reshape(-1, 3)
        # 16 MB table indexed by colour key: 0 = not looked up yet, else index + 1. The
        # zero page mapping makes untouched parts free.
        self._lut = np.zeros(1 << 24, dtype=np.uint8)
        keys = self.colors[:, 0] | self.colors[:, 1] << 8 | self.colors[:, 2] << 16
        self._lut[keys] = np.arange(1, len(colors) + 1, dtype=np.uint8)

    def index(self, im: Image.Image | np.ndarray) -> np.ndarray:
        """(H, W) uint8 palette indices: exact for palette colours, else the nearest one."""
        return self.lookup(_key(im))

    def lookup(self, key: np.ndarray) -> np.ndarray:
        """Palette indices of colour keys (see :func:`_key`), any shape."""
        idx = self._lut[key]
        miss = idx == 0
        if miss.any():
            new = np.unique(key[miss])
            for i in range(0, len(new), 4096):  # bounded memory for photographs
                part = new[i:i + 4096]
                rgb = np.stack([part & 255, (part >> 8) & 255, part >> 16], 1).astype(np.int32)
                d = ((rgb[:, None, :] - self.colors[None]) ** 2).sum(axis=2)
                self._lut[part] = (d.argmin(axis=1) + 1).astype(np.uint8)
            idx = self._lut[key]
        return idx - 1

    def rgb_bytes(self) -> bytes:
        return self.colors.astype(np.uint8).tobytes()


def _check(duration: float, scale: int) -> int:
    """Duration rounded to the GIF's 10 ms, after checking both arguments."""
    if isinstance(duration, bool) or not isinstance(duration, Real) or not (
        MIN_DURATION <= duration <= MAX_DURATION
    ):
        raise ValueError(
            f"duration must be from {MIN_DURATION} to {MAX_DURATION} ms, got {duration!r}"
        )
    if isinstance(scale, bool) or not isinstance(scale, Integral) or not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be an integer from 1 to {MAX_SCALE}, got {scale!r}")
    return int(round(duration / 10)) * 10


def _encode(indexed: Iterable[np.ndarray], palette: _Palette, duration: int, scale: int) -> bytes:
    """Palette-index frames (H, W) -> GIF bytes (infinite loop, ``duration`` ms a frame).

    Each frame after the first stores only the box that changed, with unchanged pixels
    transparent (long runs of one index compress well), over the previous one (disposal 1).
    Identical consecutive frames merge, their durations adding up. Pillow compresses each
    box (``GifImagePlugin.getdata``); the container is written here, which spares Pillow's
    per-frame palette remapping and full-frame comparisons.
    """
    scale = int(scale)  # a numpy integer passes _check, but Pillow writes offsets of ints only
    clear = len(palette.colors)  # the free slot after the colours
    parts: list[list] = []  # [offset, pixels, duration, transparent]
    prev = None
    for idx in indexed:
        if prev is None:
            parts.append([(0, 0), idx, duration, False])
        else:
            diff = idx != prev
            rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
            if rows.size == 0:
                if parts[-1][2] + duration <= MAX_DURATION:
                    parts[-1][2] += duration
                else:  # too long for one delay: a frame that changes nothing
                    parts.append([(0, 0), np.full((1, 1), clear, np.uint8), duration, True])
                continue
            box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            parts.append([(int(cols[0]), int(rows[0])), np.where(diff[box], idx[box], clear),
                          duration, True])
        prev = idx
    if not parts:
        raise ValueError("an animation needs at least one frame")
    h, w = parts[0][1].shape
    bits = max(1, clear.bit_length())  # table of 2**bits >= colours + the transparent slot
    table = palette.rgb_bytes().ljust(3 << bits, b"\0")
    out = [b"GIF89a", struct.pack("<HHBBB", w * scale, h * scale, 0x80 | (bits - 1) << 4 |
                                  (bits - 1), 0, 0), table,
           b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"]  # loop forever
    for (x, y), px, dur, transparent in parts:
        if scale > 1:  # nearest neighbour: cells stay crisp when shown large
            px = np.repeat(np.repeat(px, scale, axis=0), scale, axis=1)
        im = Image.frombytes("P", (px.shape[1], px.shape[0]), np.ascontiguousarray(px, np.uint8))
        info = {"duration": dur, "disposal": 1}
        if transparent:
            info["transparency"] = clear
        out.extend(GifImagePlugin.getdata(im, (x * scale, y * scale), **info))
    out.append(b";")
    return b"".join(out)


def gif_bytes(frames: Sequence[Image.Image], duration: float = DEFAULT_DURATION, *,
              scale: int = 1, colors: Sequence[RGB] = ()) -> bytes:
    """Frames -> GIF bytes with one shared palette, no dithering, looping forever.

    Parameters
    ----------
    frames : RGB images, all of one size (W, H)
    duration : ms each frame is shown (stored in hundredths of a second)
    scale : integer nearest-neighbour upscaling, so browsers showing it large stay crisp
    colors : colours to keep exact; the palette adds a quantization of the frames' colours
        (255 in all, taken from the first, middle and last frames)

    Returns
    -------
    bytes of a GIF of size (W * scale, H * scale). Identical consecutive frames merge into
    one (as Pillow does), adding their durations: the total is ``len(frames) * duration``.
    """
    d = _check(duration, scale)
    if isinstance(frames, str | bytes | Image.Image) or not isinstance(frames, Iterable):
        raise ValueError(f"frames must be a sequence of images, got {type(frames).__name__}")
    frames = list(frames)
    if not frames:
        raise ValueError("an animation needs at least one frame")
    bad = [type(im).__name__ for im in frames if not isinstance(im, Image.Image)]
    if bad:
        raise ValueError(f"frames must be PIL images, got {bad[0]}")
    sizes = {im.size for im in frames}
    if len(sizes) != 1:
        raise ValueError(f"frames must all have one size, got {sorted(sizes)}")
    samples = [frames[0], frames[len(frames) // 2], frames[-1]]
    palette = _Palette(colors, samples, _GIF_COLORS, spread=True)
    return _encode((palette.index(im) for im in frames), palette, d, scale)


def png_bytes(img: Image.Image) -> bytes:
    """An image as PNG bytes, with fast deflate: 3x faster than Pillow's default level on a
    grid of feature maps, for files about 15 % larger."""
    require(img, Image.Image, "img")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def animation_gif(anim: Animation, duration: float = DEFAULT_DURATION, *, scale: int = 1,
                  colors: Sequence[RGB] = ()) -> bytes:
    """An :class:`~conv_engine.render.Animation` (or any drawing with ``static``, ``colors``
    and ``patch_arrays``, like the depth view) as GIF bytes (see :func:`gif_bytes`).
    ``colors`` are kept exact besides the style's flat colours; a drawing that needs them
    (tinted by data) gets the full 255-colour palette for its many edge shades.

    Faster than drawing every frame: the static canvas is mapped to the palette once and
    each frame maps only its patches.
    """
    d = _check(duration, scale)
    n = len(anim)
    # Palette samples: the static canvas and what two frames change.
    moving = [Image.fromarray(px) for i in sorted({0, n // 2})
              for _, px in anim.patch_arrays(i)]
    # Colours tinted by data spread over the cube: a quantizer places the spare slots.
    palette = _Palette([*anim.colors.flat(), *colors], [anim.static, *moving],
                       _GIF_COLORS if colors else _DRAWING_COLORS, spread=bool(colors))
    static = _key(anim.static)
    base = palette.lookup(static)

    def frames():
        for i in range(n):
            idx = base.copy()
            for (x0, y0, x1, y1), patch in anim.patch_arrays(i):
                # Only pixels that differ from the static canvas need a look-up.
                key = _key(patch)
                changed = key != static[y0:y1, x0:x1]
                idx[y0:y1, x0:x1][changed] = palette.lookup(key[changed])
            yield idx

    return _encode(frames(), palette, d, scale)


def trace_to_gif(t: Trace, *, style: Style | None = None, numerical: bool | None = None,
                 duration: float = DEFAULT_DURATION, scale: int = 1) -> bytes:
    """GIF bytes of a trace's animation, one frame per output cell (see :func:`gif_bytes`)."""
    require(t, Trace, "t")
    _check_style(style)
    return animation_gif(Animation(t, style, numerical), duration, scale=scale)


def _check_style(style: object) -> None:
    if style is not None:
        require(style, Style, "style")


def spec_to_gif(spec: ConvSpec, x: np.ndarray | None = None, w: np.ndarray | None = None, *,
                style: Style | None = None, numerical: bool | None = None,
                duration: float = DEFAULT_DURATION, scale: int = 1) -> bytes:
    """GIF bytes of ``spec`` on input ``x`` (H, W) and kernel ``w`` (kH, kW).

    Data default to the spec's own or the guide's random integers; ``numerical`` defaults to
    ``spec.numerical``. One frame per output cell, ``duration`` ms each, looping forever.
    """
    _check(duration, scale)  # fail before any drawing
    _check_style(style)
    return trace_to_gif(trace(spec, x, w), style=style, numerical=numerical, duration=duration,
                        scale=scale)


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed into
    place: a failure never leaves a partial file behind."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    # os.open applies the user's umask, as a plain open() of the file would.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _preset_gif(name: str, style: Style | None, duration: float, scale: int) -> bytes:
    """One preset's GIF (a top-level function, so worker processes can run it)."""
    return spec_to_gif(PRESETS[name], style=style, duration=duration, scale=scale)


def default_jobs() -> int:
    """Worker processes for a gallery: one per CPU, at most 4 (19 small GIFs gain no more)."""
    return max(1, min(4, os.cpu_count() or 1))


def write_gallery(out_dir: str | os.PathLike, *, style: Style | None = None,
                  duration: float = DEFAULT_DURATION, scale: int = 1,
                  names: Sequence[str] | None = None,
                  progress: Callable[[int, int, str, int], None] | None = None,
                  jobs: int = 1) -> list[Path]:
    """Write the guide's animations as ``out_dir/<preset name>.gif``.

    ``names`` defaults to all of :data:`~conv_engine.PRESETS`; ``progress(i, n, name, size)``
    is called after each file, in order (1-based ``i``, ``size`` in bytes); ``jobs`` > 1
    draws that many GIFs at once in worker processes. Returns the paths written.
    """
    _check(duration, scale)
    if isinstance(jobs, bool) or not isinstance(jobs, Integral) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    names = list(PRESETS) if names is None else list(names)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise ValueError(f"unknown preset {unknown[0]!r}; choose from {', '.join(PRESETS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    args = (names, [style] * len(names), [duration] * len(names), [scale] * len(names))
    with ProcessPoolExecutor(min(jobs, len(names))) if jobs > 1 else nullcontext() as pool:
        gifs = pool.map(_preset_gif, *args) if pool is not None else map(_preset_gif, *args)
        written = []
        for i, (name, data) in enumerate(zip(names, gifs, strict=True), 1):
            written.append(write_atomic(out / f"{name}.gif", data))
            if progress is not None:
                progress(i, len(names), name, len(data))
    return written


__all__ = [
    "DEFAULT_DURATION",
    "animation_gif",
    "default_jobs",
    "gif_bytes",
    "png_bytes",
    "spec_to_gif",
    "trace_to_gif",
    "write_atomic",
    "write_gallery",
]
