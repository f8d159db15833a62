"""Inception bottlenecks: what 1x1 reductions save, with numbers a reader can check."""

import streamlit as st

import conv_engine as ce
from ui import cached
from ui.common import guard

st.title("Inception bottlenecks")
st.markdown(
    "A 5x5 convolution over many channels is expensive: every output value is a dot product "
    "over 5·5·C inputs. GoogLeNet's Inception modules first squeeze the channels with a cheap "
    "1x1 convolution (a *bottleneck*), then apply the 3x3 or 5x5 to the thin result."
)

st.subheader("The classic example")
naive = ce.conv_cost(192, 32, 5, 28)
reduce, conv5 = ce.conv_cost(192, 16, 1, 28), ce.conv_cost(16, 32, 5, 28)
c1, c2, c3 = st.columns(3)
c1.metric("5x5 straight on 28x28x192 → 32", f"{naive.mult_adds / 1e6:.1f} M mult-adds",
          help="28·28·32 outputs, each 5·5·192 multiplies = 120,422,400")
c2.metric("1x1 to 16 first, then 5x5 → 32", f"{(reduce.mult_adds + conv5.mult_adds) / 1e6:.1f} M",
          help="28·28·16·192 + 28·28·32·5·5·16 = 2,408,448 + 10,035,200")
c3.metric("Saving", f"{naive.mult_adds / (reduce.mult_adds + conv5.mult_adds):.1f}x fewer")
st.caption(
    f"Weights: {naive.params:,} without the bottleneck, "
    f"{reduce.params + conv5.params:,} with it. The output is 28x28x32 either way."
)

st.subheader("One Inception module")
NAMES = ["custom", *ce.GOOGLENET_INCEPTION]
q = dict(bind="query-params")
module = st.selectbox("GoogLeNet module", NAMES, index=1, key="module",
                      format_func=lambda n: "Custom" if n == "custom" else f"inception ({n})",
                      **q)
values = ce.GOOGLENET_INCEPTION.get(module, ce.GOOGLENET_INCEPTION["3a"])
LABELS = {
    "in_channels": "Input channels", "size": "Input size (side)", "n1x1": "#1x1",
    "n3x3_reduce": "#3x3 reduce", "n3x3": "#3x3", "n5x5_reduce": "#5x5 reduce", "n5x5": "#5x5",
    "pool_proj": "pool proj",
}
cols = st.columns(len(ce.INCEPTION_FIELDS))
args = [
    col.number_input(LABELS[name], 1, 4096, int(v), key=f"{name}-{module}",
                     disabled=module != "custom")
    for col, name, v in zip(cols, ce.INCEPTION_FIELDS, values, strict=True)
]
with guard("computing the module's cost"):
    cost = ce.inception_cost(*args)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Output", f"{cost.size[0]}x{cost.size[1]}x{cost.out_channels}")
    m2.metric("Weights", f"{cost.params:,}",
              delta=f"{cost.params - cost.naive_params:,} vs no reductions", delta_color="inverse")
    m3.metric("Multiply-adds", f"{cost.mult_adds / 1e6:,.1f} M",
              delta=f"{(cost.mult_adds - cost.naive_mult_adds) / 1e6:,.1f} M vs no reductions",
              delta_color="inverse")
    m4.metric("Saving", f"{cost.savings:.1f}x fewer mult-adds")
    st.bar_chart(
        {
            "branch": [b.name for b in cost.branches] * 2,
            "multiply-adds (millions)": [b.mult_adds / 1e6 for b in cost.branches]
            + [b.naive_mult_adds / 1e6 for b in cost.branches],
            "version": ["with 1x1 reductions"] * 4 + ["without"] * 4,
        },
        x="branch", y="multiply-adds (millions)", color="version", stack=False, height=300,
    )

st.subheader("GoogLeNet's nine Inception modules")
rows = ce.googlenet_table()
st.dataframe(
    [
        {
            "module": r["module"], "input": f"{r['size']}x{r['size']}x{r['in_channels']}",
            "#1x1": r["n1x1"], "#3x3 reduce": r["n3x3_reduce"], "#3x3": r["n3x3"],
            "#5x5 reduce": r["n5x5_reduce"], "#5x5": r["n5x5"], "pool proj": r["pool_proj"],
            "output channels": r["out_channels"], "weights": f"{r['params']:,}",
            "mult-adds (M)": round(r["mult_adds"] / 1e6, 1),
            "without reductions (M)": round(r["naive_mult_adds"] / 1e6, 1),
        }
        for r in rows
    ],
    hide_index=True,
)
total, total_naive = sum(r["mult_adds"] for r in rows), sum(r["naive_mult_adds"] for r in rows)
st.caption(f"All nine together: {total / 1e9:.2f} G multiply-adds with the 1x1 reductions, "
           f"{total_naive / 1e9:.2f} G without ({total_naive / total:.1f}x).")

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
        st.image(cached.gif(cached.spec_key(spec), None, None, True, "solarized", 500))
        a, b = kept.in_shape, kept.out_shape
        st.markdown(
            f"{a[1]}x{a[2]}x{a[0]} → 1x1 to {K} channels → **{b[1]}x{b[2]}x{b[0]}**: "
            f"{kept.fraction_kept:.1%} of the values, and {kept.fraction_seen:.0%} of the input "
            "pixels influence the output."
        )
