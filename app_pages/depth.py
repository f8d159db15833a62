"""1x1 convolution through depth: each pixel's channel column, dotted with each filter."""

import streamlit as st

import conv_engine as ce
from conv_engine.limits import MAX_DEPTH_NUMERICAL, MAX_DEPTH_SCHEMATIC
from ui import links
from ui.common import guard
from ui.depth_cache import depth_gif, depth_player
from ui.player import player

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

numerical = links.flag(st.toggle, "Show the numbers", False, "dnum")
# Each view draws up to its own sizes (the numbers need room): the inputs offer only those.
lim = MAX_DEPTH_NUMERICAL if numerical else MAX_DEPTH_SCHEMATIC
view = "numbers" if numerical else "schematic"
SIZES = (  # key (URL slug), engine name, label, default (drawable in both views)
    ("cin", "C_in", "Input channels C_in", 6), ("cout", "C_out", "Filters C_out", 3),
    ("dh", "H", "Height H", 4), ("dw", "W", "Width W", 4),
)
lowered = [] if links.seeding() else [  # a link's values get their own note from links
    f"{name} {v} → {lim[name]}" for key, name, _, _ in SIZES
    if isinstance(v := st.session_state.get(key), int) and v > lim[name]
]
cols = st.columns(5)
c_in, c_out, h, w = (
    links.number(col, label, 1, lim[name], default, key,
                 help=f"At most {lim[name]} in the {view} view.")
    for col, (key, name, label, default) in zip(cols[:4], SIZES, strict=True)
)
seed = links.number(cols[4], "Values seed", 0, 9999, 0, "dseed")
if lowered:
    st.info(f"The {view} view draws at most C_in {lim['C_in']}, C_out {lim['C_out']}, "
            f"H {lim['H']} and W {lim['W']}: lowered {', '.join(lowered)}.", icon="ℹ️")

with guard("drawing the depth view"):
    name = f"1x1_depth_{h}x{w}x{c_in}_to_{c_out}"
    title = (f"1x1 convolution through depth: {h}x{w} pixels, {c_in} input channels, "
             f"{c_out} filters")
    # Every frame and caption goes to the browser at once: stepping and hovering the pixels
    # happen there, with no round trip to the server.
    player(depth_player(c_in, c_out, h, w, seed, numerical, title, f"{name}_step{{step}}.png"),
           key="depth-player")
    st.download_button("Download GIF", lambda: depth_gif(c_in, c_out, h, w, seed, numerical),
                       mime="image/gif", icon="⬇️", on_click="ignore", file_name=f"{name}.gif",
                       help=f"{h * w} frames, one per pixel, 1 s each, looping: for slides.")

st.subheader("The classic example: 200x200x50 through twenty 1x1 filters")
H, W, C, K = 200, 200, 50, 20
one = ce.conv_cost(C, K, 1, (H, W))
three = ce.conv_cost(C, K, 3, (H, W))
a, b = st.columns(2)
with a:
    st.markdown(f"**1x1 convolution:** {H}x{W}x{C} → **{H}x{W}x{K}** (H x W x C)")
    st.metric("Parameters (k·C + k)", f"{one.params:,}",
              help=f"{K}·{C} = {one.weights:,} weights + {one.biases} biases (one per filter)")
    st.metric("Multiply-adds (H·W·C·k)", f"{one.mult_adds:,}",
              help=f"{H}·{W}·{C}·{K}: multiplications only ({H}·{W}·{K} bias additions aside)")
with b:
    st.markdown(f"**3x3 convolution to the same channels:** {H}x{W}x{C} → {H}x{W}x{K}")
    st.metric("Parameters (9·k·C + k)", f"{three.params:,}",
              help=f"9·{K}·{C} = {three.weights:,} weights + {three.biases} biases")
    st.metric("Multiply-adds (H·W·9·C·k)", f"{three.mult_adds:,}",
              help=f"{H}·{W}·9·{C}·{K}: multiplications only")
st.markdown(
    f":small[The 1x1 version needs {ce.ratio_phrase(one.mult_adds, three.mult_adds)} "
    "multiply-adds: it changes the depth without looking at neighbours, which is exactly what "
    f"a bottleneck wants. The output keeps the {H}x{W} grid; only the channels shrink, "
    f"from {H * W * C:,} to {H * W * K:,} values ({K / C:.0%}). Parameters include the biases, "
    "as PyTorch counts them; multiply-adds count the multiplications.]"
)
