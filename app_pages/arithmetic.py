"""Convolution arithmetic: any of the guide's animations, or a custom case."""

import numpy as np
import streamlit as st

import conv_engine as ce
from ui import cached
from ui.common import guard, index_slider
from ui.controls import MAX_GIF_STEPS, controls

st.title("Convolution arithmetic")
st.caption(
    "Blue: the input, cyan: the output, white with dashes: padding (and, for transposed "
    "convolutions, the zeros inserted between input cells). The shadow is the kernel."
)

choice = controls()
spec = choice.spec
if spec is None:
    st.warning(f"This combination is impossible: {choice.error}", icon="🚫")
    st.stop()

st.markdown("**Output size**")
st.code(ce.describe(spec), language=None)
h, w = spec.output_shape
if spec.steps > ce.MAX_STEPS:
    st.warning(f"The output has {h}x{w} = {spec.steps:,} cells: too many to animate "
               f"(at most {ce.MAX_STEPS:,}). Choose smaller sizes.", icon="✋")
    st.stop()

x, k = choice.x, choice.w
if spec.numerical:
    with st.expander("Edit the numbers", expanded=False):
        gx, gk = cached.data(cached.spec_key(spec), x, k)
        c1, c2 = st.columns([3, 2])
        ex = c1.data_editor(gx, key=f"x-{spec.input_size}-{x is None}", width="stretch")
        x = tuple(map(tuple, np.asarray(ex, dtype=float)))
        if spec.op == "conv":
            ek = c2.data_editor(gk, key=f"w-{spec.kernel_size}-{k is None}", width="stretch")
            k = tuple(map(tuple, np.asarray(ek, dtype=float)))

key = cached.spec_key(spec)
anim, still = st.columns([3, 2], gap="large")
with anim, guard("drawing the animation"):
    if spec.steps <= MAX_GIF_STEPS:
        gif = cached.gif(key, x, k, choice.labels, choice.palette, choice.duration)
        st.image(gif, caption=f"{spec.steps} frames, {choice.duration / 1000:g} s each")
        # No rerun on click: a rerun releases the file, and under load it can be swept away
        # before the browser fetches it (a 404 the browser reports as a cancelled download).
        st.download_button("Download GIF", gif, file_name=ce.export_name(spec, "gif"),
                           mime="image/gif", icon="⬇️", on_click="ignore")
    else:
        st.info(f"{spec.steps:,} steps are too many for a smooth animation: use the step "
                "slider to walk through them.", icon="ℹ️")

with still, guard("drawing the step"):
    step = index_slider("Step", spec.steps, "step", one_based=True,
                        help="Walk through the output cells one at a time.")
    png = cached.frame_png(key, x, k, choice.labels, choice.palette, step)
    st.image(png)
    st.markdown(cached.caption(key, x, k, step))
    st.download_button("Download this frame (PNG)", png, on_click="ignore",
                       file_name=ce.export_name(spec, "png", step=step), mime="image/png",
                       icon="⬇️")

if spec.numerical:
    st.markdown("**Output**")
    out = cached.output(key, x, k)
    st.dataframe(np.round(out, 1), width="content")
