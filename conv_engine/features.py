"""Feature stacks of an image: its colour channels and an orientation-tuned filter bank.

An image becomes a (C, H, W) stack: its colour channels plus the rectified responses of an
orientation-tuned Gabor filter bank (like the orientation-tuned receptive fields of the visual
cortex), computed with the engine's own ``conv2d``. The 1x1 convolutions that reduce such a
stack, and what they keep, are in :mod:`conv_engine.reductions`.

Angle convention: a channel named "45°" responds most to stripes and edges *running* at 45°
anticlockwise from horizontal as seen on screen ("/"); "0°" is horizontal stripes, "90°" is
vertical stripes. Big maps stay float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import ParameterError, between, numeric
from .limits import GABOR_BAND_BYTES, MAX_GABOR_ORIENTATIONS, MAX_GABOR_SCALES
from .ops import conv2d

COLOUR_NAMES = ("R", "G", "B")

# Rec. 709 luma weights: the filter bank looks at brightness, the colour channels carry hue.
_LUMA = (0.2126, 0.7152, 0.0722)
# Finest wavelength in pixels; each further scale doubles it (one octave, as in V1's spread).
_WAVELENGTH = 4.0
# Gaussian envelope sigma / wavelength: about 1.2 octaves of frequency bandwidth and 20° of
# orientation half-width at half height, so 8 orientations 22.5° apart tile the half circle
# without gaps and the octave-spaced scales overlap.
_SIGMA_PER_WAVELENGTH = 0.5
# Cut the envelope at 2.5 sigma, where it is under 5 % of its peak: kernels stay 11x11.
_RADIUS_SIGMAS = 2.5
_SCALE_LABELS = {
    1: ("fine",),
    2: ("fine", "coarse"),
    3: ("fine", "medium", "coarse"),
    4: ("fine", "medium", "coarse", "coarsest"),
}


@dataclass(frozen=True, eq=False)
class FeatureStack:
    """A (C, H, W) float32 stack of feature maps with one name per channel.

    ``maps[:3]`` are R, G, B in [0, 1]; the rest are Gabor energies named like "45° fine",
    ordered scale by scale (all orientations of the finest scale first).
    """

    maps: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "maps", np.asarray(self.maps))
        object.__setattr__(self, "names", tuple(self.names))
        if self.maps.ndim != 3 or self.maps.shape[0] != len(self.names):
            raise ParameterError(
                "names",
                f"names must have one entry per channel of maps (shape {self.maps.shape}), "
                f"got {len(self.names)}",
            )

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W)."""
        return self.maps.shape


def _rgb01(image: object) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] from grayscale, RGB or RGBA of any numeric dtype."""
    a = numeric(image, "image")
    if a.ndim == 3 and a.shape[2] == 4:
        a = a[..., :3]  # alpha says how to composite, not what is in the picture
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise ParameterError(
            "image", f"image must have shape (H, W), (H, W, 3) or (H, W, 4), got {a.shape}"
        )
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ParameterError("image", f"image must not be empty, got shape {a.shape}")
    if a.dtype == np.uint16:
        scale = 1 / 65535
    elif a.dtype.kind in "iu":
        scale = 1 / 255  # the 8-bit convention of every common image format
    else:
        scale = 1.0  # bool and floats are taken to be in [0, 1] already
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ParameterError("image", "image must contain only finite values")
    if a.ndim == 2:
        a = a[..., None]
    out = np.empty((*a.shape[:2], 3), dtype=np.float32)
    np.multiply(a, np.float32(scale), out=out, casting="unsafe")  # broadcasts gray to R=G=B
    return out


def _gabor_bank(orientations: int) -> np.ndarray:
    """(2 * orientations, 1, n, n) float32: even (cosine) kernels, then odd (sine) kernels."""
    sigma = _SIGMA_PER_WAVELENGTH * _WAVELENGTH
    r = int(np.ceil(_RADIUS_SIGMAS * sigma))
    row, x = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float64)
    y = -row  # screen "up", so angles turn anticlockwise as the viewer sees them
    theta = np.deg2rad(_angles(orientations))[:, None, None]
    # The wave runs across the stripes, i.e. perpendicular to the named stripe angle.
    u = x * np.cos(theta + np.pi / 2) + y * np.sin(theta + np.pi / 2)
    envelope = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    # Sum 2 makes the energy of a sinusoid of amplitude A at the preferred frequency about A,
    # so Gabor channels are on the same scale as the colour channels.
    envelope *= 2 / envelope.sum()
    phase = 2 * np.pi * u / _WAVELENGTH
    even = envelope * np.cos(phase)
    # Zero DC: a flat patch, however bright, is no edge.
    even -= envelope * (even.sum(axis=(1, 2), keepdims=True) / envelope.sum())
    odd = envelope * np.sin(phase)
    return np.concatenate([even, odd])[:, None].astype(np.float32)


def _angles(orientations: int) -> np.ndarray:
    return np.arange(orientations) * (180.0 / orientations)


def _downsample2(x: np.ndarray) -> np.ndarray:
    """2x2 mean of (H, W), edge row/column repeated when a side is odd."""
    h, w = x.shape
    x = np.pad(x, ((0, h % 2), (0, w % 2)), mode="edge")
    return x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).mean(axis=(1, 3), dtype=np.float32)


def _upsample_axis(
    a: np.ndarray, factor: int, n_out: int, axis: int, out: np.ndarray | None = None
) -> np.ndarray:
    """Bilinear upsampling of 2-D ``a`` by an integer factor along one axis, centres aligned.

    Output pixel ``i`` samples input coordinate ``(i + 0.5) / factor - 0.5``, clamped at the
    edges. Each of the ``factor`` output phases is one blend of two shifted slices: strided
    slicing in the array's own memory order, no index gathers.
    """

    def along(s: slice) -> tuple[slice, ...]:
        return (slice(None), s) if axis else (s,)

    edge0, edge1 = a[along(slice(0, 1))], a[along(slice(-1, None))]
    ap = np.concatenate([edge0, a, edge1], axis=axis)  # edge copies make the clamping implicit
    if out is None:
        shape = list(a.shape)
        shape[axis] = n_out
        out = np.empty(shape, dtype=a.dtype)
    for p in range(min(factor, n_out)):  # phases of the factor, not pixels
        u = (p + 0.5) / factor - 0.5
        i0 = int(np.floor(u))
        t = np.float32(u - i0)
        dst = out[along(slice(p, None, factor))]
        m = dst.shape[axis]
        np.multiply(ap[along(slice(1 + i0, 1 + i0 + m))], 1 - t, out=dst)
        dst += t * ap[along(slice(2 + i0, 2 + i0 + m))]
    return out


def _upsample_into(out: np.ndarray, small: np.ndarray, factor: int) -> None:
    """Bilinear upsampling of (h, w) ``small`` into (H, W) ``out``."""
    # Columns first, while there are few rows; then rows, whose phases are whole contiguous rows.
    cols = _upsample_axis(small, factor, out.shape[1], 1)
    _upsample_axis(cols, factor, out.shape[0], 0, out=out)


def _energy_into(out: np.ndarray, lum: np.ndarray, bank: np.ndarray) -> None:
    """Quadrature energy sqrt(even^2 + odd^2) of ``lum`` under ``bank``, into (n, H, W) ``out``."""
    n = bank.shape[0] // 2
    r = bank.shape[-1] // 2
    # Reflected borders: zero padding would read the image's frame as a strong edge.
    lp = np.pad(lum, r, mode="reflect")[None]
    h, w = lum.shape
    rows = max(1, GABOR_BAND_BYTES // (bank.shape[0] * w * 4))
    for r0 in range(0, h, rows):  # bands of rows bound the memory; each is one conv2d call
        r1 = min(h, r0 + rows)
        resp = conv2d(lp[:, r0 : r1 + 2 * r], bank, padding="valid")
        even, odd = resp[:n], resp[n:]
        np.square(even, out=even)  # in place: np.hypot's overflow care costs 3x, needlessly here
        np.square(odd, out=odd)
        np.add(even, odd, out=even)
        np.sqrt(even, out=out[:, r0:r1])


def feature_stack(image: np.ndarray, *, orientations: int = 8, scales: int = 2) -> FeatureStack:
    """Colour channels plus an orientation-tuned Gabor energy bank, as a (C, H, W) stack.

    Channels: R, G, B scaled to [0, 1], then for each scale (finest first) and each
    orientation ``0°, 180°/n, ...`` the energy ``sqrt(even^2 + odd^2)`` of a quadrature pair of
    Gabor filters on the luminance (Rec. 709). Energy is the rectified response of a "complex
    cell": positive, and the same for a dark-on-light as a light-on-dark edge. Scale ``l`` has a
    wavelength of ``4 * 2**l`` pixels: the same 11x11 bank is applied to the luminance averaged
    down by ``2**l`` and its energy upsampled bilinearly, which costs a third of the finest
    scale for all coarser ones together. All 2 x orientations filters of a scale run in one
    ``conv2d`` call (per band of about 64 MiB of output, to bound memory on big images), with
    ``padding="valid"`` on a reflect-padded image so the output keeps the input's size.

    Angles name the direction the preferred stripes *run*, anticlockwise from horizontal on
    screen: vertical stripes excite "90°" channels most, horizontal ones "0°".

    Parameters
    ----------
    image : (H, W), (H, W, 3) or (H, W, 4) array
        uint8 (0..255), uint16 (0..65535) or float in [0, 1]. Gray gives R = G = B; alpha is
        dropped.
    orientations : int, 1..32
    scales : int, 1..4
        Named "fine"; "fine", "coarse"; "fine", "medium", "coarse"; or four with "coarsest".

    Returns
    -------
    FeatureStack
        ``maps`` (3 + orientations * scales, H, W) float32 and ``names`` such as
        ``("R", "G", "B", "0° fine", "22.5° fine", ..., "157.5° coarse")``.
    """
    orientations = between(orientations, 1, MAX_GABOR_ORIENTATIONS, "orientations")
    scales = between(scales, 1, MAX_GABOR_SCALES, "scales")
    rgb = _rgb01(image)
    h, w = rgb.shape[:2]
    maps = np.empty((3 + orientations * scales, h, w), dtype=np.float32)
    for c in range(3):
        maps[c] = rgb[..., c]
    lum = rgb @ np.asarray(_LUMA, dtype=np.float32)
    del rgb
    bank = _gabor_bank(orientations)
    for level in range(scales):
        dst = maps[3 + level * orientations : 3 + (level + 1) * orientations]
        if level == 0:
            _energy_into(dst, lum, bank)
            continue
        lum = _downsample2(lum)
        small = np.empty((orientations, *lum.shape), dtype=np.float32)
        _energy_into(small, lum, bank)
        for o in range(orientations):  # one map at a time keeps the upsampling temporaries small
            _upsample_into(dst[o], small[o], 2**level)
    angles = [f"{round(a, 1):g}°" for a in _angles(orientations)]
    names = COLOUR_NAMES + tuple(f"{a} {s}" for s in _SCALE_LABELS[scales] for a in angles)
    return FeatureStack(maps, names)


__all__ = [
    "FeatureStack",
    "feature_stack",
]
