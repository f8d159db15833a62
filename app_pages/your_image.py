"""Your image: a feature stack reduced by a 1x1 convolution, live."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

import conv_engine as ce
from conv_engine.limits import MAX_DEPTH_SCHEMATIC
from conv_engine.render.maps import CMAPS
from ui import features_cache as fc
from ui import links
from ui.common import guard, show_png
from ui.depth_cache import crop_player, picker_url
from ui.image_input import pick_image, show_notes
from ui.player import crop_picker, player

st.title("Your image through a 1x1 convolution")
st.markdown(
    "Your image becomes a stack of feature maps: its red, green and blue channels plus the "
    "responses of orientation-tuned filters (like the edge detectors of the visual cortex and "
    "of a CNN's first layer). A **1x1 convolution** then maps each pixel's channel vector to "
    "k numbers: the same small weight matrix at every pixel, so the map keeps its size while "
    "the depth shrinks from C to k."
)


def _picked(top_max: int, left_max: int):
    """The picker's callback: its click becomes the crop's row and column (which the number
    inputs, and so the link, then show), before the page reruns."""
    def apply() -> None:
        got = st.session_state["crop-picker"]["crop"]
        if got:
            st.session_state["crop_top"] = min(max(int(got["top"]), 0), top_max)
            st.session_state["crop_left"] = min(max(int(got["left"]), 0), left_max)
    return apply


with st.sidebar:
    picked = pick_image("img")
    st.divider()
    orientations = links.choice(st.select_slider, "Orientations", [2, 4, 6, 8], 4, "orient")
    scales = links.choice(st.select_slider, "Scales", [1, 2, 3], 2, "scales")
    cmap = links.choice(st.selectbox, "Colormap", CMAPS, CMAPS[0], "cmap")

if picked is None:
    st.stop()
image_key, label, img = picked
show_notes(img)

skey = (image_key, orientations, scales)
fs = None
with guard("computing the feature stack"):
    fs = fc.stack(image_key, img.rgb, orientations, scales)
if fs is None:
    st.stop()
C, H, W = fs.shape

left, right = st.columns([1, 2], gap="large")
left.image(fc.photo(image_key, img.rgb), output_format="JPEG",
           alt=f"The image {label}, at its working size")
# Figure captions as small body text: st.caption's faded grey reads 3.9:1 on white.
left.markdown(f":small[{label}: {H} x {W} pixels (height x width, working size)]")
right.markdown(f"**Feature stack: {H} x {W} x {C}**")
show_png(fc.maps_png((skey, cmap), fs.maps, tuple(fs.names), cmap, 150), where=right,
         alt=f"The {C} feature maps of the image: {', '.join(fs.names)}")
right.markdown(":small[Each map is stretched to its own range. Angles: the direction the "
               "stripes run (0° horizontal, 90° vertical).]")


@links.fragment
def reduction() -> None:
    """The 1x1 convolution and all that follows from it: its controls rerun only this part
    (the feature stack above stays as it is)."""
    with guard("applying the 1x1 convolution"):
        st.subheader("The 1x1 convolution")
        c1, c2, c3, c4 = st.columns(4)
        k = links.slider(c1, "Output channels k", 1, C, 3, "k")
        method = links.choice(c2.selectbox, "Weights", list(fc.METHOD_LABELS), "pca", "method",
                              format_func=fc.METHOD_LABELS.get)
        relu = links.flag(c3.toggle, "ReLU after it", False, "relu")
        spatial = links.choice(c4.selectbox, "Then", list(fc.SPATIAL), "none", "spatial",
                               format_func=fc.SPATIAL.get)
        scale = links.choice(
            st.radio, "Channel scale", list(fc.SCALES), "std", "scale",
            format_func=lambda v: fc.SCALES[v][0], captions=[c for _, c in fc.SCALES.values()],
            horizontal=True,
            help="The scale the PCA, random and channel-mean weights are chosen on, SGD trains on "
            "and “Variance kept” is measured on. Standardised: each channel is z-scored over the "
            "image, the usual choice for PCA on features of different units. Raw: R, G and B, "
            "with the widest range, then hold most of the variance. Weights set by hand always act "
            "on the raw channels.")
        standardize = scale == "std"
        scale_name = "standardised (z-scored)" if standardize else "raw"

        if spatial == "pool" and min(H, W) < 2:
            st.warning("2x2 max pooling needs an image of at least 2x2 pixels; showing no pooling.")
            spatial = "none"
        learned = None
        if method == "learned":
            a, b = st.columns(2)
            steps = links.choice(a.select_slider, "SGD steps", [100, 300, 600, 1000, 2000], 600,
                                 "steps")
            lr = links.choice(b.select_slider, "Learning rate", [0.005, 0.01, 0.02, 0.05, 0.1],
                              0.05, "lr")
            # Trained in a cached function with no Streamlit call inside (a cache hit replays
            # elements); its spinner shows while it runs, the loss curve is drawn after.
            learned = fc.learned(skey, fs, k, steps, lr, 0, standardize)
            units = "z-score units" if standardize else "channel units"
            st.line_chart(fc.loss_curve(learned.loss), x="step", y="loss", height=160,
                          x_label="SGD step", y_label=f"loss ({units})")
            gap = (f" ({(learned.mse / learned.pca_mse - 1) * 100:+.1f} %)"
                   if learned.pca_mse > 0 else "")  # k = C reconstructs exactly: no ratio
            run = steps // 100
            st.markdown(f":small[Reconstruction loss of each minibatch"
                        f"{f', averaged over runs of {run} steps' if run > 1 else ''}, on the "
                        f"{scale_name} channels. Final reconstruction error {learned.mse:.4g} per "
                        f"value ({units}); PCA's optimum {learned.pca_mse:.4g}{gap}.]")
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
            w, bias = fc.weights(skey, fs, k, method, 0, standardize)

        w = np.asarray(w, dtype=np.float32)
        bias = np.asarray(bias, dtype=np.float32)
        digest = hashlib.sha256(w.tobytes() + bias.tobytes()).hexdigest()
        y = fc.reduced(skey, fs, digest, w, bias, relu, spatial)
        k_out, H2, W2 = y.shape
        cost = ce.conv_cost(C, k, 1, (H, W), stride=fc.STRIDES.get(spatial, 1))
        quality = fc.quality(skey, fs, digest, w, bias, relu, standardize)

        st.markdown(f"#### {H} x {W} x {C} → {H2} x {W2} x {k_out}")
        m2, m3, m4 = st.columns(3)
        m2.metric("Parameters (k·C + k)", f"{cost.params:,}",
                  help=f"{k}·{C} = {cost.weights:,} weights + {cost.biases} biases "
                  "(one per filter)")
        m3.metric("Multiply-adds", ce.si(cost.mult_adds),
                  help=f"H'·W'·C·k = {cost.size[0]}·{cost.size[1]}·{C}·{k} = {cost.mult_adds:,} "
                  f"multiplications, one per weight at each of the {cost.size[0]} x "
                  f"{cost.size[1]} pixels the 1x1 computes"
                  + (f"; + {ce.max_pool_comparisons(k, (H, W)):,} comparisons for the max pool "
                     "(3 per pooled value, no multiplications)" if spatial == "pool" else "") + ".")
        m4.metric("Variance kept", f"{quality.retained:.1%}",
                  help=f"Share of the variance of the {scale_name} channels that the best linear "
                  "decoder recovers from the k outputs. "
                  + ("Every channel is z-scored first, so each counts once. " if standardize else
                     "Channels with large values (usually R, G, B) dominate this share. ")
                  + "Measured on the stack before the stride or pooling: the 1x1 outputs "
                  + ("after the ReLU " if relu else "") + "at every pixel.")

        maps_key = (skey, digest, relu, spatial, cmap)
        grid = fc.maps_png(maps_key, y, tuple(f"out {i}" for i in range(k_out)), cmap, 320)
        show_png(grid,
                 alt=f"The {k_out} output maps of the 1x1 convolution, {H2} x {W2} pixels each")
        st.markdown(f":small[The {k_out} output maps ({H2} x {W2})]")

        d1, d2 = st.columns(2)
        name = f"1x1_{method}_k{k}_{spatial}"
        d1.download_button("Download the output maps (PNG)", grid,
                           file_name=f"{name}.png", mime="image/png", icon="⬇️", on_click="ignore")
        d2.download_button("Download a GIF through the channels",
                           fc.channels_gif(maps_key, y, cmap), file_name=f"{name}_channels.gif",
                           mime="image/gif", icon="⬇️", on_click="ignore")

        st.subheader("The same 1x1 convolution, pixel by pixel")
        lim = MAX_DEPTH_SCHEMATIC
        ch, cw = min(4, H), min(4, W)  # a 4x4 crop, or the whole of a smaller image
        ci, co = min(C, lim["C_in"]), min(k, lim["C_out"])
        pick, text = st.columns([2, 3], gap="large")
        with pick:
            # The crop's top-left pixel, in the link; a click on the picture writes it (below).
            c1, c2 = st.columns(2)
            top = links.number(c1, "Crop row", 0, H - ch, (H - ch) // 2, "crop_top", slug="ct",
                               help="Top row of the crop, counted from 0 at the top of the image.")
            left = links.number(c2, "Crop column", 0, W - cw, (W - cw) // 2, "crop_left",
                                slug="cl", help="Left column of the crop, counted from 0.")
            crop_picker(picker_url(image_key, img.rgb), (W, H), (top, left), (ch, cw),
                        alt=f"The image {label}, with the {ch}x{cw} crop at row {top}, column "
                        f"{left} outlined", key="crop-picker", on_pick=_picked(H - ch, W - cw))
        where = (f"The {ch}x{cw} pixels at rows {top}–{top + ch - 1}, columns "
                 f"{left}–{left + cw - 1} of your stack")
        text.markdown(
            f"{where}, drawn below: each pixel's column of {ci} values meets the {co} filters, and "
            "the sheets are tinted by the values (palest: a channel's smallest). The player's "
            "pixel (0,0) is the crop's top-left pixel. Choose another place on the picture, or "
            "type it.")
        if (ci, co) != (C, k):
            text.markdown(f"Drawn with the first {ci} of {C} input channels and {co} of {k} "
                          "filters.")
        crop = np.ascontiguousarray(fs.maps[:ci, top:top + ch, left:left + cw])
        title = f"1x1 convolution of {where[0].lower()}{where[1:]}"
        player(crop_player((skey, digest, ci, co, top, left), crop, w[:co, :ci], bias[:co],
                           tuple(fs.names[:ci]), title), key="crop-player")

        st.subheader("How much does a 1x1 reduction keep?")
        cv = fc.curve(skey, fs, standardize)
        show_png(fc.curve_png(skey, cv, C, k, standardize),
                 alt=f"Line chart: variance kept against k, from 1 to {C}, for each way of "
                 "choosing the weights")
        st.markdown(f":small[Variance kept of the {scale_name} channels against k, for each way "
                    "of choosing the weights (no ReLU; measured on the 1x1 outputs at every pixel, "
                    "before any stride or pooling). Change the channel scale above to compare.]")
        st.markdown(
            f":small[Efficacy against efficiency: parameters grow linearly with k (k·{C} weights + "
            f"k biases), multiply-adds too (H'·W'·{C}·k = {cost.size[0] * cost.size[1] * C:,}·k). "
            "PCA is the best any linear 1x1 reduction can do.]"
        )


reduction()
