"""Animations as GIF and MP4 bytes, stills as PNG bytes, and the gallery.

GIF: frames are mapped to one palette that holds every flat colour of the style exactly,
plus the commonest anti-aliasing shades; any other edge shade goes to its nearest entry (no
dithering). Only the patches that change from the static canvas are mapped again for each
frame. Pillow's GIF writer (``save_all``) then stores each frame as the box that changed,
unchanged pixels transparent, and merges identical consecutive frames.

Pillow is called directly rather than through imageio's Pillow plugin: that plugin makes each
frame from a bare array, so indexed frames reach Pillow without their palette and Pillow maps
every frame's colours again (right only because an empty palette falls back to the identity,
and about 40 ms a frame for 256 colours). Frames made here carry the palette, so that mapping
is the identity and cheap.

MP4: H.264 in yuv420p (what browsers, phones and slide software play) through imageio's
ffmpeg plugin; the imageio-ffmpeg package ships the ffmpeg binary in its wheel.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from .arithmetic import ConvSpec
from .checks import ParameterError, integer, is_integer, real, require
from .limits import MAX_CANVAS_SIDE, MAX_EXPORT_SCALE, MAX_FRAME_DURATION, MIN_FRAME_DURATION
from .presets import PRESETS
from .render import DEFAULT_STYLE, Animation, Style
from .render.depth import depth_animation
from .render.style import RGB
from .traces import Trace, trace

DEFAULT_DURATION = 1000  # ms a frame, as in the guide
# What a gallery or an animation can be written as.
ANIMATION_FORMATS = ("gif", "mp4")
# Colours of an animation's palette: the style's flat colours and the commonest edge shades.
# Fewer shades make runs that compress better; 31 keep edges smooth (32 with transparency).
_DRAWING_COLORS = 31
# Colours of any other frames' palette: all a GIF holds but the transparent slot.
_GIF_COLORS = 255
# ffmpeg output options of the MP4s (H.264, yuv420p and the frame rate are set apart).
# Quality is x264's default constant rate factor (23): against 18, files are ~20 % smaller
# and the mean error grows by under 0.1 level (the 2x2 chroma blocks dominate it).
_MP4_OPTIONS = (
    "-tune", "animation",  # flat colours and sharp edges, as in cartoons
    "-movflags", "+faststart",  # the index first: a browser starts playing before the end
    # Convert to YUV with the BT.709 matrix and say so in the file: untagged video is read
    # as BT.601 by some players and BT.709 by others, which shifts the colours. (setparams
    # tags the frames; ffmpeg's -color_* output options alone leave primaries unknown.)
    "-vf", "scale=out_color_matrix=bt709:out_range=tv,"
           "setparams=range=tv:colorspace=bt709:color_primaries=bt709:color_trc=bt709",
)


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


def _check_scale(scale: int) -> None:
    """An integer upscaling from 1 to MAX_EXPORT_SCALE."""
    integer(scale, "scale", f"an integer from 1 to {MAX_EXPORT_SCALE}",
            lambda n: 1 <= n <= MAX_EXPORT_SCALE)


def _check(duration: float, scale: int) -> int:
    """Duration rounded to the GIF's 10 ms, after checking both arguments."""
    real(duration, "duration", f"from {MIN_FRAME_DURATION} to {MAX_FRAME_DURATION} ms",
         lambda ms: MIN_FRAME_DURATION <= ms <= MAX_FRAME_DURATION)
    _check_scale(scale)
    return int(round(duration / 10)) * 10


def _check_format(format: str) -> str:
    """One of ANIMATION_FORMATS (listed bare in the message: they are file extensions)."""
    if format not in ANIMATION_FORMATS:
        raise ParameterError("format", f"format must be one of {', '.join(ANIMATION_FORMATS)}, "
                                       f"got {format!r}")
    return format


def _write_gif(indexed: Iterable[np.ndarray], palette: _Palette, duration: int,
               scale: int) -> bytes:
    """Palette-index frames (H, W) -> GIF bytes (infinite loop, ``duration`` ms a frame).

    Identical consecutive frames merge, their durations adding up (Pillow does it), except
    where the sum would pass the longest delay a GIF can hold.
    """
    scale = int(scale)  # a numpy integer passes _check, but Pillow sizes must be ints
    clear = len(palette.colors)  # the free slot after the colours: "unchanged" pixels
    table = palette.rgb_bytes() + bytes(3)  # the slot needs an entry; it is never shown

    def images() -> Iterator[Image.Image]:
        prev, run = None, 0
        for idx in indexed:
            run += duration
            if prev is None or not np.array_equal(idx, prev):
                run = duration
            elif run > MAX_FRAME_DURATION:
                # Pillow would merge this frame past 16 bits of hundredths: one pixel set to
                # the transparent slot makes it differ, yet it shows the same picture.
                idx = idx.copy()
                idx[0, 0] = clear
                run = duration
            prev = idx
            h, w = idx.shape
            # Each frame carries the palette, so Pillow's colour matching is the identity.
            im = Image.frombytes("P", (w, h), np.ascontiguousarray(idx, np.uint8))
            im.putpalette(table)
            if scale > 1:  # nearest neighbour: cells stay crisp when shown large
                im = im.resize((w * scale, h * scale), Image.Resampling.NEAREST)
            yield im

    frames = images()
    first = next(frames, None)
    if first is None:
        raise ParameterError("frames", "an animation needs at least one frame")
    buf = io.BytesIO()
    # One global palette (no local tables); disposal 1 keeps each frame under the next, and
    # optimize with a transparency index makes Pillow store each frame as the box that
    # changed, its unchanged pixels transparent (long runs of one index compress well).
    first.save(buf, format="GIF", save_all=True, append_images=frames, palette=table,
               duration=duration, loop=0, disposal=1, optimize=True, transparency=clear)
    return buf.getvalue()


def _write_mp4(frames: Iterable[np.ndarray], duration: int, scale: int, fill: RGB) -> bytes:
    """RGB frames (H, W, 3) uint8 -> MP4 bytes: H.264, yuv420p, ``duration`` ms a frame."""
    # imageio takes a tenth of a second to import: only MP4 export pays it.
    import imageio.v3 as iio

    def even() -> Iterator[np.ndarray]:
        for f in frames:
            if scale > 1:
                f = f.repeat(scale, axis=0).repeat(scale, axis=1)
            h, w = f.shape[:2]
            size = mp4_size((w, h))
            if size != (w, h):
                # Pad with the background (stretching would blur every line).
                padded = np.empty((size[1], size[0], 3), np.uint8)
                padded[...] = fill
                padded[:h, :w] = f
                f = padded
            yield f

    # A generator with is_batch=True streams the frames to ffmpeg: a long animation never
    # holds all its frames at once. fps = 1000 / duration as an exact fraction, so a frame is
    # shown exactly ``duration`` ms however long.
    return iio.imwrite("<bytes>", even(), extension=".mp4", plugin="FFMPEG", is_batch=True,
                       fps=Fraction(1000, duration), codec="libx264", pixelformat="yuv420p",
                       quality=None, macro_block_size=1, ffmpeg_log_level="error",
                       output_params=list(_MP4_OPTIONS))


def mp4_size(size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the MP4 frames of a drawing of ``size`` (width, height) px: rounded
    up to even sides, as H.264 in yuv420p (one colour per 2x2 block) needs."""
    if not isinstance(size, tuple) or len(size) != 2 or not all(
            is_integer(v) and v >= 1 for v in size):
        raise ParameterError(
            "size", f"size must be a (width, height) tuple of integers >= 1, got {size!r}"
        )
    w, h = size
    return w + w % 2, h + h % 2


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
        raise ParameterError(
            "frames", f"frames must be a sequence of images, got {type(frames).__name__}"
        )
    frames = list(frames)
    if not frames:
        raise ParameterError("frames", "an animation needs at least one frame")
    bad = [type(im).__name__ for im in frames if not isinstance(im, Image.Image)]
    if bad:
        raise ParameterError("frames", f"frames must be PIL images, got {bad[0]}")
    sizes = {im.size for im in frames}
    if len(sizes) != 1:
        raise ParameterError("frames", f"frames must all have one size, got {sorted(sizes)}")
    samples = [frames[0], frames[len(frames) // 2], frames[-1]]
    palette = _Palette(colors, samples, _GIF_COLORS, spread=True)
    return _write_gif((palette.index(im) for im in frames), palette, d, scale)


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

    return _write_gif(frames(), palette, d, scale)


def animation_mp4(anim: Animation, duration: float = DEFAULT_DURATION, *,
                  scale: int = 1) -> bytes:
    """An :class:`~conv_engine.render.Animation` (or any drawing with ``static``, ``colors``
    and ``patch_arrays``, like the depth view) as MP4 bytes, for slides and video players.

    Parameters
    ----------
    anim : the drawing; one video frame per step
    duration : ms each frame is shown, as for :func:`gif_bytes` (rounded to 10 ms, so the
        GIF and the MP4 of one case last the same); the frame rate is ``1000 / duration``
    scale : integer nearest-neighbour upscaling (draw with :func:`scaled_style` instead for
        sharp lines and text at a larger size)

    Returns
    -------
    bytes of an MP4 (H.264, yuv420p, BT.709) of ``len(anim)`` frames lasting
    ``len(anim) * duration`` ms in all, of size ``mp4_size((W * scale, H * scale))`` (even
    sides: padded at the right and bottom with the background colour). It plays once:
    looping is up to the player (``<video loop>``).
    """
    d = _check(duration, scale)
    static = np.asarray(anim.static.convert("RGB"))

    def frames() -> Iterator[np.ndarray]:
        for i in range(len(anim)):
            f = static.copy()
            for (x0, y0, x1, y1), patch in anim.patch_arrays(i):
                f[y0:y1, x0:x1] = np.asarray(patch)[..., :3]
            yield f

    return _write_mp4(frames(), d, int(scale), anim.colors.background)


def scaled_style(style: Style | None, scale: int) -> Style:
    """``style`` drawn ``scale`` times larger: cells, lines and text are redrawn at that
    size, so edges stay sharp (unlike enlarging the pixels of a small drawing).

    Parameters
    ----------
    style : the style to enlarge; None means the default style
    scale : integer from 1 to ``MAX_EXPORT_SCALE``

    Returns
    -------
    A :class:`~conv_engine.render.Style` whose cell sizes and canvas limit are ``scale``
    times the style's; the limit stops at the renderer's largest canvas (4000 px a side),
    where a large case's cells shrink to fit instead.
    """
    _check_scale(scale)
    style = DEFAULT_STYLE if style is None else style
    require(style, Style, "style")
    scale = int(scale)
    return replace(style, cell=style.cell * scale, numerical_cell=style.numerical_cell * scale,
                   max_size=min(style.max_size * scale, max(style.max_size, MAX_CANVAS_SIDE)))


def trace_to_gif(t: Trace, *, style: Style | None = None, numerical: bool | None = None,
                 duration: float = DEFAULT_DURATION, scale: int = 1) -> bytes:
    """GIF bytes of a trace's animation, one frame per output cell (see :func:`gif_bytes`)."""
    require(t, Trace, "t")
    _check_style(style)
    return animation_gif(Animation(t, style, numerical), duration, scale=scale)


def trace_to_mp4(t: Trace, *, style: Style | None = None, numerical: bool | None = None,
                 duration: float = DEFAULT_DURATION, scale: int = 1) -> bytes:
    """MP4 bytes of a trace's animation, one frame per output cell (see
    :func:`animation_mp4`)."""
    require(t, Trace, "t")
    _check_style(style)
    _check(duration, scale)  # fail before any drawing
    return animation_mp4(Animation(t, style, numerical), duration, scale=scale)


def depth_gif(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    duration: float = 1000,
    scale: int = 1,
    numerical: bool = False,
    style: Style | None = None,
    channel_names: tuple[str, ...] | list[str] | None = None,
    tint: bool = False,
) -> bytes:
    """:func:`depth_frames` as GIF bytes: ``duration`` ms a frame, looping forever, one
    shared palette without dithering (the style's flat colours kept exact).

    ``scale`` upscales nearest-neighbour, for browsers that show the GIF large.
    """
    anim = depth_animation(x, w, b, numerical=numerical, style=style,
                           channel_names=channel_names, tint=tint)
    return animation_gif(anim, duration, scale=scale, colors=anim.shade_colors)


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


def spec_to_mp4(spec: ConvSpec, x: np.ndarray | None = None, w: np.ndarray | None = None, *,
                style: Style | None = None, numerical: bool | None = None,
                duration: float = DEFAULT_DURATION, scale: int = 1) -> bytes:
    """MP4 bytes of ``spec`` on input ``x`` (H, W) and kernel ``w`` (kH, kW), as
    :func:`spec_to_gif` draws them (see :func:`animation_mp4` for the video)."""
    _check(duration, scale)  # fail before any drawing
    _check_style(style)
    return trace_to_mp4(trace(spec, x, w), style=style, numerical=numerical, duration=duration,
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


# Writers of one preset by format (top-level functions, so worker processes can run them).
_SPEC_WRITERS = {"gif": spec_to_gif, "mp4": spec_to_mp4}


def _preset_file(name: str, format: str, style: Style | None, duration: float,
                 scale: int) -> bytes:
    """One preset's animation as ``format`` bytes."""
    return _SPEC_WRITERS[format](PRESETS[name], style=style, duration=duration, scale=scale)


def default_jobs() -> int:
    """Worker processes for a gallery: one per CPU, at most 4 (19 small files gain no more)."""
    return max(1, min(4, os.cpu_count() or 1))


def write_gallery(out_dir: str | os.PathLike, *, style: Style | None = None,
                  duration: float = DEFAULT_DURATION, scale: int = 1,
                  names: Sequence[str] | None = None,
                  progress: Callable[[int, int, str, int], None] | None = None,
                  jobs: int = 1, format: str = "gif") -> list[Path]:
    """Write the guide's animations as ``out_dir/<preset name>.<format>``.

    Parameters
    ----------
    out_dir : folder to write into (created if missing)
    style, duration, scale : as for :func:`spec_to_gif`
    names : presets to write; by default all of :data:`~conv_engine.PRESETS`
    progress : ``progress(i, n, name, size)`` is called after each file, in order (1-based
        ``i``, ``size`` in bytes)
    jobs : > 1 draws that many files at once in worker processes
    format : one of ``ANIMATION_FORMATS``: "gif" (looping) or "mp4" (H.264)

    Returns
    -------
    The paths written, in the order of ``names``. Each file is written whole or not at all.
    """
    _check(duration, scale)
    _check_format(format)
    _check_style(style)
    integer(jobs, "jobs", "an integer >= 1", lambda n: n >= 1)
    names = list(PRESETS) if names is None else list(names)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise ParameterError(
            "names", f"unknown preset {unknown[0]!r}; choose from {', '.join(PRESETS)}"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = len(names)
    args = (names, [format] * n, [style] * n, [duration] * n, [scale] * n)
    with ProcessPoolExecutor(min(jobs, n)) if jobs > 1 and n else nullcontext() as pool:
        files = pool.map(_preset_file, *args) if pool is not None else map(_preset_file, *args)
        written = []
        for i, (name, data) in enumerate(zip(names, files, strict=True), 1):
            written.append(write_atomic(out / f"{name}.{format}", data))
            if progress is not None:
                progress(i, n, name, len(data))
    return written


__all__ = [
    "ANIMATION_FORMATS",
    "DEFAULT_DURATION",
    "animation_gif",
    "animation_mp4",
    "default_jobs",
    "depth_gif",
    "gif_bytes",
    "mp4_size",
    "png_bytes",
    "scaled_style",
    "spec_to_gif",
    "spec_to_mp4",
    "trace_to_gif",
    "trace_to_mp4",
    "write_atomic",
    "write_gallery",
]
