"""Every gallery GIF decodes to the same frames and durations as before the renderer and
export rework (frames and durations of the GIFs written at commit bb81760, hashed)."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

import conv_engine as ce
from conv_engine.export import trace_to_gif

# preset -> (sha256 of the decoded RGB frames and their durations, first 16 hex; total ms)
BEFORE = {
    "no_padding_no_strides": ("090d5d9ff98fd504", 4000),
    "arbitrary_padding_no_strides": ("19e01624c4449342", 36000),
    "same_padding_no_strides": ("332e70fb7bda7e63", 25000),
    "full_padding_no_strides": ("71973ad4f142ea55", 49000),
    "no_padding_strides": ("198ce72ef35985b7", 4000),
    "padding_strides": ("bd0339b38136dad5", 9000),
    "padding_strides_odd": ("39925c26b365d2d0", 9000),
    "dilation": ("f5db547fa2524de0", 9000),
    "no_padding_no_strides_transposed": ("6df663dcdd14e386", 16000),
    "arbitrary_padding_no_strides_transposed": ("770e95c32b1878b2", 25000),
    "same_padding_no_strides_transposed": ("332e70fb7bda7e63", 25000),
    "full_padding_no_strides_transposed": ("4f0ceb9c96d86323", 25000),
    "no_padding_strides_transposed": ("41a66ffe5aab1b26", 25000),
    "padding_strides_transposed": ("b0f81caabf3a3b74", 25000),
    "padding_strides_odd_transposed": ("aed242eaa067299b", 36000),
    "numerical_no_padding_no_strides": ("73fa4014fcb93b2c", 9000),
    "numerical_padding_strides": ("d1e30dd8ab07ef5f", 9000),
    "numerical_average_pooling": ("99b5686bbb1f42c7", 9000),
    "numerical_max_pooling": ("ca319a955092b597", 9000),
}


def _fingerprint(gif: bytes) -> tuple[str, int]:
    h, total = hashlib.sha256(), 0
    for frame in ImageSequence.Iterator(Image.open(io.BytesIO(gif))):
        rgb = np.asarray(frame.convert("RGB"))
        duration = frame.info.get("duration", 0)
        h.update(rgb.tobytes())
        h.update(str(rgb.shape).encode())
        h.update(str(duration).encode())
        total += duration
    return h.hexdigest()[:16], total


def test_every_preset_is_covered():
    assert set(BEFORE) == set(ce.PRESETS)


@pytest.mark.parametrize("name", list(BEFORE))
def test_gallery_gif_frames_are_unchanged(name):
    assert _fingerprint(trace_to_gif(ce.trace(ce.PRESETS[name]))) == BEFORE[name]
