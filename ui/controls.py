"""The convolution-arithmetic controls: a guide preset or a custom case, kept in the URL."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import conv_engine as ce
from ui import links

OP_LABELS = {"conv": "Convolution", "max": "Max pooling", "avg": "Average pooling"}
GROUP_LABELS = {"convolution": "Convolution", "transposed": "Transposed", "numerical": "Numerical"}
MODES = {"preset": "Guide preset", "custom": "Custom"}
PADDING_CHOICES = ("number", "valid", "same", "full")
PALETTES = {"solarized": "Guide (Solarized)", "high-contrast": "High contrast"}
# The names of each palette's input and output colours, for the legend above the figure.
PALETTE_COLOURS = {"solarized": ("blue", "cyan"), "high-contrast": ("dark blue", "yellow")}
SPEEDS = (250, 500, 1000, 2000)  # milliseconds per frame
MAX_SIDE = 32  # largest input side offered; bigger grids are unreadable as animations
MAX_GIF_STEPS = 400  # beyond this no GIF is offered (too long to draw); see MAX_PLAYER_STEPS
DEFAULT_PRESET = "no_padding_no_strides"

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
    """The preset's menu label (the URL carries its name, e.g. ``preset=dilation``)."""
    group, title = GROUP_LABELS[_PRESET_OF_GROUP[name]], ce.preset_title(name)
    return title if group.lower() in title.lower() else f"{group} · {title}"


def _edit_preset_as_custom() -> None:
    """Copy the chosen preset's parameters into the custom widgets (a button callback)."""
    spec = ce.PRESETS[st.session_state.get("preset", DEFAULT_PRESET)]
    ss = st.session_state
    ss.mode = "custom"
    ss.op, ss.transposed, ss.numerical = spec.op, spec.transposed, spec.numerical
    ss.ih, ss.iw = spec.input_size
    ss.kh, ss.kw = spec.kernel_size
    ss.stride, ss.dil, ss.opad = spec.stride[0], spec.dilation[0], spec.output_padding[0]
    ss.pad_mode, ss.pad = "number", spec.pads[0]
    ss.seed = 1234


def _num(where, label: str, lo: int, hi: int, key: str, **kw) -> int:
    return links.number(where, label, lo, hi, CUSTOM_DEFAULTS[key], key, **kw)


def _custom_spec() -> tuple[ce.ConvSpec | None, str | None]:
    """Widgets for a custom case; the spec, or the reason the combination is impossible."""
    d = CUSTOM_DEFAULTS
    op = links.choice(st.selectbox, "Operation", list(OP_LABELS), d["op"], "op",
                      format_func=OP_LABELS.get)
    transposed = links.flag(st.toggle, "Transposed", d["transposed"], "transposed",
                            disabled=op != "conv",
                            help="Only convolutions have a transposed form.")
    transposed = transposed and op == "conv"
    c1, c2 = st.columns(2)
    ih = _num(c1, "Input height", 1, MAX_SIDE, "ih")
    iw = _num(c2, "Input width", 1, MAX_SIDE, "iw")
    kh = _num(c1, "Kernel height", 1, 9, "kh")
    kw = _num(c2, "Kernel width", 1, 9, "kw")
    stride = _num(c1, "Stride", 1, 6, "stride")
    dil = _num(c2, "Dilation", 1, 6, "dil", disabled=op == "avg")
    pad_mode = links.choice(c1.selectbox, "Padding", PADDING_CHOICES, d["pad_mode"], "pad_mode",
                            disabled=transposed,
                            format_func=lambda m: "a number" if m == "number" else m)
    pad = _num(c2, "Padding (cells)", 0, 8, "pad",
               disabled=pad_mode != "number" and not transposed)
    opad = _num(st, "Output padding", 0, 5, "opad", disabled=not transposed,
                help="Extra rows/columns at the bottom/right of a transposed "
                "convolution's output; must be smaller than stride or dilation.")
    padding = pad if transposed or pad_mode == "number" else pad_mode
    numerical = links.flag(st.toggle, "Show numbers", d["numerical"], "numerical")
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
    with st.sidebar:
        mode = links.choice(st.segmented_control, "Case", list(MODES), "preset", "mode",
                            format_func=MODES.get, required=True)
        x = w = None
        if mode == "custom":
            spec, error = _custom_spec()
            if spec is not None and spec.numerical:
                seed = _num(st, "Random values, seed", 0, 2**31 - 1, "seed",
                            help="Seed 1234 gives the guide's numbers.")
                gx, gw = ce.random_data(spec.input_size, spec.kernel_size, seed)
                x, w = as_grid(gx), as_grid(gw)
        else:
            name = links.choice(st.selectbox, "Animation from the guide", list(ce.PRESETS),
                                DEFAULT_PRESET, "preset", format_func=preset_label)
            spec, error = ce.PRESETS[name], None
            st.button("Edit as a custom case", on_click=_edit_preset_as_custom,
                      help="Copy these parameters into the custom controls.")
        st.divider()
        labels = links.flag(st.toggle, "Label input and output", True, "labels")
        palette = links.choice(st.selectbox, "Colours", list(PALETTES), "solarized", "palette",
                               format_func=PALETTES.get)
        speed = links.choice(st.select_slider, "Time per frame", SPEEDS, 1000, "speed",
                             format_func=lambda ms: f"{ms / 1000:g} s")
    return Choice(spec, error, x, w, labels, palette, speed)


def as_grid(a) -> tuple:
    return tuple(tuple(float(v) for v in row) for row in a)
