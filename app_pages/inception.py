"""Inception bottlenecks: what 1x1 reductions save, with numbers a reader can check."""

import streamlit as st

import conv_engine as ce
from ui import cached, links
from ui.common import guard, small

st.title("Inception bottlenecks")
st.markdown(
    "A 5x5 convolution over many channels is expensive: every output value is a dot product "
    "over 5·5·C inputs. GoogLeNet's Inception modules first squeeze the channels with a cheap "
    "1x1 convolution (a *bottleneck*), then apply the 3x3 or 5x5 to the thin result.\n\n"
    "On this page **parameters** are weights + biases (one bias per output channel, as "
    "PyTorch counts them) and **multiply-adds** count the multiplications; shapes are "
    "H x W x C."
)

st.subheader("The classic example")
SIDE, C_IN, RED, C_OUT = 28, 192, 16, 32
naive = ce.conv_cost(C_IN, C_OUT, 5, SIDE)
reduce, conv5 = ce.conv_cost(C_IN, RED, 1, SIDE), ce.conv_cost(RED, C_OUT, 5, SIDE)
bottleneck = reduce.mult_adds + conv5.mult_adds
c1, c2, c3 = st.columns(3)
c1.metric("Mult-adds, 5x5 directly", ce.si(naive.mult_adds),
          help=f"5x5 straight on {SIDE}x{SIDE}x{C_IN} → {C_OUT}: {SIDE}·{SIDE}·{C_OUT} outputs, "
          f"each 5·5·{C_IN} multiplications = {naive.mult_adds:,}")
c2.metric("Mult-adds, 1x1 then 5x5", ce.si(bottleneck),
          help=f"1x1 to {RED} first, then 5x5 → {C_OUT}: {SIDE}·{SIDE}·{RED}·{C_IN} + "
          f"{SIDE}·{SIDE}·{C_OUT}·5·5·{RED} = {reduce.mult_adds:,} + {conv5.mult_adds:,} "
          f"= {bottleneck:,}")
c3.metric("Bottleneck mult-adds", ce.ratio_phrase(bottleneck, naive.mult_adds),
          help=f"{naive.mult_adds:,} / {bottleneck:,} = {naive.mult_adds / bottleneck:.2f}")
small(
    f"The output is {SIDE}x{SIDE}x{C_OUT} either way. Parameters (weights + biases): "
    f"{naive.params:,} without the bottleneck ({naive.weights:,} + {naive.biases}), "
    f"{reduce.params + conv5.params:,} with it ({reduce.weights:,} + {reduce.biases} for the "
    f"1x1, {conv5.weights:,} + {conv5.biases} for the 5x5)."
)

NAMES = ["custom", *ce.GOOGLENET_INCEPTION]
# field -> (URL slug, label); a custom module lives in the URL under these slugs.
INPUTS = {
    "in_channels": ("cin", "Input channels"), "size": ("size", "Side (H = W)"),
    "n1x1": ("n1", "#1x1"), "n3x3_reduce": ("r3", "#3x3 reduce"), "n3x3": ("n3", "#3x3"),
    "n5x5_reduce": ("r5", "#5x5 reduce"), "n5x5": ("n5", "#5x5"), "pool_proj": ("pp", "pool proj"),
}
MAX_INPUT = 4096


@links.fragment
def module_section() -> None:
    """One module's cost: its controls rerun only this part."""
    st.subheader("One Inception module")
    module = links.choice(st.selectbox, "GoogLeNet module", NAMES, "3a", "module",
                          format_func=lambda n: "Custom" if n == "custom" else f"inception ({n})")
    cols = st.columns(len(ce.INCEPTION_FIELDS))
    if module == "custom":  # starts from inception (3a)
        args = [
            links.number(col, INPUTS[name][1], 1, MAX_INPUT, v, f"inc-{INPUTS[name][0]}",
                         slug=INPUTS[name][0])
            for col, name, v in zip(cols, ce.INCEPTION_FIELDS, ce.GOOGLENET_INCEPTION["3a"],
                                    strict=True)
        ]
    else:  # the paper's module, shown read-only
        args = list(ce.GOOGLENET_INCEPTION[module])
        for col, name, v in zip(cols, ce.INCEPTION_FIELDS, args, strict=True):
            col.number_input(INPUTS[name][1], 1, MAX_INPUT, v, key=f"{INPUTS[name][0]}-{module}",
                             disabled=True)
    with guard("computing the module's cost"):
        cost = ce.inception_cost(*args)
        h, w = cost.size
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Output channels", f"{cost.out_channels:,}",
                  help=f"{' + '.join(str(b.out_channels) for b in cost.branches)} concatenated; "
                  f"every branch keeps the {h}x{w} map: the output is {h}x{w}x{cost.out_channels}.")
        m2.metric("Params (weights + biases)", f"{cost.params:,}",
                  help=f"{cost.weights:,} weights + {cost.params - cost.weights:,} biases (one per "
                  "output channel of each of the six convolutions).")
        m3.metric("Multiply-adds", ce.si(cost.mult_adds),
                  help=f"{cost.mult_adds:,} = {h}·{w} positions × {cost.weights:,} weights "
                  "(multiplications only).")
        m4.metric("Mult-adds vs unreduced", ce.ratio_phrase(cost.mult_adds, cost.naive_mult_adds),
                  help=f"{cost.mult_adds:,} against {cost.naive_mult_adds:,} "
                  f"{ce.NAIVE_INCEPTION}.")
        small(
            f"Unreduced = {ce.NAIVE_INCEPTION}: {cost.naive_params:,} parameters and "
            f"{ce.si(cost.naive_mult_adds)} multiply-adds, against {cost.params:,} and "
            f"{ce.si(cost.mult_adds)} with the reductions. The pool branch's 3x3 max pool has no "
            "parameters and does comparisons, not multiply-adds: they are not counted."
        )
        # A Vega-Lite spec as a plain dict: st.bar_chart builds an Altair chart and validates
        # it against the schema on every run (two thirds of this section's time).
        versions = ("with 1x1 reductions", "unreduced")
        st.vega_lite_chart({
            "data": {"values": [
                {"branch": br.name, "version": version, "multiply-adds (millions)": v / 1e6}
                for br in cost.branches
                for version, v in zip(versions, (br.mult_adds, br.naive_mult_adds), strict=True)
            ]},
            "mark": {"type": "bar", "tooltip": True},
            "height": 300,
            "encoding": {
                "x": {"field": "branch", "type": "nominal", "sort": None,
                      "axis": {"labelAngle": 0}},
                "xOffset": {"field": "version", "sort": versions},
                "y": {"field": "multiply-adds (millions)", "type": "quantitative"},
                "color": {"field": "version", "type": "nominal",
                          "sort": versions,
                          "legend": {"orient": "bottom", "title": None}},
            },
        })

module_section()

st.subheader("GoogLeNet's nine Inception modules")
rows = ce.googlenet_table()


def _disagreement(r: dict) -> str:
    """Where Table 1 as printed is off its own columns by more than the tolerance."""
    off = []
    if not r["params_agree"]:
        off.append(f"params {r['paper_params_k']} K vs {r['weights_k']:.1f} K "
                   f"({r['params_diff']:+.1%})")
    if not r["ops_agree"]:
        off.append(f"ops {r['paper_ops_m']} M vs {r['ops_m']:.1f} M ({r['ops_diff']:+.1%})")
    return "⚠ " + "; ".join(off) if off else "agrees"


st.dataframe(
    [
        {
            "module": r["module"],
            "input (H x W x C)": f"{r['size']}x{r['size']}x{r['in_channels']}",
            "#1x1": r["n1x1"], "#3x3 reduce": r["n3x3_reduce"], "#3x3": r["n3x3"],
            "#5x5 reduce": r["n5x5_reduce"], "#5x5": r["n5x5"], "pool proj": r["pool_proj"],
            "output C": r["out_channels"], "weights": f"{r['weights']:,}",
            "weights (K)": round(r["weights_k"], 1), "paper params (K)": r["paper_params_k"],
            "mult-adds (M)": round(r["ops_m"], 1), "paper ops (M)": r["paper_ops_m"],
            "paper vs computed": _disagreement(r),
            "unreduced mult-adds (M)": round(r["naive_mult_adds"] / ce.PAPER_M, 1),
        }
        for r in rows
    ],
    hide_index=True,
    column_config={
        "weights": st.column_config.TextColumn(help="Weights only, no biases, as Table 1 "
                                               "counts them"),
        "weights (K)": st.column_config.NumberColumn(help="Weights ÷ 1024: the paper's K"),
        "paper params (K)": st.column_config.NumberColumn(help="Table 1 as printed"),
        "mult-adds (M)": st.column_config.NumberColumn(help="Multiply-adds ÷ 10⁶"),
        "paper ops (M)": st.column_config.NumberColumn(help="Table 1 as printed"),
        "unreduced mult-adds (M)": st.column_config.NumberColumn(
            help=f"Multiply-adds {ce.NAIVE_INCEPTION}"),
    },
)
r3a = rows[0]
flagged = [r["module"] for r in rows if not (r["params_agree"] and r["ops_agree"])]
small(
    "Table 1 of Szegedy et al. (2015), *Going deeper with convolutions*, as printed, beside "
    "the figures computed from each module's own columns. Its params are **weights only** "
    f"(no biases) in K = 1024: {r3a['module']} has {r3a['weights']:,} weights, "
    f"÷ 1024 = {r3a['weights_k']:.1f} K, printed {r3a['paper_params_k']}K. Its ops are "
    f"multiply-adds in M = 10⁶: {r3a['mult_adds']:,} = {r3a['ops_m']:.1f} M, printed "
    f"{r3a['paper_ops_m']}M. ⚠ marks a printed figure more than {ce.PAPER_TOLERANCE:.0%} from "
    f"the computed one ({', '.join(flagged) or 'none'}); the other figures agree within "
    f"{ce.PAPER_TOLERANCE:.0%}."
)
total, total_naive = sum(r["mult_adds"] for r in rows), sum(r["naive_mult_adds"] for r in rows)
small(f"All nine together: {ce.si(total, 2)} multiply-adds with the 1x1 reductions, "
           f"{ce.si(total_naive, 2)} unreduced: the reductions need "
           f"{ce.ratio_phrase(total, total_naive)} multiply-adds.")

st.subheader("1x1 with strides, 1x1 with max pooling")
st.markdown(
    "Both shrink the map, but differently. A **strided 1x1** reads only every s-th pixel: the "
    "others never reach the output. A **max pool** after a 1x1 looks at every pixel and keeps "
    "the strongest response of each window."
)
C, H, K = 64, 56, 16
left, right = st.columns(2)
CASES = [
    (left, "1x1 convolution, stride 2", ce.ConvSpec(6, 1, 2), ce.data_kept(C, H, H, K, stride=2)),
    (right, "2x2 max pooling, stride 2", ce.ConvSpec(6, 2, 2, op="max"),
     ce.data_kept(C, H, H, K, pool=2)),
]
for col, title, spec, kept in CASES:
    with col, guard("drawing the example"):
        st.markdown(f"**{title}**")
        st.image(cached.gif(cached.spec_key(spec), None, None, True, "solarized", 500),
                 alt=f"Animation: {title} over a 6x6 map, one frame per output cell")
        a, b = kept.in_shape, kept.out_shape
        st.markdown(
            f"{a[1]}x{a[2]}x{a[0]} → 1x1 to {K} channels → **{b[1]}x{b[2]}x{b[0]}** "
            f"(H x W x C): {kept.fraction_kept:.1%} of the values, and "
            f"{kept.fraction_seen:.0%} of the input pixels influence the output."
        )
