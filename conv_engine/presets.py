"""The animations of the convolution-arithmetic guide (Dumoulin & Visin), as a data table.

Columns follow the guide's direct convolution (i, k, p, s, d). A transposed entry animates the
transpose of that convolution: its input is the direct output ``o`` and its output is ``i``,
with ``output_padding = (i + 2p - k_eff) mod s`` so that odd sizes come back exactly.
"""

from __future__ import annotations

from .arithmetic import ConvSpec, effective_kernel, output_size

# The guide's numerical data: numpy legacy RNG, seed 1234, randint(0,4,(5,5)), randint(0,3,(3,3)).
GUIDE_INPUT = ((3, 3, 2, 1, 0), (0, 0, 1, 3, 1), (3, 1, 2, 2, 3), (2, 0, 0, 2, 2), (2, 0, 0, 0, 1))
GUIDE_KERNEL = ((0, 1, 2), (2, 2, 0), (0, 1, 2))

# name, i, k, p, s, d, kind  (kind: conv, transposed, or the numerical op)
_TABLE = [
    ("no_padding_no_strides", 4, 3, 0, 1, 1, "conv"),
    ("arbitrary_padding_no_strides", 5, 4, 2, 1, 1, "conv"),
    ("same_padding_no_strides", 5, 3, 1, 1, 1, "conv"),
    ("full_padding_no_strides", 5, 3, 2, 1, 1, "conv"),
    ("no_padding_strides", 5, 3, 0, 2, 1, "conv"),
    ("padding_strides", 5, 3, 1, 2, 1, "conv"),
    ("padding_strides_odd", 6, 3, 1, 2, 1, "conv"),
    ("dilation", 7, 3, 0, 1, 2, "conv"),
    ("no_padding_no_strides_transposed", 4, 3, 0, 1, 1, "transposed"),
    ("arbitrary_padding_no_strides_transposed", 5, 4, 2, 1, 1, "transposed"),
    ("same_padding_no_strides_transposed", 5, 3, 1, 1, 1, "transposed"),
    ("full_padding_no_strides_transposed", 5, 3, 2, 1, 1, "transposed"),
    ("no_padding_strides_transposed", 5, 3, 0, 2, 1, "transposed"),
    ("padding_strides_transposed", 5, 3, 1, 2, 1, "transposed"),
    ("padding_strides_odd_transposed", 6, 3, 1, 2, 1, "transposed"),
    ("numerical_no_padding_no_strides", 5, 3, 0, 1, 1, "numerical conv"),
    ("numerical_padding_strides", 5, 3, 1, 2, 1, "numerical conv"),
    ("numerical_average_pooling", 5, 3, 0, 1, 1, "numerical avg"),
    ("numerical_max_pooling", 5, 3, 0, 1, 1, "numerical max"),
]


def _spec(i: int, k: int, p: int, s: int, d: int, kind: str) -> ConvSpec:
    if kind == "conv":
        return ConvSpec(i, k, s, p, d)
    if kind == "transposed":
        o = output_size(i, k, stride=s, padding=p, dilation=d)
        a = (i + 2 * p - effective_kernel(k, d)) % s
        return ConvSpec(o, k, s, p, d, transposed=True, output_padding=a)
    op = kind.split()[1]
    return ConvSpec(
        i, k, s, p, d, op=op, numerical=True, data=GUIDE_INPUT,
        kernel_data=GUIDE_KERNEL if op == "conv" else None,
    )


PRESETS: dict[str, ConvSpec] = {row[0]: _spec(*row[1:]) for row in _TABLE}

PRESET_GROUPS: dict[str, list[str]] = {
    "convolution": [n for n, *_, kind in _TABLE if kind == "conv"],
    "transposed": [n for n, *_, kind in _TABLE if kind == "transposed"],
    "numerical": [n for n, *_, kind in _TABLE if kind.startswith("numerical")],
}


_PHRASES = ("no_padding", "arbitrary_padding", "same_padding", "full_padding", "no_strides",
            "average_pooling", "max_pooling")


def preset_title(name: str) -> str:
    """A human title: 'same_padding_no_strides' -> 'Same padding, no strides'."""
    parts, rest = [], name
    while rest:
        head = next((p for p in _PHRASES if rest.startswith(p)), rest.split("_")[0])
        parts.append(head.replace("_", " "))
        rest = rest[len(head):].lstrip("_")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


__all__ = [
    "GUIDE_INPUT",
    "GUIDE_KERNEL",
    "PRESETS",
    "PRESET_GROUPS",
    "preset_title",
]
