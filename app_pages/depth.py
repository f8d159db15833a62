"""1x1 convolution through depth: each pixel's channel column, dotted with each filter."""

import streamlit as st

import conv_engine as ce
from ui.common import guard, index_slider
from ui.depth_cache import depth_data, depth_gif, depth_png

st.title("1x1 convolution through depth")
st.markdown(
    "A 1x1 kernel covers a single pixel, but **all of its channels**: it is a column of C_in "
    "weights. At each pixel it takes the dot product of that column with the pixel's channel "
    "values; C_out such filters give C_out output maps of the same height and width. Three "
    "ways to read it:\n"
    "- **Dimension reduction:** fewer output channels than input channels, at every pixel.\n"
    "- **A learned per-pixel linear map**, usually followed by ReLU: a feature transformation "
    "that mixes channels but never looks at neighbours.\n"
    "- **Cross-channel pooling:** each output is a weighted sum over the channels at one place."
)

q = dict(bind="query-params")
numerical = st.toggle("Show the numbers", value=False, key="dnum", **q)
lim = ce.depth.MAX_SCHEMATIC  # the numerical view's tighter limits are explained if exceeded
c1, c2, c3, c4, c5 = st.columns(5)
c_in = c1.number_input("Input channels C_in", 1, lim["C_in"], min(6, lim["C_in"]), key="cin",
                       **q)
c_out = c2.number_input("Filters C_out", 1, lim["C_out"], 3, key="cout", **q)
h = c3.number_input("Height H", 1, lim["H"], 4, key="dh", **q)
w = c4.number_input("Width W", 1, lim["W"], 4, key="dw", **q)
seed = c5.number_input("Values seed", 0, 9999, 0, key="dseed", **q)

with guard("drawing the depth view"):
    x, weights = depth_data(c_in, c_out, h, w, seed)
    anim, still = st.columns([3, 2], gap="large")
    with anim:
        gif = depth_gif(c_in, c_out, h, w, seed, numerical)
        st.image(gif, caption=f"{h * w} frames, one per pixel")
        st.download_button("Download GIF", gif, mime="image/gif", icon="⬇️", on_click="ignore",
                           file_name=f"1x1_depth_{h}x{w}x{c_in}_to_{c_out}.gif")
    with still:
        step = index_slider("Pixel", h * w, "dstep", one_based=True,
                            help="Walk through the pixels one at a time.")
        st.image(depth_png(c_in, c_out, h, w, seed, numerical, step))
        st.markdown(ce.depth_caption(x, weights, None, step, numerical=numerical))

st.subheader("The classic example: 200x200x50 through twenty 1x1 filters")
H, W, C, K = 200, 200, 50, 20
one = ce.reduction_cost(C, K, H, W)
three = ce.reduction_cost(C, K, H, W, kernel_size=3)
a, b = st.columns(2)
with a:
    st.markdown(f"**1x1 convolution:** {H}x{W}x{C} → **{H}x{W}x{K}**")
    st.metric("Weights (k·C + k)", f"{one.params:,}")
    st.metric("Multiply-adds (H·W·C·k)", f"{one.mult_adds:,}")
with b:
    st.markdown(f"**3x3 convolution to the same channels:** {H}x{W}x{C} → {H}x{W}x{K}")
    st.metric("Weights (9·k·C + k)", f"{three.params:,}")
    st.metric("Multiply-adds (H·W·9·C·k)", f"{three.mult_adds:,}")
st.caption(
    f"The 1x1 version needs {three.mult_adds / one.mult_adds:.0f}x fewer multiply-adds: it "
    "changes the depth without looking at neighbours, which is exactly what a bottleneck "
    "wants. The output keeps the 200x200 grid; only the channels shrink, "
    f"from {H * W * C:,} to {H * W * K:,} values ({K / C:.0%})."
)
