"""Home: what the app teaches, a small gallery, and a link to every page."""

import streamlit as st

import conv_engine as ce
from ui import cached
from ui.common import PAGES, guard

GALLERY = ["same_padding_no_strides", "padding_strides", "dilation", "padding_strides_transposed"]

st.title("See how convolutions work")
st.markdown(
    "A convolution slides a small kernel over a grid and writes one number per position. "
    "Padding, strides and dilation change *where* the kernel lands and so *how big* the "
    "output is; a transposed convolution runs the same arithmetic backwards to upsample. "
    "Every case here is animated cell by cell, as in the well-known convolution-arithmetic "
    "guide by Dumoulin and Visin, and every animation can be exported as a GIF."
)
st.markdown(
    "The question at the heart of the app: **why is a 1x1 convolution useful?** A 1x1 kernel "
    "sees a single pixel, yet it mixes all the channels there: it reduces depth "
    "(200x200x50 through twenty 1x1 filters becomes 200x200x20), applies a learned linear "
    "map to every pixel (usually followed by ReLU), stacks into a per-pixel MLP "
    "(Network in Network), makes GoogLeNet's Inception modules cheap, and shows that a fully "
    "connected layer is a 1x1 convolution. Try it on your own photograph."
)

# Two by two, titles above the GIFs (which differ in height) so they line up; each title
# opens its animation on the arithmetic page.
for pair in (GALLERY[:2], GALLERY[2:]):
    for col, name in zip(st.columns(2, gap="large"), pair, strict=True):
        with col, guard("drawing the gallery"):
            spec = ce.PRESETS[name]
            st.page_link(PAGES[1][0], label=ce.preset_title(name), icon=":material/play_circle:",
                         query_params={"preset": name}, help="Open this animation step by step")
            st.image(cached.gif(cached.spec_key(spec), None, None, True, "solarized", 1000),
                     alt=f"Animation: {ce.preset_title(name)}")

st.subheader("Explore")
for path, title, icon in PAGES[1:]:
    st.page_link(path, label=title, icon=icon)
