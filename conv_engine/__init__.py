"""Convolution engine: arithmetic, vectorised ops, step traces, drawing and GIF export.

NumPy, plus Pillow, imageio and matplotlib for drawing and export; never imports streamlit.
The names here are what the app and the benchmarks use as ``ce.NAME``, and ParameterError,
the engine's error for a bad argument, which the command line catches. Every other public
name is imported from its module (``from conv_engine.costs import reduction_cost``), whose
``__all__`` lists it. tests/test_surface.py keeps this list from regrowing.
"""

# A module the app reads as an attribute (ce.images.EXTENSIONS); the alias marks it as
# re-exported.
from . import images as images
from .architectures import (
    MOBILENET_PRINTED,
    MOBILENET_TABLE2,
    RESNET_STAGES,
    mobilenet_v1,
    resnet_basic,
    resnet_bottleneck,
    separable_pair,
)
from .arithmetic import ConvSpec, describe
from .captions import export_name, fmt, pytorch_code, ratio_phrase, si, step_caption
from .channels import channels_data
from .checks import ParameterError
from .costs import (
    GOOGLENET_INCEPTION,
    INCEPTION_FIELDS,
    NAIVE_INCEPTION,
    PAPER_M,
    PAPER_TOLERANCE,
    NetworkCost,
    conv_cost,
    googlenet_table,
    inception_cost,
    max_pool_comparisons,
    network_cost,
)
from .equivalences import dense_as_1x1, mlp_as_1x1, random_mlp, score_map
from .export import animation_gif, animation_mp4, depth_gif, gif_bytes, png_bytes
from .features import FeatureStack, feature_stack
from .images import SAMPLES, ImageError, LoadedImage, load_image, load_sample
from .layers import Conv
from .limits import MAX_STEPS
from .ops import conv2d, max_pool2d, pointwise, relu
from .player import PlayerData, depth_player_data, player_data, player_style
from .presets import PRESET_GROUPS, PRESETS, preset_title
from .receptive_fields import data_kept, input_mask, input_region, receptive_field
from .reductions import (
    LearnedReduction,
    ReductionCurve,
    learn_pointwise,
    reduction_curve,
    reduction_quality,
    reduction_weights,
)
from .render import Animation, ChannelsAnimation, Style, animation, channels_animation
from .traces import Trace, random_data, trace

__all__ = [
    "GOOGLENET_INCEPTION",
    "INCEPTION_FIELDS",
    "MAX_STEPS",
    "MOBILENET_PRINTED",
    "MOBILENET_TABLE2",
    "NAIVE_INCEPTION",
    "PAPER_M",
    "PAPER_TOLERANCE",
    "PRESETS",
    "PRESET_GROUPS",
    "RESNET_STAGES",
    "SAMPLES",
    "Animation",
    "ChannelsAnimation",
    "Conv",
    "ConvSpec",
    "FeatureStack",
    "ImageError",
    "LearnedReduction",
    "LoadedImage",
    "NetworkCost",
    "ParameterError",
    "PlayerData",
    "ReductionCurve",
    "Style",
    "Trace",
    "animation",
    "animation_gif",
    "animation_mp4",
    "channels_animation",
    "channels_data",
    "conv2d",
    "conv_cost",
    "data_kept",
    "dense_as_1x1",
    "depth_gif",
    "depth_player_data",
    "describe",
    "export_name",
    "feature_stack",
    "fmt",
    "gif_bytes",
    "googlenet_table",
    "inception_cost",
    "input_mask",
    "input_region",
    "learn_pointwise",
    "load_image",
    "load_sample",
    "max_pool2d",
    "max_pool_comparisons",
    "mlp_as_1x1",
    "mobilenet_v1",
    "network_cost",
    "player_data",
    "player_style",
    "png_bytes",
    "pointwise",
    "preset_title",
    "pytorch_code",
    "random_data",
    "random_mlp",
    "ratio_phrase",
    "receptive_field",
    "reduction_curve",
    "reduction_quality",
    "reduction_weights",
    "relu",
    "resnet_basic",
    "resnet_bottleneck",
    "score_map",
    "separable_pair",
    "si",
    "step_caption",
    "trace",
]
