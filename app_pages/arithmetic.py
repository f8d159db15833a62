"""Convolution arithmetic: any of the guide's animations, or a custom case."""

import numpy as np
import streamlit as st

import conv_engine as ce
from conv_engine.limits import MAX_PLAYER_STEPS
from ui import cached, links
from ui.common import guard, index_slider, show_png
from ui.controls import MAX_GIF_STEPS, OP_LABELS, PALETTE_COLOURS, as_grid, controls
from ui.player import player

st.title("Convolution arithmetic")
legend = st.empty()  # filled once the palette is known



def _editor_key(name: str, case: tuple) -> str:
    return f"edit-{name}-{hash(case)}"


def _edited(where, name: str, base: np.ndarray, case: tuple) -> np.ndarray:
    """An editable grid of ``base``; empty or invalid cells count as 0 (with a note)."""
    where.markdown(f"**{name}**")
    got = np.asarray(where.data_editor(base, key=_editor_key(name, case), width="stretch"),
                     dtype=float)
    if not np.isfinite(got).all():
        where.markdown(":small[Empty cells count as 0.]")
        got = np.nan_to_num(got, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(got, -1e6, 1e6)


def _title(spec: ce.ConvSpec, edited: bool) -> str:
    """What the animation shows, in words (the player's name and its frames' alt text)."""
    def hw(p: tuple[int, int]) -> str:
        return f"{p[0]}x{p[1]}"

    what = "Transposed convolution" if spec.transposed else OP_LABELS[spec.op]
    pad = spec.padding if isinstance(spec.padding, str) else hw(spec.padding)
    parts = [f"{what} of a {hw(spec.input_size)} input", f"{hw(spec.kernel_size)} kernel",
             f"stride {hw(spec.stride)}", f"padding {pad}", f"dilation {hw(spec.dilation)}"]
    if spec.transposed and spec.output_padding != (0, 0):
        parts.append(f"output padding {hw(spec.output_padding)}")
    return ", ".join(parts) + (" (edited numbers)" if edited else "")


def _reset(case: tuple) -> None:
    for name in ("Input", "Kernel"):
        st.session_state.pop(_editor_key(name, case), None)
    links.forget_grid("x")
    links.forget_grid("w")


choice = controls()
spec = choice.spec
colour_in, colour_out = PALETTE_COLOURS[choice.palette]
# The figure's legend as small body text: st.caption's faded grey reads 3.9:1 on white.
legend.markdown(
    f":small[{colour_in.capitalize()}: the input, {colour_out}: the output, white with dashes: "
    "padding (and, for transposed convolutions, the zeros inserted between input cells). The "
    "shadow is the kernel.]"
)
if spec is None:
    st.warning(f"This combination is impossible: {choice.error}", icon="🚫")
    st.stop()

st.markdown("**Output size**")
st.code(ce.describe(spec), language=None, wrap_lines=True)
h, w = spec.output_shape
if spec.steps > ce.MAX_STEPS:
    st.warning(f"The output has {h}x{w} = {spec.steps:,} cells: too many to animate "
               f"(at most {ce.MAX_STEPS:,}). Choose smaller sizes.", icon="✋")
    st.stop()

x, k = choice.x, choice.w
edited = False
if spec.numerical:
    gx, gk = cached.data(cached.spec_key(spec), x, k)
    # Edits belong to this case (spec and its data): another preset gets fresh numbers.
    case = (cached.spec_key(spec), x, k)
    lx = links.grid("x", gx.shape, case)
    lk = links.grid("w", gk.shape, case) if spec.op == "conv" else None
    with st.expander("Edit the numbers", expanded=lx is not None or lk is not None):
        c1, c2 = st.columns([3, 2])
        ex = _edited(c1, "Input", gx if lx is None else lx, case)
        ek = _edited(c2, "Kernel", gk if lk is None else lk, case) if spec.op == "conv" else gk
        edited = not (np.array_equal(ex, gx) and np.array_equal(ek, gk))
        links.keep_grid("x", ex, gx)
        if spec.op == "conv":
            links.keep_grid("w", ek, gk)
        if edited:
            st.button("Reset to the original numbers", on_click=_reset, args=(case,),
                      icon="↩️")
        st.markdown(":small[Edited numbers travel in the page's link.]")
    if edited:
        st.info("These are edited numbers, not the "
                + ("guide's." if choice.x is None else "seeded ones."), icon="✏️")
        x, k = as_grid(ex), as_grid(ek)

key = cached.spec_key(spec)


def file_name(ext: str, step: int | None = None) -> str:
    """The export's name from its parameters; edited numbers say so."""
    name = ce.export_name(spec, ext, step=step)
    return name.replace(f".{ext}", f"_edited.{ext}") if edited else name


title = _title(spec, edited)
with guard("drawing the animation"):
    if spec.steps <= MAX_PLAYER_STEPS:
        # Every frame, caption and cell outline goes to the browser at once: playing,
        # stepping and hovering then happen there, with no round trip to the server.
        png_name = file_name("png", 1).replace("_step1", "_step{step}")
        player(cached.player_payload(key, x, k, choice.labels, choice.palette,
                                     choice.duration, title, png_name), key="arith-player")
    else:
        st.info(f"{spec.steps:,} steps are too many for the player (at most "
                f"{MAX_PLAYER_STEPS:,}): walk through them with the slider, one step at a "
                "time.", icon="ℹ️")
        step = index_slider("Step", spec.steps, "step", one_based=True,
                            help="Walk through the output cells one at a time.")
        png = cached.frame_png(key, x, k, choice.labels, choice.palette, step)
        text = cached.caption(key, x, k, step)
        show_png(png, alt=f"{title}, step {step + 1} of {spec.steps}: {text}")
        st.markdown(text)
        st.download_button("Download this frame (PNG)", png, on_click="ignore",
                           file_name=file_name("png", step + 1), mime="image/png",
                           icon="⬇️")

st.markdown("**In PyTorch**")
st.code(ce.pytorch_code(spec), language="python", wrap_lines=True)
if spec.steps <= MAX_GIF_STEPS:
    gif_args = (key, x, k, choice.labels, choice.palette, choice.duration)
    # The GIF (the download a class uses) is drawn with the page, as bytes: a file made on
    # click can be swept before the browser fetches it when the server is busy (the load run
    # lost 6 of 30 that way). The MP4 takes seconds more to encode, so it is made on click.
    # No rerun on click: a rerun would release the file too.
    frames = f"{spec.steps} frames, {choice.duration / 1000:g} s each"
    g, m = st.columns(2, width=420)
    g.download_button("Download GIF", cached.gif(*gif_args),
                      file_name=file_name("gif"), mime="image/gif", icon="⬇️",
                      on_click="ignore", help=f"{frames}, looping: for web pages and slides.")
    m.download_button("Download MP4", lambda: cached.mp4(*gif_args),
                      file_name=file_name("mp4"), mime="video/mp4", icon="⬇️",
                      on_click="ignore", help=f"{frames}, H.264: for slides and videos.")

if spec.numerical:
    st.markdown("**Output**")
    out = cached.output(key, x, k)
    st.dataframe(np.round(out, 4), width="content")
