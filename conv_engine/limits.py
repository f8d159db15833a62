"""Every limit of the engine in one place: how large a case, an array or a file may be.

Each limit says, in one line, why it is there. The engine refuses what passes a limit
*before* doing the work, with a :class:`~conv_engine.checks.ParameterError` naming the
parameter, so that a size parameter (which costs nothing to type) can never make a call take
unbounded time or memory. The sizes that split work into pieces (``*_BAND_BYTES``,
``DEPTHWISE_BLOCK_BYTES``) live here too: they bound the scratch memory of one call. MP4s
share the GIFs' frame durations, so both exports of one case last the same.

The drawings' limits live here as well: the largest case each view draws, the canvas, the
supersampling budgets, the player's, and how many terms a caption writes out. What the app's
widgets offer stays with the app.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- animations
MAX_STEPS = 10_000  # one frame per output cell of a ConvSpec: beyond this it is no animation
MAX_GRID_CELLS = 1_000_000  # the drawn grid is built cell by cell, even for a few steps
MAX_KERNEL_TAPS = 1_024  # each step lists its kernel taps one by one, even for a few steps

# --------------------------------------------------------------------------- array ops
MAX_OP_VALUES = 2**27  # new values of one op call, all its arrays together: 1 GiB of float64
MAX_POOL_TAPS = 2**16  # pooling reduces its windows one kernel tap at a time, in Python
CONV_BAND_BYTES = 8 * 2**20  # conv2d's im2col band: stays in cache, and few BLAS hand-offs
DEPTHWISE_BLOCK_BYTES = 2**20  # depthwise output channels a block: in cache for all k*k taps

# --------------------------------------------------------------------------- receptive fields
MAX_TRACED_SIDE = 4096  # axes (padding included) followed pixel by pixel: masks grow with it
MAX_RECEPTIVE_FIELD = 2**52  # field size or |start|: a float start is exact only up to here

# --------------------------------------------------------------------------- feature stacks
MAX_GABOR_ORIENTATIONS = 32  # each orientation adds maps as large as the image, per scale
MAX_GABOR_SCALES = 4  # octaves of 4 to 32 px wavelengths, named "fine" to "coarsest"
GABOR_BAND_BYTES = 64 * 2**20  # Gabor output a conv2d band: 12 MP never holds the whole bank
MAX_SAMPLE_PIXELS = 50_000  # pixels of a stack's statistics: stable, and cheap at any size
MAX_LEARN_STEPS = 100_000  # learn_pointwise keeps one loss a step and runs them in sequence

# --------------------------------------------------------------------------- networks
MIN_MOBILENET_RESOLUTION = 32  # MobileNet v1's five stride-2 layers leave at least 1x1
MAX_MOBILENET_RESOLUTION = 1024  # over four times the paper's largest input (224)

# --------------------------------------------------------------------------- drawings
MAX_CANVAS_SIDE = 4000  # px a side of the largest canvas allocated, whatever the grid
# Largest stacks the depth view draws: schematic (colours only), numerical (numbers on tiles).
MAX_DEPTH_SCHEMATIC = {"C_in": 16, "C_out": 8, "H": 8, "W": 8}
MAX_DEPTH_NUMERICAL = {"C_in": 8, "C_out": 4, "H": 8, "W": 8}
# Largest case the channels view draws: eight channels and a 7x7 map keep every sheet readable.
MAX_CHANNEL_VIEW = {"C_in": 8, "C_out": 8, "H": 7, "W": 7, "kernel": 5, "stride": 3,
                    "padding": 2}
# Supersampling: a bigger canvas is drawn at a lower factor (quick, a little less smooth).
MAX_ARITHMETIC_SUPERSAMPLED_SIDE = 4000  # px a side of the guide's views, supersampled
MAX_DEPTH_SUPERSAMPLED_PIXELS = 4_500_000  # pixels of the depth view, supersampled
MAX_CHANNELS_SUPERSAMPLED_PIXELS = 6_000_000  # pixels of the channels view, supersampled

# --------------------------------------------------------------------------- player
# Most steps a player takes (as many as a GIF of the app). The heaviest case the controls
# allow within it, a 20x20 input, 9x9 kernel, dilation 2, padding 8 (400 steps of 81 shaded
# taps), measured 3.1 MB of payload, half its GIF's 6.6 MB.
MAX_PLAYER_STEPS = 400
# Smallest cell sides (px) of the player's drawings: its view is larger than a GIF's, and the
# numerical view's smallest numbers (the kernel's weights, 0.26 of a cell) then reach
# 16 px at full size, 14 px at the 0.85 scale a laptop's page gives it.
MIN_PLAYER_CELL = 40
MIN_PLAYER_NUMERICAL_CELL = 64

# --------------------------------------------------------------------------- captions
# Products a caption writes out; beyond, the middle of the sum is elided ("…").
MAX_STEP_CAPTION_TERMS = 12  # an arithmetic step: every tap of a kernel up to 3x3 and more
MAX_DEPTH_CAPTION_TERMS = 8  # a 1x1 dot product, one product a channel (the default)
MAX_CHANNELS_CAPTION_TERMS = 9  # one channel's sum in the channels view: a 3x3 window

# --------------------------------------------------------------------------- images
MAX_PIXELS = 50_000_000  # refused from the header: JPEG decodes reduced, a few MB at 50 MP
MAX_FULL_DECODE_PIXELS = 16_000_000  # other formats decode at full size: still a 12 MP photo
WORK_SIDE = 1024  # longest side feature maps are computed at: their cost grows as its square
MAX_FRAME_COUNT_BYTES = 2_000_000  # GIF/TIFF frames are counted in Python: seconds past this

# --------------------------------------------------------------------------- export
MIN_FRAME_DURATION = 20  # ms a frame: browsers slow anything faster down to 100 ms
MAX_FRAME_DURATION = 655_350  # ms a frame: GIF delays are hundredths of a second in 16 bits
MAX_EXPORT_SCALE = 8  # an 8x frame has 64 times the pixels, all of them encoded

__all__ = [
    "CONV_BAND_BYTES",
    "DEPTHWISE_BLOCK_BYTES",
    "GABOR_BAND_BYTES",
    "MAX_ARITHMETIC_SUPERSAMPLED_SIDE",
    "MAX_CANVAS_SIDE",
    "MAX_CHANNELS_CAPTION_TERMS",
    "MAX_CHANNELS_SUPERSAMPLED_PIXELS",
    "MAX_CHANNEL_VIEW",
    "MAX_DEPTH_CAPTION_TERMS",
    "MAX_DEPTH_NUMERICAL",
    "MAX_DEPTH_SCHEMATIC",
    "MAX_DEPTH_SUPERSAMPLED_PIXELS",
    "MAX_EXPORT_SCALE",
    "MAX_FRAME_COUNT_BYTES",
    "MAX_FRAME_DURATION",
    "MAX_FULL_DECODE_PIXELS",
    "MAX_GABOR_ORIENTATIONS",
    "MAX_GABOR_SCALES",
    "MAX_GRID_CELLS",
    "MAX_KERNEL_TAPS",
    "MAX_LEARN_STEPS",
    "MAX_MOBILENET_RESOLUTION",
    "MAX_OP_VALUES",
    "MAX_PIXELS",
    "MAX_PLAYER_STEPS",
    "MAX_POOL_TAPS",
    "MAX_RECEPTIVE_FIELD",
    "MAX_SAMPLE_PIXELS",
    "MAX_STEPS",
    "MAX_STEP_CAPTION_TERMS",
    "MAX_TRACED_SIDE",
    "MIN_FRAME_DURATION",
    "MIN_MOBILENET_RESOLUTION",
    "MIN_PLAYER_CELL",
    "MIN_PLAYER_NUMERICAL_CELL",
    "WORK_SIDE",
]
