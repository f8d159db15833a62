"""Network in Network: cascaded 1x1 convolutions are a per-pixel MLP; dense = 1x1."""

import numpy as np
import streamlit as st

import conv_engine as ce
from conv_engine.render.maps import highlight
from ui import features_cache as fc
from ui import links
from ui.common import guard, index_slider, show_png, small
from ui.image_input import pick_image, show_notes

st.title("Network in Network")
st.markdown(
    "Lin, Chen and Yan (2013) replaced a convolution's linear filter by a small MLP that "
    "slides over the image. A stack of 1x1 convolutions with ReLU between them *is* that "
    "MLP: each 1x1 layer is a dense layer applied to one pixel's channel vector, the same "
    "weights at every pixel."
)

with st.sidebar:
    picked = pick_image("nin")
if picked is None:
    st.stop()
image_key, label, img = picked
show_notes(img)

orientations, scales = 4, 1  # a small stack: the MLP diagram draws one node per channel
skey = (image_key, orientations, scales)
fs = None
with guard("computing the feature stack"):
    fs = fc.stack(image_key, img.rgb, orientations, scales)
if fs is None:
    st.stop()
C, H, W = fs.shape


@links.fragment
def mlp_section() -> None:
    """Cascaded 1x1 convolutions as a per-pixel MLP (its controls rerun only this part)."""
    with guard("running the MLP"):
        st.subheader("Cascaded 1x1 convolutions = an MLP on every pixel")
        a, b, c = st.columns(3)
        hidden = links.slider(a, "Hidden units h", 1, 16, 8, "hidden")
        k = links.slider(b, "Outputs k", 1, 8, 3, "kout")
        seed = links.number(c, "Weights seed", 0, 9999, 0, "mlpseed")
        as_conv, diff = fc.mlp_both_ways(skey, fs, hidden, k, seed)
        st.markdown(
            f"**{C} → {hidden} → {k}**: run as two 1x1 convolutions over the {H}x{W}x{C} map, and "
            f"as an MLP over its {H * W:,} pixel vectors. Largest difference: **{diff:.1e}** "
            "(rounding only)."
        )
        left, right = st.columns(2)
        with left:
            st.markdown("*As 1x1 convolutions: k output maps*")
            show_png(fc.maps_png((skey, "mlp", hidden, k, seed), as_conv,
                                 tuple(f"out {i}" for i in range(k)), "viridis", 260),
                     alt=f"The {k} output maps of the two 1x1 convolutions")
        with right:
            st.markdown("*As an MLP: one pixel's vector through the layers*")
            r1, r2 = st.columns(2)
            with r1:
                row = index_slider("Pixel row", H, "prow", start=H // 2)
            with r2:
                col = index_slider("Pixel column", W, "pcol", start=W // 2)
            show_png(fc.mlp_png(skey, fs, hidden, k, seed, row, col),
                     alt=f"Pixel ({row}, {col}) through the MLP: {C} inputs, {hidden} hidden, {k} "
                     "outputs")
            same = "The same number sits" if k == 1 else f"The same {k} numbers sit"
            small(f"{same} at ({row}, {col}) of the output maps: "
                       f"{np.array2string(as_conv[:, row, col], precision=3)}.")


@links.fragment
def receptive_section() -> None:
    """Receptive fields of mlpconv blocks (its controls rerun only this part)."""
    with guard("following the receptive field"):
        st.subheader("mlpconv: see space first, then mix channels")
        st.markdown(
            "1x1 layers never look at neighbours, so a stack of them alone sees one pixel. "
            "Network in Network starts each block with a larger kernel and follows it with 1x1s: "
            "the receptive field grows only through the larger kernels (and strides)."
        )
        c1, c2, c3, c4 = st.columns(4)
        k1 = links.choice(c1.selectbox, "Block kernel", [1, 3, 5, 7], 3, "k1")
        s1 = links.choice(c2.selectbox, "Block stride", [1, 2], 1, "s1")
        n11 = links.slider(c3, "1x1 layers per block", 0, 3, 2, "n11")
        blocks = links.slider(c4, "Blocks", 1, 3, 2, "blocks")
        # 96 channels a layer, as NiN's first block; channel counts do not move a receptive field.
        layers = [ce.Conv(96, k1, s1, k1 // 2), *[ce.Conv(96, 1)] * n11] * blocks
        # A small copy of the image, so a receptive field of a few pixels is visible.
        step = max(1, max(H, W) // 64)
        thumb = img.rgb[::step, ::step]
        sh, sw = thumb.shape[:2]
        rows = ce.receptive_field(layers, (sh, sw))
        out_h, out_w = rows[-1].out_size
        r1, r2 = st.columns(2)
        with r1:
            orow = index_slider("Output row", out_h, "orow", start=out_h // 2)
        with r2:
            ocol = index_slider("Output column", out_w, "ocol", start=out_w // 2)
        mask = ce.input_mask(layers, orow, ocol, (sh, sw))
        box = ce.input_region(layers, orow, ocol, (sh, sw))
        zoom = max(1, 480 // max(sh, sw))
        shown = highlight(thumb, mask, box, zoom)
        left, right = st.columns([3, 2])
        left.image(shown, alt="The image with the receptive field of one output cell "
                   "highlighted")
        small(f"{sh} x {sw} copy of the image: the input pixels that feed output cell "
              f"({orow}, {ocol}) span {box[1] - box[0]} x {box[3] - box[2]}", left)
        right.dataframe(
            [{"layer": f"{r.layer.kernel}x{r.layer.kernel}, stride {r.layer.stride}",
              "receptive field": f"{r.size}x{r.size}", "jump": r.jump,
              "output": f"{r.out_size[0]}x{r.out_size[1]}"} for r in rows],
            hide_index=True,
        )


mlp_section()
receptive_section()
with guard("scoring the classes"):
    st.subheader("A fully connected layer is a 1x1 convolution")
    st.markdown(
        "A classifier head multiplies a C-vector by an (n x C) matrix. On a 1x1xC map, a 1x1 "
        "convolution with the same weights computes exactly that. On a larger map the 1x1 "
        "version simply slides, giving a *map* of scores: the network becomes fully "
        "convolutional. Here three hand-made 'classes' score the feature channels:"
    )
    names = list(fs.names)
    heads = {
        "reddish": {"R": 1.0, "G": -0.5, "B": -0.5},
        "horizontal stripes": {n: 1.0 for n in names if n.startswith("0°")},
        "vertical stripes": {n: 1.0 for n in names if n.startswith("90°")},
    }
    wd = np.array([[h.get(n, 0.0) for n in names] for h in heads.values()])
    x = fs.maps.astype(np.float64)
    pooled = x.mean(axis=(1, 2))[:, None, None]  # global average pooling to 1x1xC
    dense, conv = ce.dense_as_1x1(pooled, wd)
    scores = ce.score_map(x, wd)
    st.dataframe(
        [{"class": n, "dense layer on pooled 1x1xC": round(float(d), 5),
          "1x1 conv on pooled 1x1xC": round(float(cv), 5),
          "mean of the 1x1 score map": round(float(s.mean()), 5)}
         for n, d, cv, s in zip(heads, dense, conv, scores, strict=True)],
        hide_index=True,
    )
    show_png(fc.maps_png((skey, "scores"), scores, tuple(heads), "viridis", 300),
             alt="Score maps of the three classes")
    small("The same head as a 1x1 convolution over the whole map: where each class scores "
          "high.")
