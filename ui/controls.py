"""The convolution-arithmetic controls: a guide preset or a custom case, kept in the URL."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import conv_engine as ce

OP_LABELS = {"conv": "Convolution", "max": "Max pooling", "avg": "Average pooling"}
GROUP_LABELS = {"convolution": "Convolution", "transposed": "Transposed", "numerical": "Numerical"}
PADDING_CHOICES = ("number", "valid", "same", "full")
PALETTES = {"solarized": "Guide (Solarized)", "high-contrast": "High contrast"}
SPEEDS = {"0.25 s": 250, "0.5 s": 500, "1 s": 1000, "2 s": 2000}
MAX_SIDE = 32  # largest input side offered; bigger grids are unreadable as animations
MAX_GIF_STEPS = 400  # beyond this the scrubber alone is shown: a GIF would take too long

# Custom-case widgets: key -> default. Keys are also the URL's query parameter names.
CUSTOM_DEFAULTS = {
    "op": "conv", "transposed": False, "ih": 5, "iw": 5, "kh": 3, "kw": 3, "stride": 1,
    "pad_mode": "number", "pad": 1, "dil": 1, "opad": 0, "numerical": False, "seed": 1234,
}
_PRESET_OF_GROUP = {n: g for g, names in ce.PRESET_GROUPS.items() for n in names}


@dataclass(frozen=True)
class Choice:
    """What the controls ask for: a spec (or why there is none) and how to show it."""

    spec: ce.ConvSpec | None
    error: str | None
    x: tuple | None
    w: tuple | None
    labels: bool
    palette: str
    duration: int


def preset_label(name: str) -> str:
    """The preset's menu label; with ``bind``, Streamlit also writes this label into the URL."""
    return f"{GROUP_LABELS[_PRESET_OF_GROUP[name]]} · {ce.preset_title(name)}"


def _edit_preset_as_custom() -> None:
    """Copy the chosen preset's parameters into the custom widgets (a button callback)."""
    spec = ce.PRESETS[st.session_state.get("preset", "no_padding_no_strides")]
    ss = st.session_state
    ss.mode = "Custom"
    ss.op, ss.transposed, ss.numerical = spec.op, spec.transposed, spec.numerical
    ss.ih, ss.iw = spec.input_size
    ss.kh, ss.kw = spec.kernel_size
    ss.stride, ss.dil, ss.opad = spec.stride[0], spec.dilation[0], spec.output_padding[0]
    ss.pad_mode, ss.pad = "number", spec.pads[0]
    ss.seed = 1234


def _d(key: str, options: list | tuple | None = None) -> dict:
    """Widget arguments: the default (an index for a selectbox), kept in the URL as ``key``."""
    default = CUSTOM_DEFAULTS[key]
    if options is not None:
        return {"index": list(options).index(default), "bind": "query-params"}
    return {"value": default, "bind": "query-params"}


def _custom_spec() -> tuple[ce.ConvSpec | None, str | None]:
    """Widgets for a custom case; the spec, or the reason the combination is impossible."""
    op = st.selectbox("Operation", list(OP_LABELS), format_func=OP_LABELS.get, key="op",
                      **_d("op", OP_LABELS))
    transposed = st.toggle("Transposed", key="transposed", disabled=op != "conv",
                           help="Only convolutions have a transposed form.", **_d("transposed"))
    transposed = transposed and op == "conv"
    c1, c2 = st.columns(2)
    ih = c1.number_input("Input height", 1, MAX_SIDE, key="ih", **_d("ih"))
    iw = c2.number_input("Input width", 1, MAX_SIDE, key="iw", **_d("iw"))
    kh = c1.number_input("Kernel height", 1, 9, key="kh", **_d("kh"))
    kw = c2.number_input("Kernel width", 1, 9, key="kw", **_d("kw"))
    stride = c1.number_input("Stride", 1, 6, key="stride", **_d("stride"))
    dil = c2.number_input("Dilation", 1, 6, key="dil", disabled=op == "avg", **_d("dil"))
    pad_mode = c1.selectbox("Padding", PADDING_CHOICES, key="pad_mode", disabled=transposed,
                            format_func=lambda m: "a number" if m == "number" else m,
                            **_d("pad_mode", PADDING_CHOICES))
    pad = c2.number_input("Padding (cells)", 0, 8, key="pad",
                          disabled=pad_mode != "number" and not transposed, **_d("pad"))
    opad = st.number_input("Output padding", 0, 5, key="opad", disabled=not transposed,
                           help="Extra rows/columns at the bottom/right of a transposed "
                           "convolution's output; must be smaller than stride or dilation.",
                           **_d("opad"))
    padding = pad if transposed or pad_mode == "number" else pad_mode
    numerical = st.toggle("Show numbers", key="numerical", **_d("numerical"))
    try:
        spec = ce.ConvSpec(
            (ih, iw), (kh, kw), stride, padding, 1 if op == "avg" else dil,
            transposed=transposed, output_padding=opad if transposed else 0, op=op,
            numerical=numerical,
        )
    except ValueError as e:
        return None, str(e)
    return spec, None


def controls() -> Choice:
    """Sidebar controls of the arithmetic page."""
    q = dict(bind="query-params")
    with st.sidebar:
        mode = st.segmented_control("Case", ["Guide preset", "Custom"], key="mode",
                                    default="Guide preset", required=True, **q)
        x = w = None
        if mode == "Custom":
            spec, error = _custom_spec()
            if spec is not None and spec.numerical:
                seed = st.number_input("Random values, seed", 0, 2**31 - 1, key="seed",
                                       help="Seed 1234 gives the guide's numbers.", **_d("seed"))
                gx, gw = ce.random_data(spec.input_size, spec.kernel_size, int(seed))
                x, w = _as_grid(gx), _as_grid(gw)
        else:
            name = st.selectbox("Animation from the guide", list(ce.PRESETS), key="preset",
                                format_func=preset_label, **q)
            spec, error = ce.PRESETS[name], None
            st.button("Edit as a custom case", on_click=_edit_preset_as_custom,
                      help="Copy these parameters into the custom controls.")
        st.divider()
        labels = st.toggle("Label input and output", value=True, key="labels", **q)
        palette = st.selectbox("Colours", list(PALETTES), format_func=PALETTES.get,
                               key="palette", **q)
        speed = st.select_slider("Time per frame", list(SPEEDS), value="1 s", key="speed", **q)
    return Choice(spec, error, x, w, labels, palette, SPEEDS[speed])


def _as_grid(a) -> tuple:
    return tuple(tuple(float(v) for v in row) for row in a)
