"""Figures for the image pages: labelled grids of feature maps and small matplotlib plots."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

matplotlib.use("Agg")  # no display on a server
import matplotlib.pyplot as plt  # noqa: E402

CMAPS = ("viridis", "magma", "cividis", "gray", "coolwarm")
_LABEL_H = 22
_GAP = 6
_FONT_SIZE = 14
_LABEL_X, _LABEL_Y = 2, 3  # where a label starts inside its tile


def _lut(cmap: str) -> np.ndarray:
    """(256, 3) uint8 colours of a matplotlib colormap."""
    return (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def colorize(m: np.ndarray, cmap: str = "viridis") -> np.ndarray:
    """One (H, W) map, stretched to its own min..max, as (H, W, 3) uint8 colours."""
    lo, hi = float(m.min()), float(m.max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    idx = ((m - lo) * scale).astype(np.uint8)
    return _lut(cmap)[idx]


def _fit(m: np.ndarray, side: int) -> np.ndarray:
    """Every n-th sample so the longest side is at most ``side`` (previews only)."""
    step = max(1, int(np.ceil(max(m.shape[-2:]) / side)))
    return m[..., ::step, ::step]


def maps_grid(
    maps: np.ndarray, names: list[str] | tuple[str, ...], *, cmap: str = "viridis",
    tile: int = 220, cols: int | None = None,
) -> Image.Image:
    """A (C, H, W) stack as one labelled image: one tile per channel, each stretched alone.

    Maps larger than ``tile`` are subsampled to at most ``tile`` pixels on their longest side;
    smaller ones are enlarged by a whole factor (nearest neighbour: every pixel stays a crisp
    square) up to ``tile``, so a 1x1 or 8x8 image is still visible and its labels fit. Each
    tile's slot is at least as wide as the widest label, which therefore never runs into the
    next tile (a very narrow map keeps its width and sits at the left of its slot). ``cols``
    defaults to a near-square layout.
    """
    maps = _fit(np.asarray(maps, dtype=np.float32), tile)
    c, h, w = maps.shape
    names = [str(n) for n in names]
    if len(names) != c:
        raise ValueError(f"names must have one entry per map ({c}), got {len(names)}")
    zoom = max(1, tile // max(h, w))
    h, w = h * zoom, w * zoom
    font = ImageFont.load_default(size=_FONT_SIZE)
    label_w = max((font.getbbox(n)[2] for n in names), default=0)
    slot = max(w, _LABEL_X + label_w + _LABEL_X)
    cols = cols or max(1, min(c, int(np.ceil(np.sqrt(c * h / slot)))))
    rows = -(-c // cols)
    canvas = Image.new("RGB", (cols * (slot + _GAP) - _GAP, rows * (h + _LABEL_H + _GAP) - _GAP),
                       "white")
    draw = ImageDraw.Draw(canvas)
    for i in range(c):
        r, col = divmod(i, cols)
        x, y = col * (slot + _GAP), r * (h + _LABEL_H + _GAP)
        draw.text((x + _LABEL_X, y + _LABEL_Y), names[i], fill=(7, 54, 66), font=font)
        rgb = colorize(maps[i], cmap).repeat(zoom, axis=0).repeat(zoom, axis=1)
        canvas.paste(Image.fromarray(rgb), (x, y + _LABEL_H))
    return canvas


def fig_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed (pyplot keeps open ones)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def retained_figure(ks, retained: dict[str, np.ndarray], params, current_k: int, *,
                    ylabel: str = "variance retained (%)"):
    """Variance retained against k for each method, parameters on the top axis.

    ``ylabel`` says what the variance is measured on (raw or standardised channels).
    """
    labels = {"pca": "PCA (optimal)", "random": "random", "mean": "channel mean",
              "learned": "learned (SGD)"}
    fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=110)
    for name, ys in retained.items():
        ax.plot(ks, 100 * np.asarray(ys), marker="o", ms=3, label=labels.get(name, name))
    ax.axvline(current_k, color="#073642", lw=1, ls="--")
    ax.set_xlabel("output channels k of the 1x1 convolution")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    top = ax.secondary_xaxis("top", functions=(lambda k: k * params, lambda p: p / params))
    top.set_xlabel("weights of the 1x1 convolution (k·C + k, ≈ k·C)", fontsize=8)
    # Fixed margins: tight_layout would draw the figure a second time to measure it.
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.15, top=0.86)
    return fig


def mlp_diagram(activations: list[np.ndarray], weights: list[np.ndarray], names: list[str]):
    """One pixel's trip through a small MLP: nodes coloured by value, edges by weight sign.

    ``activations[l]`` are the layer-l values (input first); ``weights[l]`` maps layer l to l+1.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    n_layers = len(activations)
    xs = np.linspace(0, 1, n_layers)
    pos = [np.linspace(1, 0, len(a)) if len(a) > 1 else np.array([0.5]) for a in activations]
    for layer, w in enumerate(weights):
        scale = np.abs(w).max() or 1.0
        for j in range(w.shape[0]):  # edges of a drawing (a few hundred), not pixels
            for i in range(w.shape[1]):
                ax.plot([xs[layer], xs[layer + 1]], [pos[layer][i], pos[layer + 1][j]],
                        color="#268BD2" if w[j, i] > 0 else "#DC322F",
                        lw=0.2 + 1.6 * abs(w[j, i]) / scale, alpha=0.55, zorder=1)
    for layer, a in enumerate(activations):
        ax.scatter(np.full(len(a), xs[layer]), pos[layer], c=a, cmap="viridis", s=120,
                   edgecolors="#002B36", linewidths=0.8, zorder=2)
        for y, v in zip(pos[layer], a, strict=True):
            ax.annotate(f"{v:.2f}", (xs[layer], y), xytext=(9, -3), textcoords="offset points",
                        fontsize=7, zorder=3)
    if len(names) == len(activations[0]):
        for y, n in zip(pos[0], names, strict=True):
            ax.annotate(n, (xs[0], y), xytext=(-10, -3), textcoords="offset points",
                        fontsize=7, ha="right")
    titles = ["input C", *[f"hidden {i}" for i in range(1, n_layers - 1)], "output k"]
    for x, t, a in zip(xs, titles, activations, strict=True):
        ax.text(x, 1.1, f"{t} = {len(a)}", ha="center", fontsize=8)
    ax.set_xlim(-0.25, 1.12)
    ax.set_ylim(-0.08, 1.18)
    ax.axis("off")
    fig.tight_layout()
    return fig


def highlight(rgb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int],
              zoom: int = 1) -> np.ndarray:
    """The image dimmed outside ``mask``, enlarged ``zoom`` times (nearest neighbour), with
    the box (r0, r1, c0, c1) outlined in cyan just outside its cells."""
    out = rgb.astype(np.float32)
    out[~mask] = out[~mask] * 0.3 + 255 * 0.7
    out = out.repeat(zoom, 0).repeat(zoom, 1)
    r0, r1, c0, c1 = (v * zoom for v in box)
    if r1 > r0 and c1 > c0:
        t = max(2, min(out.shape[:2]) // 200)
        cyan = np.array([42, 161, 152], dtype=np.float32)
        a, b = max(r0 - t, 0), min(r1 + t, out.shape[0])
        c, d = max(c0 - t, 0), min(c1 + t, out.shape[1])
        out[a:r0, c:d] = cyan
        out[r1:b, c:d] = cyan
        out[a:b, c:c0] = cyan
        out[a:b, c1:d] = cyan
    return out.astype(np.uint8)
