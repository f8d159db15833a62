"""Safe, in-memory decoding of user images and the bundled samples, to (H, W, 3) uint8 RGB.

Uploaded bytes are decoded from memory only (never written to disk), by an allow-list of
Pillow decoders, after checking the pixel count in the header and before any pixel data is
decoded. Anything that cannot be turned into a picture raises one exception type,
:class:`ImageError`, whose message can be shown to the user as it is; a bad argument (not the
bytes' fault) raises a :class:`~conv_engine.checks.ParameterError` naming it. The pixel limits
are in :mod:`conv_engine.limits`.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType

import numpy as np
from PIL import ExifTags, Image

from .checks import ParameterError, at_least
from .limits import MAX_FRAME_COUNT_BYTES, MAX_FULL_DECODE_PIXELS, MAX_PIXELS, WORK_SIDE

# Pillow format names of the only decoders we let near user bytes.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
# File extensions for an upload widget's type filter (it only looks at the name).
EXTENSIONS = ("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff")

NOT_AN_IMAGE = "This file is not an image we can read (PNG, JPEG, WebP, BMP, GIF or TIFF)."
CORRUPT = "The image is truncated or corrupt."
EMPTY = "The file is empty."
GREYSCALE = "Greyscale image: its red, green and blue channels are equal."
FLATTENED = "Transparency flattened onto white."
SIXTEEN_BIT = "16-bit image converted to 8-bit."
CMYK = "CMYK image converted to RGB (colours are approximate)."

# 16-bit data reaching at least this value are taken to use the full 0..65535 scale;
# lower maxima (10- or 12-bit sensors, 8-bit data stored as 16) are stretched to be visible.
_FULL_SCALE_16_MIN = 4096

# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# The samples ship inside the package (credited in samples/README.md), so an installed copy
# has them too; importlib.resources finds them wherever the package lives.
ASSETS: Traversable = files(__package__) / "samples"
SAMPLES: Mapping[str, Traversable] = MappingProxyType(
    {
        "Coffee cup": ASSETS / "coffee.jpg",
        "Chelsea the cat": ASSETS / "chelsea.jpg",
        "Astronaut Eileen Collins": ASSETS / "astronaut.jpg",
        "Test pattern": ASSETS / "test_pattern.png",
    }
)


class ImageError(ValueError):
    """The bytes are not an image we can use; ``str(err)`` is a message for the user."""


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded image at working size, with what was done to it.

    Attributes
    ----------
    rgb : numpy.ndarray
        (H, W, 3) uint8, read-only, upright (EXIF orientation applied), at working size.
    original_size : tuple of int
        (width, height) of the full-size image in the file, upright.
    working_size : tuple of int
        (width, height) of ``rgb``: the original, downscaled so its longest side is at most
        the ``work_side`` asked for.
    notes : tuple of str
        Sentences for the user about conversions made (first frame used, downscaled,
        transparency flattened, bit depth reduced, ...); empty when nothing was changed.
    format : str
        The decoder used: one of :data:`FORMATS`.
    """

    rgb: np.ndarray
    original_size: tuple[int, int]
    working_size: tuple[int, int]
    notes: tuple[str, ...]
    format: str


def _megapixels(n: float) -> str:
    """A pixel count in megapixels, short: 50_000_000 -> '50', 2_860_000_000 -> '2,860'."""
    mp = n / 1e6
    return f"{mp:,.0f}" if mp >= 100 else f"{mp:.3g}"


def _limits(max_pixels: int) -> str:
    """The pixel limits in force, for a message: one number, or JPEG's and the others'."""
    full = min(max_pixels, MAX_FULL_DECODE_PIXELS)
    if full == max_pixels:
        return f"limit {_megapixels(max_pixels)} megapixels"
    return (f"limit {_megapixels(max_pixels)} megapixels for JPEG, {_megapixels(full)} for "
            "other formats")


def _too_large(size: tuple[int, int], max_pixels: int) -> str:
    """The user message for an image over the pixel cap; ``size`` is (width, height)."""
    w, h = size
    return (f"The image is too large: {h} x {w} pixels (height x width; "
            f"{_limits(max_pixels)}).")


def _bomb_message(err: Exception, max_pixels: int) -> str:
    """The user message for Pillow's own decompression-bomb refusal (size not exposed)."""
    m = re.search(r"\((\d+) pixels\)", str(err))
    if m is None:
        return f"The image is too large ({_limits(max_pixels)})."
    return (
        f"The image is too large: {_megapixels(int(m.group(1)))} megapixels "
        f"({_limits(max_pixels)})."
    )


def _has_signature(data: bytes | bytearray | memoryview) -> bool:
    """Whether the bytes start with the magic number of one of :data:`FORMATS`."""
    head = bytes(data[:16])
    return (
        head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a"))
        or head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"))  # TIFF, BigTIFF
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        # "BM" alone starts plenty of text; a BMP's reserved header bytes 6..9 are zero.
        or (head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00")
    )


def _rawmode(im: Image.Image) -> str:
    """The raw mode of the first tile to decode ('' when unknown or already loaded)."""
    if not im.tile:
        return ""
    args = im.tile[0].args
    if isinstance(args, str):
        return args
    return str(args[0]) if isinstance(args, tuple) and args else ""


def _frames_note(im: Image.Image, fmt: str, nbytes: int) -> str | None:
    """A note when the file holds several frames or pages (we use the first), else None."""
    try:
        if not getattr(im, "is_animated", False):
            return None
    except Exception:
        # A damaged second frame: frame 0 may still be fine, and is all we use.
        return None
    n: int | None = None
    if fmt in ("PNG", "WEBP", "JPEG") or nbytes <= MAX_FRAME_COUNT_BYTES:
        try:
            n = int(im.n_frames)
        except Exception:
            n = None
    if im.format == "MPO":
        return f"This JPEG holds {n or 'several'} pictures: using the first."
    if fmt == "TIFF":
        return "Multi-page TIFF: using the first page" + (f" of {n}." if n else ".")
    label = {"WEBP": "WebP"}.get(fmt, fmt)
    return f"Animated {label}: using the first frame" + (f" of {n}." if n else ".")


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1..8), 1 when absent or unreadable."""
    try:
        value = int(im.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:
        # Broken metadata should not cost the user their picture: show it as stored.
        return 1
    return value if value in _UPRIGHT else 1


def _to_working_mode(im: Image.Image, notes: list[str]) -> tuple[Image.Image, str]:
    """Convert to a mode that resizes well: one of RGB, RGBA, L, LA, I, F (the second value)."""
    mode = im.mode
    has_key = im.info.get("transparency") is not None
    if mode in ("P", "PA"):
        im = im.convert("RGBA" if mode == "PA" or has_key else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("L", "RGB") and has_key:
        # A colour-key transparency (PNG tRNS): make it an alpha channel to flatten later.
        im = im.convert("LA" if mode == "L" else "RGBA")
    elif mode in ("La", "RGBa"):
        im = im.convert(mode.upper())
    elif mode.startswith("I;16"):
        im = im.convert("I")
    elif mode == "CMYK":
        notes.append(CMYK)
        im = im.convert("RGB")
    elif mode not in ("RGB", "RGBA", "L", "LA", "I", "F"):
        try:
            im = im.convert("RGB")
        except ValueError:
            raise ImageError(f"Images in the {mode} colour mode are not supported.") from None
    return im, im.mode


def _scale_int(a: np.ndarray, lo: int, hi: int, sixteen: bool, notes: list[str]) -> np.ndarray:
    """Integer greyscale values (16- or 32-bit) to 0..255."""
    bits = "16-bit" if sixteen else "32-bit"
    if 0 <= lo and _FULL_SCALE_16_MIN <= hi <= 65535:
        notes.append(SIXTEEN_BIT if sixteen else f"{bits} image converted to 8-bit.")
        return np.rint(a / 257.0)
    notes.append(f"{bits} image converted to 8-bit, stretching its values {lo}..{hi} to 0..255.")
    return _stretch(a, lo, hi)


def _stretch(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map lo..hi linearly to 0..255 (a constant image maps to 0)."""
    if hi <= lo:
        return np.zeros_like(a, dtype=np.float64)
    return np.rint((a - lo) * (255.0 / (hi - lo)))


def _flatten_on_white(a: np.ndarray, notes: list[str]) -> np.ndarray:
    """(H, W, C+1) uint8 with alpha last -> (H, W, C) composited onto white."""
    colour = a[..., :-1].astype(np.uint32)
    alpha = a[..., -1:].astype(np.uint32)
    if int(alpha.min()) < 255:
        notes.append(FLATTENED)
    # Integer blend, rounded: colour * a + white * (1 - a).
    return (colour * alpha + 255 * (255 - alpha) + 127) // 255


def _checked_size(im: Image.Image, max_pixels: int) -> tuple[int, int]:
    """The (width, height) from the header, or ImageError if empty or over the cap of its
    format (JPEG decodes at reduced size; the others at full size, under a smaller cap)."""
    w, h = im.size
    if w < 1 or h < 1:
        raise ImageError(CORRUPT)
    cap = max_pixels if im.format in ("JPEG", "MPO") else min(max_pixels, MAX_FULL_DECODE_PIXELS)
    if w * h > cap:
        raise ImageError(_too_large((w, h), max_pixels))
    return w, h


def _decode(
    im: Image.Image, nbytes: int, max_pixels: int, work_side: int
) -> tuple[np.ndarray, tuple[int, int], list[str], str]:
    """The body of :func:`load_image` once Pillow has read the header."""
    w, h = _checked_size(im, max_pixels)
    fmt = "JPEG" if im.format == "MPO" else str(im.format)
    notes: list[str] = []
    frames = _frames_note(im, fmt, nbytes)
    if frames:
        notes.append(frames)
        im.seek(0)
        w, h = _checked_size(im, max_pixels)  # a TIFF's pages differ: check the one we use

    scale = min(1.0, work_side / max(w, h))
    target = (max(1, round(w * scale)), max(1, round(h * scale)))
    # The tile's raw mode tells 16-bit colour PNG/TIFF apart (Pillow keeps 8 bits of them);
    # it is gone once the pixels are loaded.
    sixteen = im.mode.startswith("I;16") or (fmt in ("PNG", "TIFF") and ";16" in _rawmode(im))
    if scale < 1.0 and fmt == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale (never below the target): a 12 MP photo
        # then costs a fraction of a full decode, in time and memory.
        im.draft(None, (math.ceil(w * scale), math.ceil(h * scale)))
    im.load()
    # After load: a PNG's EXIF may follow its pixel data, and getexif() would load it anyway.
    orientation = _orientation(im)
    turned = orientation >= 5  # orientations 5..8 swap width and height
    upright = (h, w) if turned else (w, h)
    if target != (w, h):
        shown = (target[1], target[0]) if turned else target
        notes.append(
            f"Downscaled from {upright[1]} x {upright[0]} to {shown[1]} x {shown[0]} pixels "
            "(height x width) for speed."
        )

    grey_source = im.mode in ("1", "L", "LA", "La", "I", "F") or im.mode.startswith("I;16")
    im, mode = _to_working_mode(im, notes)
    # Range of integer and float data, from the full image, before resampling can ring past it.
    lo = hi = None
    if mode in ("I", "F"):
        lo, hi = im.getextrema()
    if im.size != target:
        im = im.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation in _UPRIGHT:
        # Rotating after the downscale is the same picture and far cheaper than
        # ImageOps.exif_transpose on the full-size image.
        im = im.transpose(_UPRIGHT[orientation])

    if mode == "RGB":
        out = np.asarray(im)
    elif mode in ("RGBA", "LA"):
        out = _flatten_on_white(np.asarray(im), notes)
    elif mode == "L":
        out = np.asarray(im)[..., None]
    elif mode == "I":
        a = np.asarray(im, dtype=np.float64)
        out = _scale_int(a, int(lo), int(hi), sixteen, notes)[..., None]
        sixteen = False  # the note is written
    else:  # "F"
        a = np.asarray(im, dtype=np.float64)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            finite = a[np.isfinite(a)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        a = np.where(np.isfinite(a), a, lo)
        notes.append(
            f"Floating-point image converted to 8-bit, stretching its values "
            f"{lo:.4g}..{hi:.4g} to 0..255."
        )
        out = _stretch(a, lo, hi)[..., None]
    if sixteen:
        notes.append(SIXTEEN_BIT)
    if grey_source:
        notes.append(GREYSCALE)
    out = np.clip(out, 0, 255).astype(np.uint8)
    rgb = np.ascontiguousarray(np.broadcast_to(out, (*out.shape[:2], 3)))
    rgb.flags.writeable = False
    return rgb, upright, notes, fmt


def load_image(
    data: bytes, *, max_pixels: int = MAX_PIXELS, work_side: int = WORK_SIDE
) -> LoadedImage:
    """Decode image bytes to an upright (H, W, 3) uint8 RGB array at working size.

    Parameters
    ----------
    data : bytes
        The file's contents (bytes, bytearray or memoryview); decoded in memory only.
    max_pixels : int, optional
        Refuse images with more pixels than this, judged from the header before any pixel
        data is decoded; formats other than JPEG (which decodes at reduced size) are held to
        at most :data:`MAX_FULL_DECODE_PIXELS`. Pillow's own decompression-bomb limit (about
        179 MP) also applies.
    work_side : int, optional
        Downscale (Lanczos; JPEGs decode straight at a reduced scale) so that the longest
        side is at most this; smaller images are kept at their size.

    Returns
    -------
    LoadedImage
        ``rgb`` (H, W, 3) uint8 with ``max(H, W) <= work_side``, the sizes and the notes.

    Raises
    ------
    ImageError
        Empty, unreadable, unsupported, truncated, corrupt or too large input; the message
        is meant for the user.
    ParameterError
        ``max_pixels`` or ``work_side`` not an integer >= 1, or ``data`` not bytes (a
        ValueError whose ``name`` is the argument's).

    Notes
    -----
    Only PNG (also animated), JPEG, WebP, BMP, GIF and TIFF are decoded. Animated and
    multi-page files give their first frame. EXIF orientation is applied. Transparency is
    flattened onto white; palette, 1-bit, greyscale and CMYK become RGB; 16-bit data are
    divided by 257 when they reach 4096 or more (a full 16-bit range), otherwise stretched
    from their min..max; float data are stretched from their min..max.
    """
    max_pixels = at_least(max_pixels, 1, "max_pixels")
    work_side = at_least(work_side, 1, "work_side")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParameterError("data", f"data must be bytes, got {type(data).__name__}")
    nbytes = memoryview(data).nbytes
    if nbytes == 0:
        raise ImageError(EMPTY)
    opened = False
    try:
        # Image.open only parses the header; pixels are decoded by im.load() in _decode.
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as im:
            opened = True
            rgb, original, notes, fmt = _decode(im, nbytes, max_pixels, work_side)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError(_bomb_message(e, max_pixels)) from None
    except MemoryError:
        raise ImageError("The image is too large to decode.") from None
    except Exception as e:
        # Damaged files make Pillow raise almost anything (UnidentifiedImageError, OSError,
        # SyntaxError, ValueError, EOFError, struct.error, ...). If the header could not be
        # read, only the file's first bytes tell a damaged image from some other kind of file.
        damaged = opened or _has_signature(data)
        raise ImageError(CORRUPT if damaged else NOT_AN_IMAGE) from e
    return LoadedImage(rgb, original, (rgb.shape[1], rgb.shape[0]), tuple(notes), fmt)


def load_sample(name: str, *, work_side: int = WORK_SIDE) -> LoadedImage:
    """Load one of the bundled sample images by its display name.

    Parameters
    ----------
    name : str
        A key of :data:`SAMPLES`.
    work_side : int, optional
        As for :func:`load_image`.

    Returns
    -------
    LoadedImage
        The sample, decoded exactly as an upload of the same file would be.
    """
    if not isinstance(name, str) or name not in SAMPLES:
        raise ParameterError(
            "name", f"name must be one of {', '.join(map(repr, SAMPLES))}, got {name!r}"
        )
    return load_image(SAMPLES[name].read_bytes(), work_side=work_side)


def crop_center(
    a: np.ndarray, height: int, width: int, *, channels_first: bool = False
) -> np.ndarray:
    """The central ``height`` x ``width`` window of an image or a feature stack (a view).

    Parameters
    ----------
    a : numpy.ndarray
        (H, W) or (H, W, C) array, or (C, H, W) with ``channels_first=True``.
    height, width : int
        Size of the window, each >= 1; clipped to the array's own size.
    channels_first : bool, optional
        Whether the spatial axes are the last two (C, H, W) rather than the first two.

    Returns
    -------
    numpy.ndarray
        A view of shape (min(height, H), min(width, W)) on the spatial axes; where the
        margin is odd, the extra row or column is left at the bottom or right.
    """
    height = at_least(height, 1, "height")
    width = at_least(width, 1, "width")
    a = np.asarray(a)
    if a.ndim < 2 or (channels_first and a.ndim != 3):
        raise ParameterError(
            "a", f"a must be (H, W), (H, W, C) or (C, H, W), got shape {a.shape}"
        )
    yax, xax = (1, 2) if channels_first else (0, 1)
    H, W = a.shape[yax], a.shape[xax]
    h, w = min(height, H), min(width, W)
    top, left = (H - h) // 2, (W - w) // 2
    index = [slice(None)] * a.ndim
    index[yax], index[xax] = slice(top, top + h), slice(left, left + w)
    return a[tuple(index)]


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "SAMPLES",
    "ImageError",
    "LoadedImage",
    "crop_center",
    "load_image",
    "load_sample",
]
