"""Convolution engine: arithmetic, vectorised ops, step traces, drawing and GIF export.

Pure NumPy (plus Pillow/imageio for drawing and export); never imports streamlit. Each
module lists its public names in its own ``__all__``; they are all available here.
"""

from . import (
    architectures,
    arithmetic,
    captions,
    channels,
    checks,
    costs,
    equivalences,
    export,
    features,
    images,
    layers,
    limits,
    ops,
    player,
    presets,
    receptive_fields,
    reductions,
    render,
    trace,
)
from .render import depth  # the 1x1-through-depth drawing, as ce.depth

_MODULES = (architectures, arithmetic, captions, channels, checks, costs, depth, equivalences,
            export, features, images, layers, limits, ops, player, presets, receptive_fields,
            reductions, render, trace)

from .architectures import *  # noqa: E402, F403
from .arithmetic import *  # noqa: E402, F403
from .captions import *  # noqa: E402, F403
from .channels import *  # noqa: E402, F403
from .checks import *  # noqa: E402, F403
from .costs import *  # noqa: E402, F403
from .equivalences import *  # noqa: E402, F403
from .export import *  # noqa: E402, F403
from .features import *  # noqa: E402, F403
from .images import *  # noqa: E402, F403
from .layers import *  # noqa: E402, F403
from .limits import *  # noqa: E402, F403
from .ops import *  # noqa: E402, F403
from .player import *  # noqa: E402, F403
from .presets import *  # noqa: E402, F403
from .receptive_fields import *  # noqa: E402, F403
from .reductions import *  # noqa: E402, F403
from .render import *  # noqa: E402, F403
from .render.depth import *  # noqa: E402, F403

# Last, so that ``trace`` names the function, as it always has; the module stays importable
# as ``conv_engine.trace`` through the package's submodule machinery.
from .trace import *  # noqa: E402, F403

__all__ = [name for module in _MODULES for name in module.__all__]
