"""Channels, groups and depthwise: a k x k x C_in filter through a stack, grouped and depthwise
convolutions, depthwise separable = depthwise + 1x1, and what 1x1 costs in real networks."""

from fractions import Fraction

import streamlit as st

import conv_engine as ce
from conv_engine.limits import MAX_CHANNEL_VIEW
from ui import channels_cache as cc
from ui import links
from ui.common import guard, show_png, small

MAX = MAX_CHANNEL_VIEW
X = "×"  # in shapes written on the page (the drawings use the font's own)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _groups_label(g: int, c_in: int) -> str:
    if g == 1:
        return "1 (standard)"
    return f"{g} (depthwise)" if g == c_in else str(g)


def _shape(s: tuple[int, int, int]) -> str:
    """(C, H, W) written as H x W x C, the page's convention."""
    return f"{s[1]}{X}{s[2]}{X}{s[0]}"


def _decimal(q: Fraction, places: int = 3) -> str:
    """``= 0.125`` when the decimal is exact, else ``≈ 0.236`` (rounded half away from zero)."""
    text = ce.fmt(float(q), places)
    return f"= {text}" if Fraction(text) == q else f"≈ {text}"


def _ratio_equation(std: ce.NetworkCost, sep: ce.NetworkCost, c_out: int, k: int) -> str:
    """separable / standard multiply-adds, written out with the case's numbers: every ``=``
    exact (fractions), one ``≈`` for the decimal."""
    q = Fraction(sep.mult_adds, std.mult_adds)
    assert q == Fraction(1, c_out) + Fraction(1, k * k)  # Howard et al., eq. 5: exact
    return (f"separable / standard = {sep.mult_adds:,} / {std.mult_adds:,} "
            f"= 1/C_out + 1/k² = 1/{c_out} + 1/{k * k} = {q.numerator}/{q.denominator} "
            f"{_decimal(q)}")


st.title("Channels, groups and depthwise")
st.markdown(
    "Real feature maps have many channels. A k×k convolution over C_in channels has filters of "
    "k×k×C_in weights: each output value is one dot product over a window of **every** input "
    "channel. **Groups** split the channels into g independent blocks: a filter then sees only "
    "the C_in/g channels of its block, and costs g times less. With g = C_in the convolution "
    "is **depthwise**: one k×k filter a channel, no mixing between channels at all. Mixing is "
    "left to a cheap 1x1 convolution: that pair is the *depthwise separable* convolution of "
    "Xception and MobileNet."
)

# ---------------------------------------------------------------------------------------------
st.subheader("One filter through a stack of channels")
row1 = st.columns(4)
c_in = links.number(row1[0], "Input channels C_in", 1, MAX["C_in"], 4, "ch-cin", slug="cin")
divisors = _divisors(c_in)
groups = links.choice(row1[1].select_slider, "Groups g", divisors, 2 if 2 in divisors else 1,
                      "ch-g", slug="g",
                      format_func=lambda g: _groups_label(g, c_in),
                      help="1: every filter sees every channel. C_in: depthwise, one channel "
                      "a filter. Must divide C_in and C_out.")
outs = list(range(groups, MAX["C_out"] + 1, groups))
c_out = links.choice(row1[2].selectbox, "Output channels C_out", outs,
                     c_in if c_in in outs else outs[0], "ch-cout", slug="cout",
                     help="A multiple of g: each group has C_out/g filters.")
side = links.slider(row1[3], "Input side H = W", 3, MAX["H"], 5, "ch-side", slug="side")
row2 = st.columns(4)
k = links.choice(row2[0].selectbox, "Kernel k", [1, 3, 5], 3, "ch-k", slug="k")
stride = links.choice(row2[1].selectbox, "Stride", [1, 2, 3], 1, "ch-s", slug="s")
padding = links.choice(row2[2].selectbox, "Padding", [0, 1, 2], 1, "ch-p", slug="p")
seed = links.number(row2[3], "Values seed", 0, 9999, 0, "ch-seed", slug="seed",
                    help="The small integers of the input and the weights in the captions.")

case = (c_in, c_out, side, k, stride, padding, groups)
with guard("drawing the channels view"):
    out_shape = cc.layer(case).output_shape(cc.shape(case))
    filt = links.slider(st, "Filter (output channel) to follow", 0, c_out - 1, 0, "ch-f",
                        slug="f")
    per_in, per_out = c_in // groups, c_out // groups
    q = filt // per_out
    seen = f"channel {q * per_in}" if per_in == 1 else \
        f"channels {q * per_in}–{(q + 1) * per_in - 1}"
    st.markdown(
        f"Filter {filt} is {k}×{k}×{per_in}: it sees input {seen} only (blue; pale: the "
        f"channels it never reads) and fills output channel {filt} (cyan). The filters in the "
        f"middle stand level with the channels they multiply"
        + (": every filter reaches every channel." if groups == 1 else
           f": {groups} groups of {per_out} filter{'s' if per_out > 1 else ''}, each beside "
           f"its own {per_in} channel{'s' if per_in > 1 else ''}.")
    )
    steps = out_shape[1] * out_shape[2]
    name = f"channels_{side}x{side}x{c_in}_k{k}_s{stride}_p{padding}_g{groups}_to_{c_out}_f{filt}"
    anim_tab, step_tab = st.tabs(["Animation", "Step by step"])
    with anim_tab:
        gif = cc.gif(case, filt)
        st.image(gif, alt=f"Animation: filter {filt} ({k}x{k}x{per_in}) sliding over a "
                 f"{side}x{side}x{c_in} input in {groups} group(s), filling output channel "
                 f"{filt} of {c_out}")
        small(f"{steps} frames, one per output cell of filter {filt}.")
        st.download_button("Download GIF", gif, file_name=f"{name}.gif", mime="image/gif",
                           icon="⬇️", on_click="ignore")
    with step_tab:
        step = links.slider(st, "Step", 1, steps, 1, "ch-step", slug="step",
                            help="Walk through the output cells of the filter one at a time.") - 1
        png = cc.frame_png(case, filt, step)
        text = cc.caption(case, seed, filt, step)
        show_png(png, alt=f"Step {step + 1} of {steps}: filter {filt} over input {seen}, "
                 f"output cell {divmod(step, out_shape[2])}")
        st.markdown(text)
        st.download_button("Download this step (PNG)", png, file_name=f"{name}_step{step + 1}.png",
                           mime="image/png", icon="⬇️", on_click="ignore")
    cost = ce.network_cost([cc.layer(case)], cc.shape(case)).rows[0]
    small(
        f"This layer: {c_out}·{per_in}·{k}·{k} = {cost.weights:,} weights (C_out·C_in/g·k²; "
        f"no biases here) and {out_shape[1]}·{out_shape[2]}·{cost.weights:,} = "
        f"{cost.mult_adds:,} multiply-adds for its {_shape(out_shape)} output"
        + ("." if groups == 1 else f": {groups} times fewer than with g = 1.")
    )

# ---------------------------------------------------------------------------------------------
st.subheader("Depthwise separable = depthwise k×k + pointwise 1x1")
st.markdown(
    "A standard k×k convolution filters space and mixes channels in one step. MobileNet and "
    "Xception split it: a **depthwise** k×k convolution filters each channel alone, then a "
    "**pointwise 1x1** convolution mixes the channels at every pixel. The output has the same "
    "shape; the cost drops to 1/C_out + 1/k² of the standard one. Below, your case from "
    "above (groups aside)."
)


def _cost_column(column, title: str, params: int, params_sum: str, mult_adds: int,
                 mult_adds_sum: str) -> None:
    """One side of the comparison: its title and two metrics, each with the sum behind it."""
    with column:
        st.markdown(title)
        m1, m2 = st.columns(2)
        m1.metric("Parameters", ce.si(params), help=params_sum)
        m2.metric("Multiply-adds", ce.si(mult_adds), help=mult_adds_sum)


with guard("comparing with the depthwise separable pair"):
    standard, separable = ce.separable_pair(c_in, c_out, k, side, stride=stride,
                                            padding=padding)
    std, sep = standard.cost(), separable.cost()
    dw_case = (c_in, c_in, side, k, stride, padding, c_in)
    mid = sep.rows[0].out_shape
    pw_case = (c_in, c_out, mid[1], 1, 1, 0, 1)
    dw, pw = sep.rows
    left, right = st.columns(2, gap="large")
    _cost_column(left, f"**Standard {k}×{k}**: {_shape(std.input_shape)} → "
                 f"{_shape(std.output_shape)}",
                 std.params, f"{c_out}·{c_in}·{k}·{k} = {std.params:,} weights "
                 "(no biases: a batch norm follows)",
                 std.mult_adds, f"{std.output_shape[1]}·{std.output_shape[2]}·"
                 f"{std.weights:,} = {std.mult_adds:,}")
    _cost_column(right, f"**Depthwise {k}×{k} + pointwise 1x1**: {_shape(sep.input_shape)} → "
                 f"{_shape(mid)} → {_shape(sep.output_shape)}",
                 sep.params, f"{c_in}·{k}·{k} + {c_in}·{c_out} = "
                 f"{dw.weights:,} + {pw.weights:,} = {sep.params:,} weights",
                 sep.mult_adds, f"{dw.mult_adds:,} + {pw.mult_adds:,} = {sep.mult_adds:,}")
    st.markdown(f"{_ratio_equation(std, sep, c_out, k)}: the pair needs "
                f"**{ce.ratio_phrase(sep.mult_adds, std.mult_adds)}** multiply-adds. Without "
                "biases, the parameters are in the same ratio.")
    figures = [
        (f"Standard {k}×{k}", (c_in, c_out, side, k, stride, padding, 1),
         f"standard_{k}x{k}_{c_in}_to_{c_out}",
         f"Standard {k}x{k} convolution: filter 0 ({k}x{k}x{c_in}) reads every input channel"),
        (f"Depthwise {k}×{k}", dw_case, f"depthwise_{k}x{k}_{c_in}",
         f"Depthwise {k}x{k} convolution: filter 0 ({k}x{k}x1) reads input channel 0 only"),
        ("Pointwise 1x1", pw_case, f"pointwise_1x1_{c_in}_to_{c_out}",
         f"Pointwise 1x1 convolution: filter 0 (1x1x{c_in}) mixes the {c_in} depthwise "
         "outputs at each pixel"),
    ]
    for tab, (_, fcase, fname, alt) in zip(st.tabs([f[0] for f in figures]), figures,
                                            strict=True):
        with tab:
            g = cc.gif(fcase, 0)
            st.image(g, alt=f"Animation: {alt}")
            st.download_button("Download GIF", g, file_name=f"{fname}.gif", mime="image/gif",
                               icon="⬇️", on_click="ignore", key=f"ch-dl-{fname}")

st.markdown("**At a real layer's size**")
rc = st.columns(5)
r_cin = links.number(rc[0], "C_in", 1, 4096, 512, "ch-rcin", slug="rcin")
r_cout = links.number(rc[1], "C_out", 1, 4096, 512, "ch-rcout", slug="rcout")
r_k = links.choice(rc[2].selectbox, "k", [1, 3, 5, 7], 3, "ch-rk", slug="rk")
r_side = links.number(rc[3], "H = W", 1, 1024, 14, "ch-rside", slug="rside")
r_s = links.choice(rc[4].selectbox, "Stride", [1, 2], 1, "ch-rs", slug="rs")
with guard("computing the costs"):
    standard, separable = ce.separable_pair(r_cin, r_cout, r_k, r_side, stride=r_s)
    std, sep = standard.cost(), separable.cost()
    m = st.columns(4)
    m[0].metric("Standard mult-adds", ce.si(std.mult_adds), help=f"{std.mult_adds:,}")
    m[1].metric("Separable mult-adds", ce.si(sep.mult_adds), help=f"{sep.mult_adds:,}")
    m[2].metric("Standard params", ce.si(std.params), help=f"{std.params:,} weights")
    m[3].metric("Separable params", ce.si(sep.params), help=f"{sep.params:,} weights")
    small(f"{_shape(std.input_shape)} → {_shape(std.output_shape)} either way (padding "
               f"{(r_k - 1) // 2}). {_ratio_equation(std, sep, r_cout, r_k)}: "
               f"{ce.ratio_phrase(sep.mult_adds, std.mult_adds)} multiply-adds. With many "
               "output channels the 1/k² term dominates: about k² times cheaper.")

# ---------------------------------------------------------------------------------------------
st.subheader("1x1 in real networks: MobileNet v1")
st.markdown(
    "MobileNet v1 is one full 3x3 convolution followed by 13 depthwise separable blocks, an "
    "average pool and a 1000-way dense layer. The depthwise layers are so cheap that almost "
    "all the work moves into the 1x1 convolutions after them. Change the width multiplier α "
    "(every layer α times as many channels) or the input size and watch the costs move: about "
    "α² and (size/224)²."
)
mc = st.columns(2)
alpha = links.choice(mc[0].select_slider, "Width multiplier α", [0.25, 0.5, 0.75, 1.0], 1.0,
                     "ch-alpha", slug="alpha")
res = links.choice(mc[1].select_slider, "Input size", [128, 160, 192, 224], 224, "ch-res",
                   slug="res", format_func=lambda r: f"{r}x{r}")
with guard("computing MobileNet's costs"):
    net = ce.mobilenet_v1(alpha, res).cost()
    kinds = net.by_kind()
    one, dw = kinds["1x1 conv"], kinds["3x3 depthwise conv"]
    m = st.columns(4)
    m[0].metric("Multiply-adds", ce.si(net.mult_adds), help=f"{net.mult_adds:,}: the "
                "multiplications of the convolutions and the dense layer")
    m[1].metric("Parameters", ce.si(net.params), help=f"{net.weights:,} weights + "
                f"{net.biases:,} biases (the dense layer's; batch norm, not counted, follows "
                "every convolution)")
    m[2].metric("1x1 share of mult-adds", f"{one[0] / net.mult_adds:.1%}",
                help=f"{one[0]:,} of {net.mult_adds:,}")
    m[3].metric("Depthwise share", f"{dw[0] / net.mult_adds:.1%}",
                help=f"{dw[0]:,} of {net.mult_adds:,}")
    printed = ce.MOBILENET_PRINTED.get((alpha, res))
    if printed is not None:
        ma_m, p_m = printed
        small(
            f"Howard et al. (2017) print {ma_m} M mult-adds and {p_m} M parameters for this "
            f"model: computed {net.mult_adds / 1e6:.1f} M and {net.weights / 1e6:.2f} M weights "
            "(the paper counts weights, no biases or batch norm)"
            + (" — its 290 M is 290.7 M truncated; the other rows are rounded."
               if (alpha, res) == (1.0, 160) else ".")
        )
    png = cc.mobilenet_png(alpha, res)
    show_png(png, alt=f"Bar chart: multiply-adds of each MobileNet v1 layer at width {alpha:g} "
             f"and {res}x{res}; the pointwise 1x1 layers are the tall bars")
    st.download_button("Download chart (PNG)", png, file_name=f"mobilenet_v1_{alpha:g}_{res}.png",
                       mime="image/png", icon="⬇️", on_click="ignore")
    table2 = ce.MOBILENET_TABLE2 if (alpha, res) == (1.0, 224) else {}
    st.dataframe(
        [{"layers": kind, "mult-adds": f"{ce.si(ma)} ({ma / net.mult_adds:.2%})",
          "weights": f"{ce.si(w)} ({w / net.weights:.2%})",
          **({"paper, Table 2": f"{table2[kind][0]:.2f}%, {table2[kind][1]:.2f}%"}
             if table2 else {})}
         for kind, (ma, w) in kinds.items() if kind in table2 or not table2 and (ma or w)],
        hide_index=True,
    )
    if table2:
        small("Table 2 prints 1.19 % for the full 3x3 convolution's mult-adds: the model "
                   "gives 1.91 %, the same digits swapped (with 1.19 % the four shares add up "
                   "to 99.29 %).")
    with st.expander("MobileNet v1 layer by layer"):
        st.dataframe(
            [{"layer": r.name, "kind": r.kind, "output (H x W x C)": _shape(r.out_shape),
              "parameters": r.params, "mult-adds": r.mult_adds,
              "share": f"{r.mult_adds / net.mult_adds:.1%}"} for r in net.rows],
            hide_index=True,
        )

st.subheader("1x1 in real networks: ResNet's bottleneck")
st.markdown(
    "ResNet-50 wraps each 3x3 convolution in two 1x1 convolutions: one squeezes the channels "
    "by 4, the 3x3 works on the thin map, the other restores the width. Against two 3x3 "
    "layers on the same map:"
)


def _stage_label(s: str) -> str:
    c, _, side = ce.RESNET_STAGES[s]
    return f"{s} ({side}x{side}x{c})"


stage = links.choice(st.selectbox, "Stage", list(ce.RESNET_STAGES), "conv2_x", "ch-stage",
                     slug="stage", format_func=_stage_label)
with guard("computing ResNet's costs"):
    c, w, sz = ce.RESNET_STAGES[stage]
    bott = ce.resnet_bottleneck(c, w, sz).cost()
    plain = ce.resnet_basic(c, sz).cost()
    basic = ce.resnet_basic(w, sz).cost()
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**Bottleneck**: 1x1 {c}→{w}, 3x3 {w}→{w}, 1x1 {w}→{c}")
        m1, m2 = st.columns(2)
        m1.metric("Parameters", ce.si(bott.params), help=" + ".join(
            f"{r.weights:,}" for r in bott.rows) + f" = {bott.params:,} weights")
        m2.metric("Multiply-adds", ce.si(bott.mult_adds), help=f"{bott.mult_adds:,}")
    with right:
        st.markdown(f"**Two 3x3 layers**, {c}→{c}→{c}")
        m1, m2 = st.columns(2)
        m1.metric("Parameters", ce.si(plain.params), help=f"2·{c}·{c}·9 = {plain.params:,}")
        m2.metric("Multiply-adds", ce.si(plain.mult_adds), help=f"{plain.mult_adds:,}")
    png = cc.resnet_png(stage)
    show_png(png, alt=f"Bar chart: multiply-adds of the bottleneck block and of two 3x3 layers "
             f"at {sz}x{sz}x{c}")
    st.download_button("Download chart (PNG)", png, file_name=f"resnet_{stage}.png",
                       mime="image/png", icon="⬇️", on_click="ignore", key="ch-dl-resnet")
    small(
        f"Same {_shape(bott.output_shape)} output: the bottleneck needs "
        f"{ce.ratio_phrase(bott.mult_adds, plain.mult_adds)} multiply-adds. He et al. (2016) "
        f"compare it with ResNet-34's block, two 3x3 layers on a {w}-channel map: "
        f"{ce.si(basic.mult_adds)} multiply-adds, about the same as the bottleneck's "
        f"{ce.si(bott.mult_adds)}, for a block {c // w} times wider. No biases (a batch norm "
        "follows each convolution); the shortcut's additions are not counted."
    )
