"""The image and channels pages' charts, drawn with matplotlib's object API on the Agg
canvas: no pyplot, so no figure is kept anywhere once its PNG bytes are made."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..captions import si
from ..costs import NetworkCost

# Colours of the layer kinds in the cost charts: the guide's blue and cyan, Solarized accents.
KIND_COLORS = {"1x1 conv": "#268BD2", "3x3 depthwise conv": "#2AA198", "3x3 conv": "#B58900",
               "dense": "#D33682", "avg pool": "#93A1A1"}
_OTHER_KIND = "#586E75"


def _figure(figsize: tuple[float, float], dpi: int) -> Figure:
    """A new figure on its own Agg canvas."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def fig_png(fig: Figure) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def retained_figure(ks, retained: dict[str, np.ndarray], params, current_k: int, *,
                    ylabel: str = "variance retained (%)") -> Figure:
    """Variance retained against k for each method, parameters on the top axis.

    Parameters
    ----------
    ks : the output channel counts k
    retained : method name -> the share of variance kept at each k (0..1)
    params : weights of the 1x1 convolution per output channel (the top axis is ``k * params``)
    current_k : the k marked by a dashed line
    ylabel : what the variance is measured on (raw or standardised channels)
    """
    labels = {"pca": "PCA (optimal)", "random": "random", "mean": "channel mean",
              "learned": "learned (SGD)"}
    fig = _figure((6.4, 3.4), 110)
    ax = fig.subplots()
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


def mlp_diagram(activations: list[np.ndarray], weights: list[np.ndarray],
                names: list[str]) -> Figure:
    """One pixel's trip through a small MLP: nodes coloured by value, edges by weight sign.

    ``activations[l]`` are the layer-l values (input first); ``weights[l]`` maps layer l to
    l+1; ``names`` label the input nodes (when there is one per input value).
    """
    fig = _figure((6.4, 3.6), 110)
    ax = fig.subplots()
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


def mobilenet_figure(cost: NetworkCost, alpha: float, resolution: int) -> Figure:
    """Bar chart of MobileNet v1's multiply-adds (``cost``, at width ``alpha`` and input
    ``resolution``), layer by layer, coloured by kind (:data:`KIND_COLORS`)."""
    rows = [r for r in cost.rows if r.mult_adds]
    fig = _figure((6.4, 3.4), 120)
    ax = fig.subplots()
    xs = np.arange(len(rows))
    ax.bar(xs, [r.mult_adds / 1e6 for r in rows],
           color=[KIND_COLORS.get(r.kind, _OTHER_KIND) for r in rows], width=0.8)
    ax.set_xticks(xs, [r.name for r in rows], rotation=90, fontsize=7)
    ax.set_ylabel("multiply-adds (millions)", fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    kinds = list(dict.fromkeys(r.kind for r in rows))
    handles = [Rectangle((0, 0), 1, 1, color=KIND_COLORS.get(k, _OTHER_KIND)) for k in kinds]
    # Above the bars, under the title: the tall 1x1 bars fill the plot's upper corners.
    ax.legend(handles, kinds, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=len(kinds), frameon=False, handlelength=1.0, columnspacing=1.0)
    fig.suptitle(f"MobileNet v1, α = {alpha:g}, {resolution}x{resolution}: "
                 f"{si(cost.mult_adds)} multiply-adds", fontsize=10)
    fig.subplots_adjust(left=0.1, right=0.99, bottom=0.2, top=0.84)
    return fig


def blocks_figure(blocks: list[tuple[str, NetworkCost]], title: str) -> Figure:
    """Multiply-adds of a few blocks as stacked horizontal bars, one segment a layer coloured
    by kind (:data:`KIND_COLORS`) and named when it is wide enough; ``blocks`` are
    (label, cost) pairs, top first."""
    fig = _figure((6.4, 2.2), 120)
    ax = fig.subplots()
    for y, (_, cost) in enumerate(blocks):
        left = 0.0
        for r in cost.rows:
            v = r.mult_adds / 1e6
            ax.barh(y, v, left=left, color=KIND_COLORS.get(r.kind, _OTHER_KIND),
                    edgecolor="white", height=0.6)
            if v > 0.06 * max(b.mult_adds for _, b in blocks) / 1e6:
                ax.text(left + v / 2, y, r.name, ha="center", va="center", fontsize=8,
                        color="white")
            left += v
    ax.set_yticks(range(len(blocks)), [b for b, _ in blocks], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("multiply-adds (millions)", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=10)
    fig.subplots_adjust(left=0.25, right=0.97, bottom=0.24, top=0.86)
    return fig


__all__ = [
    "KIND_COLORS",
    "blocks_figure",
    "fig_png",
    "mlp_diagram",
    "mobilenet_figure",
    "retained_figure",
]
