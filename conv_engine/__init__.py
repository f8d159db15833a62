"""Convolution engine: arithmetic, vectorised ops, step traces, drawing and GIF export.

Pure NumPy (plus Pillow/imageio for drawing and export); never imports streamlit.
"""

from .arithmetic import (
    MAX_STEPS,
    ConvSpec,
    GridLayout,
    describe,
    effective_kernel,
    grid_layout,
    output_size,
    receptive_cells,
    resolve_padding,
    transposed_output_size,
    window,
)
from .ops import avg_pool2d, conv2d, conv_transpose2d, max_pool2d, pointwise, relu
from .presets import GUIDE_INPUT, GUIDE_KERNEL, PRESET_GROUPS, PRESETS, preset_title
from .trace import Step, Trace, default_data, trace

__all__ = [
    "GUIDE_INPUT",
    "GUIDE_KERNEL",
    "MAX_STEPS",
    "PRESETS",
    "PRESET_GROUPS",
    "ConvSpec",
    "GridLayout",
    "Step",
    "Trace",
    "avg_pool2d",
    "conv2d",
    "conv_transpose2d",
    "default_data",
    "describe",
    "effective_kernel",
    "grid_layout",
    "max_pool2d",
    "output_size",
    "pointwise",
    "preset_title",
    "receptive_cells",
    "relu",
    "resolve_padding",
    "trace",
    "transposed_output_size",
    "window",
]
