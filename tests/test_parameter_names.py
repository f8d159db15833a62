"""The drawings', the player's, the captions' and the image loader's argument errors are
ParameterErrors naming the parameter: ``err.name`` is what the message names, and the
message is the one it always was."""

from __future__ import annotations

import numpy as np
import pytest

from conv_engine.arithmetic import ConvSpec
from conv_engine.captions import (
    channels_caption,
    depth_caption,
    dot_terms,
    export_name,
    fmt,
    step_caption,
)
from conv_engine.channels import channels_data
from conv_engine.checks import ParameterError
from conv_engine.images import crop_center, load_image, load_sample
from conv_engine.layers import Conv, Pool, check_channel_case
from conv_engine.player import depth_player_data, player_data
from conv_engine.render.channels import channels_animation
from conv_engine.render.depth import depth_animation, depth_geometry
from conv_engine.render.geometry import make_geometry
from conv_engine.render.maps import maps_grid
from conv_engine.render.scene import animation
from conv_engine.render.style import Style
from conv_engine.traces import trace

X, W = np.ones((3, 2, 2)), np.ones((2, 3))
LAYER = Conv(4, 3, 1, 1, groups=2, bias=False)
CX, CW = channels_data(LAYER, (4, 5, 5))


def _nan_x() -> np.ndarray:
    x = X.copy()
    x[0, 0, 0] = np.nan
    return x


@pytest.mark.parametrize(
    ("call", "name", "message"),
    [
        # render/geometry.py: the canvas
        (lambda: make_geometry((200, 200), (198, 198), Style(min_cell=30), False), "grid_shape",
         "grid too large to draw: "),
        # render/scene.py
        (lambda: animation(trace(ConvSpec(4, 3))).frame(4), "step",
         "step must be an integer from 0 to 3, got 4"),
        # render/style.py
        (lambda: Style(palette="sepia"), "palette",
         "palette must be one of ('solarized', 'high-contrast'), got 'sepia'"),
        (lambda: Style(cell=2), "cell", "cell must be an integer >= 4, got 2"),
        (lambda: Style(supersample=9), "supersample",
         "supersample must be an integer from 1 to 8, got 9"),
        # render/channels.py and the check it shares with the captions (layers.py)
        (lambda: channels_animation(Conv(4, 3), (9, 5, 5)), "C_in",
         "C_in must be at most 8 for the channels view, got 9"),
        (lambda: channels_animation(Conv(4, 7), (4, 7, 7)), "kernel",
         "kernel must be at most 5 for the channels view, got 7"),
        (lambda: channels_animation(Conv(4, 3, dilation=2), (4, 5, 5)), "dilation",
         "dilation must be 1 for the channels view, got 2"),
        (lambda: channels_animation(Pool(2), (4, 5, 5)), "layer",
         "layer must be a Conv, got Pool"),
        (lambda: check_channel_case(Conv(4, 3, padding=3), (4, 5, 5)), "padding",
         "padding must be at most 2 for the channels view, got 3"),
        (lambda: channels_animation(Conv(4, 3), (4, 5, 5), 4), "filter",
         "filter must be an integer from 0 to 3, got 4"),
        (lambda: channels_animation(Conv(4, 3), (4, 5, 5), style="x"), "style",
         "style must be a Style, got str"),
        (lambda: channels_animation(Conv(4, 3), (4, 5, 5)).frame(9), "step",
         "step must be an integer from 0 to 8, got 9"),
        # render/depth.py
        (lambda: depth_animation(np.ones((17, 2, 2)), np.ones((2, 17))), "C_in",
         "C_in must be from 1 to 16 for the schematic depth view, got 17 "),
        (lambda: depth_animation(X, np.ones((5, 3)), numerical=True), "C_out",
         "C_out must be from 1 to 4 for the numerical depth view, got 5 "),
        (lambda: depth_geometry(3, 2, 9, 2), "H",
         "H must be from 1 to 8 for the schematic depth view, got 9 "),
        (lambda: depth_animation(X, np.ones((2, 4))), "w",
         "w must have shape (C_out, C_in) = (2, 3) to match the 3 channels of x, "
         "got w.shape[1] = 4"),
        (lambda: depth_animation(np.ones((3, 2)), W), "x",
         "x must have shape (C_in, H, W) (none empty), got shape (3, 2)"),
        (lambda: depth_animation(X, W, [1.0, 2.0, 3.0]), "b",
         "b must be a numeric array of shape (C_out,) = (2,), got shape (3,) and dtype "
         "float64"),
        (lambda: depth_animation(_nan_x(), W), "x", "x must be finite (no NaN or infinity)"),
        (lambda: depth_animation(X, W, channel_names=["r", "g"]), "channel_names",
         "channel_names must have one name per input channel (3), got 2"),
        (lambda: depth_animation(X, W).patch_arrays(4), "index",
         "index must be an integer from 0 to 3 (H*W - 1), got 4"),
        # captions.py: the depth and channels captions
        (lambda: depth_caption(X, W, None, -1), "index",
         "index must be an integer from 0 to 3 (H*W - 1), got -1"),
        (lambda: depth_caption(np.array(["a"]), W), "x", "x must be numeric, got dtype <U1"),
        (lambda: channels_caption(CX, CW, LAYER, 4, 0), "filter",
         "filter must be an integer from 0 to 3, got 4"),
        (lambda: channels_caption(CX, CW, LAYER, 0, 25), "step",
         "step must be an integer from 0 to 24, got 25"),
        (lambda: channels_caption(CX, CW[:, :1], LAYER, 0, 0), "w",
         "w must have shape (4, 2, 3, 3) for this layer and input, got (4, 1, 3, 3)"),
        (lambda: channels_caption(CX, CW, Conv(4, 3, dilation=2), 0, 0), "dilation",
         "dilation must be 1 for the channels view, got 2"),
        # captions.py: numbers, sums and names
        (lambda: fmt("twelve"), "v", "v must be a number, got str"),
        (lambda: fmt(1.5, places=21), "places", "places must be an integer from 0 to 20, got 21"),
        (lambda: fmt(1.5, places=1, min_places=2), "min_places",
         "min_places must be <= places (1), got 2"),
        (lambda: dot_terms([1, 2], [1], result=1), "weights",
         "values and weights must have one size, got 2 and 1"),
        (lambda: step_caption(trace(ConvSpec(4, 3)), 4), "step", "step must be from 0 to 3, got 4"),
        (lambda: step_caption(trace(ConvSpec(4, 3)), "1"), "step",
         "step must be a Step or an integer, got '1'"),
        (lambda: export_name(ConvSpec(4, 3), "g/if"), "ext",
         "ext must be a file extension such as 'gif', got 'g/if'"),
        (lambda: export_name(ConvSpec(4, 3), "gif", step=0), "step",
         "step must be None or an integer from 1 to 4 (steps count from 1), got 0"),
        # player.py
        (lambda: player_data(trace(ConvSpec(21, 1))), "trace",
         "441 steps are too many for the player (at most 400); use smaller sizes"),
        (lambda: depth_player_data(X, np.ones((2, 4))), "w", "w must have shape (C_out, C_in)"),
        # images.py
        (lambda: load_image(b"x", work_side=0), "work_side", "work_side must be >= 1, got 0"),
        (lambda: load_image("photo.png"), "data", "data must be bytes, got str"),
        (lambda: load_sample("Lena"), "name", "name must be one of 'Coffee cup', "),
        (lambda: crop_center(np.zeros((4, 5)), 0, 3), "height", "height must be >= 1, got 0"),
        (lambda: crop_center(np.zeros((4, 5)), 1, 2.5), "width",
         "width must be an integer, got 2.5"),
        (lambda: crop_center(np.zeros(5), 1, 1), "a",
         "a must be (H, W), (H, W, C) or (C, H, W), got shape (5,)"),
        # render/maps.py
        (lambda: maps_grid(np.zeros((2, 3, 3)), ["one"]), "names",
         "names must have one entry per map (2), got 1"),
    ],
)
def test_argument_errors_name_their_parameter(call, name, message):
    with pytest.raises(ParameterError) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert info.value.name == name
    assert str(info.value).startswith(message)
