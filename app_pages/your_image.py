"""Your image: a feature stack reduced by a 1x1 convolution, live."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

import conv_engine as ce
from ui import features_cache as fc
from ui import figures
from ui.common import guard, index_slider
from ui.depth_cache import crop_gif
from ui.image_input import pick_image, show_notes

st.title("Your image through a 1x1 convolution")
st.markdown(
    "Your image becomes a stack of feature maps: its red, green and blue channels plus the "
    "responses of orientation-tuned filters (like the edge detectors of the visual cortex and "
    "of a CNN's first layer). A **1x1 convolution** then maps each pixel's channel vector to "
    "k numbers: the same small weight matrix at every pixel, so the map keeps its size while "
    "the depth shrinks from C to k."
)

q = dict(bind="query-params")
with st.sidebar:
    picked = pick_image("img")
    st.divider()
    orientations = st.select_slider("Orientations", [2, 4, 6, 8], value=4, key="orient", **q)
    scales = st.select_slider("Scales", [1, 2, 3], value=2, key="scales", **q)
    cmap = st.selectbox("Colormap", figures.CMAPS, key="cmap", **q)

if picked is None:
    st.stop()
image_key, label, img = picked
show_notes(img)

with guard("computing the feature stack"):
    fs = fc.stack(image_key, img.rgb, orientations, scales)
    skey = (image_key, orientations, scales)
    C, H, W = fs.shape

    left, right = st.columns([1, 2], gap="large")
    left.image(img.rgb, caption=f"{label}: {W}x{H} pixels (working size)")
    right.markdown(f"**Feature stack: {H} x {W} x {C}**")
    right.image(figures.maps_grid(fs.maps, fs.names, cmap=cmap, tile=150),
                caption="Each map is stretched to its own range. Angles: the direction the "
                "stripes run (0° horizontal, 90° vertical).")

    st.subheader("The 1x1 convolution")
    c1, c2, c3, c4 = st.columns(4)
    k = c1.slider("Output channels k", 1, C, min(3, C), key="k", **q)
    method = c2.selectbox("Weights", list(fc.METHOD_LABELS), format_func=fc.METHOD_LABELS.get,
                          key="method", **q)
    relu = c3.toggle("ReLU after it", value=False, key="relu", **q)
    spatial = c4.selectbox("Then", list(fc.SPATIAL), format_func=fc.SPATIAL.get,
                           key="spatial", **q)

    if spatial == "pool" and min(H, W) < 2:
        st.warning("2x2 max pooling needs an image of at least 2x2 pixels; showing no pooling.")
        spatial = "none"
    learned = None
    if method == "learned":
        a, b = st.columns(2)
        steps = a.select_slider("SGD steps", [100, 300, 600, 1000, 2000], value=600,
                                key="steps", **q)
        lr = b.select_slider("Learning rate", [0.005, 0.01, 0.02, 0.05, 0.1], value=0.05,
                             key="lr", **q)
        chart = st.empty()
        progress: list[float] = []

        def _live(step: int, loss: float) -> None:
            progress.append(loss)
            if len(progress) % 5 == 0 or step == steps:
                chart.line_chart({"loss": progress}, height=160, x_label="× steps/100",
                                 y_label="reconstruction loss")

        learned = fc.learned(skey, fs, k, steps, lr, 0, _callback=_live)
        chart.line_chart({"loss": learned.loss[:: max(1, steps // 100)]}, height=160,
                         x_label="× steps/100", y_label="reconstruction loss")
        gap = (f" ({(learned.mse / learned.pca_mse - 1) * 100:+.1f} %)"
               if learned.pca_mse > 0 else "")  # k = C reconstructs exactly: no ratio
        st.caption(f"Final reconstruction error {learned.mse:.4g} per value; "
                   f"PCA's optimum {learned.pca_mse:.4g}{gap}.")
        w, bias = learned.w, learned.b
    elif method == "hand":
        w0, _ = fc.weights(skey, fs, k, "mean", 0)
        st.markdown("Weights (one row per output channel, one column per input channel):")
        table = pd.DataFrame(w0.round(3), columns=list(fs.names),
                             index=[f"out {i}" for i in range(k)])
        edited = st.data_editor(table, key=f"hand-{k}-{C}")
        w = np.nan_to_num(edited.to_numpy(dtype=np.float32))
        bias = np.zeros(k, dtype=np.float32)
    else:
        w, bias = fc.weights(skey, fs, k, method, 0)

    w = np.asarray(w, dtype=np.float32)
    bias = np.asarray(bias, dtype=np.float32)
    digest = hashlib.sha256(w.tobytes() + bias.tobytes()).hexdigest()
    y = fc.reduced(skey, fs, digest, w, bias, relu, spatial)
    k_out, H2, W2 = y.shape
    cost = ce.reduction_cost(C, k, H, W)
    quality = ce.reduction_quality(fs, w, bias, relu=relu)

    st.markdown(f"#### {H} x {W} x {C} → {H2} x {W2} x {k_out}")
    m2, m3, m4 = st.columns(3)
    m2.metric("Weights", f"{cost.params:,}", help="k·C weights + k biases")
    m3.metric("Multiply-adds", f"{cost.mult_adds / 1e6:,.2f} M", help="H·W·C·k")
    m4.metric("Variance kept", f"{quality.retained:.1%}",
              help="How much of the stack the k outputs can reconstruct (best linear decoder).")

    names = [f"out {i}" for i in range(k_out)]
    grid = figures.maps_grid(y, names, cmap=cmap, tile=320)
    st.image(grid, caption=f"The {k_out} output maps ({H2}x{W2})")

    d1, d2 = st.columns(2)
    maps_key = (skey, digest, relu, spatial, cmap)
    name = f"1x1_{method}_k{k}_{spatial}"
    d1.download_button("Download the output maps (PNG)", fc.maps_png(maps_key, grid),
                       file_name=f"{name}.png", mime="image/png", icon="⬇️", on_click="ignore")
    d2.download_button("Download a GIF through the channels",
                       fc.channels_gif(maps_key, y, cmap), file_name=f"{name}_channels.gif",
                       mime="image/gif", icon="⬇️", on_click="ignore")

    st.subheader("The same 1x1 convolution, pixel by pixel")
    lim = ce.depth.MAX_SCHEMATIC
    side = 4
    crop = np.ascontiguousarray(ce.crop_center(fs.maps, side, side, channels_first=True))
    ci, co = min(C, lim["C_in"]), min(k, lim["C_out"])
    if (ci, co) != (C, k):
        st.caption(f"Drawn with the first {ci} of {C} input channels and {co} of {k} filters.")
    xs, ws, bs = crop[:ci], w[:co, :ci], bias[:co]
    anim_col, text_col = st.columns([3, 2], gap="large")
    with anim_col:
        st.image(crop_gif((skey, digest, ci, co), xs, ws, bs, fs.names[:ci]),
                 caption=f"The central {xs.shape[1]}x{xs.shape[2]} pixels of your stack: each "
                 f"pixel's column of {ci} values meets the {co} filters.")
    with text_col:
        px = index_slider("Pixel of the crop", xs.shape[1] * xs.shape[2], "crop-step",
                          one_based=True)
        st.markdown(ce.depth_caption(xs, ws, bs, px, numerical=True))

    st.subheader("How much does a 1x1 reduction keep?")
    cv = fc.curve(skey, fs)
    st.image(fc.curve_png(skey, cv, C, k))
    st.caption(
        f"Efficacy against efficiency: weights grow linearly with k (k·{C} + k), multiply-adds "
        f"too (H·W·{C}·k = {H * W * C:,}·k). PCA is the best any linear 1x1 reduction can do."
    )
