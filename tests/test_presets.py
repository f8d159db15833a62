"""The guide's 19 animations: sizes and frame counts from DESIGN.md, and the numerical outputs."""

from __future__ import annotations

import numpy as np
import pytest

import conv_engine as ce
from conv_engine import presets

# DESIGN.md's table, copied by hand: name, i, k, p, s, d, o, transposed, frames
TABLE = [
    ("no_padding_no_strides", 4, 3, 0, 1, 1, 2, False, 4),
    ("arbitrary_padding_no_strides", 5, 4, 2, 1, 1, 6, False, 36),
    ("same_padding_no_strides", 5, 3, 1, 1, 1, 5, False, 25),
    ("full_padding_no_strides", 5, 3, 2, 1, 1, 7, False, 49),
    ("no_padding_strides", 5, 3, 0, 2, 1, 2, False, 4),
    ("padding_strides", 5, 3, 1, 2, 1, 3, False, 9),
    ("padding_strides_odd", 6, 3, 1, 2, 1, 3, False, 9),
    ("dilation", 7, 3, 0, 1, 2, 3, False, 9),
    ("no_padding_no_strides_transposed", 4, 3, 0, 1, 1, 2, True, 16),
    ("arbitrary_padding_no_strides_transposed", 5, 4, 2, 1, 1, 6, True, 25),
    ("same_padding_no_strides_transposed", 5, 3, 1, 1, 1, 5, True, 25),
    ("full_padding_no_strides_transposed", 5, 3, 2, 1, 1, 7, True, 25),
    ("no_padding_strides_transposed", 5, 3, 0, 2, 1, 2, True, 25),
    ("padding_strides_transposed", 5, 3, 1, 2, 1, 3, True, 25),
    ("padding_strides_odd_transposed", 6, 3, 1, 2, 1, 3, True, 36),
    ("numerical_no_padding_no_strides", 5, 3, 0, 1, 1, 3, False, 9),
    ("numerical_padding_strides", 5, 3, 1, 2, 1, 3, False, 9),
    ("numerical_average_pooling", 5, 3, 0, 1, 1, 3, False, 9),
    ("numerical_max_pooling", 5, 3, 0, 1, 1, 3, False, 9),
]
OPS = {"numerical_average_pooling": "avg", "numerical_max_pooling": "max"}
# The extra bottom/right zeros of the transposed odd case: a = (6 + 2*1 - 3) mod 2
OUTPUT_PADDING = {"padding_strides_odd_transposed": 1}

GUIDE_INPUT = [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]]
GUIDE_KERNEL = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]


def test_the_table_holds_exactly_the_guide_animations():
    assert list(ce.PRESETS) == [row[0] for row in TABLE]
    assert len(ce.PRESETS) == 19


@pytest.mark.parametrize("row", TABLE, ids=[row[0] for row in TABLE])
def test_preset_sizes_and_frames(row):
    name, i, k, p, s, d, o, transposed, frames = row
    spec = ce.PRESETS[name]
    assert spec.transposed is transposed
    assert spec.kernel_size == (k, k)
    assert spec.stride == (s, s)
    assert spec.padding == (p, p)
    assert spec.dilation == (d, d)
    assert spec.op == OPS.get(name, "conv")
    assert spec.steps == frames
    if transposed:  # the transpose goes from the direct output back to the direct input
        assert spec.input_size == (o, o)
        assert spec.output_shape == (i, i)
        assert spec.output_padding == (OUTPUT_PADDING.get(name, 0),) * 2
    else:
        assert spec.input_size == (i, i)
        assert spec.output_shape == (o, o)
    assert len(ce.trace(spec).steps) == frames


def test_groups_split_the_table():
    groups = ce.PRESET_GROUPS
    assert [len(groups[g]) for g in ("convolution", "transposed", "numerical")] == [8, 7, 4]
    assert sorted(sum(groups.values(), [])) == sorted(ce.PRESETS)
    assert all(ce.PRESETS[n].transposed for n in groups["transposed"])
    assert all(ce.PRESETS[n].numerical for n in groups["numerical"])


def test_guide_data_is_the_seeded_legacy_rng_draw():
    rng = np.random.RandomState(1234)
    assert rng.randint(0, 4, (5, 5)).tolist() == GUIDE_INPUT
    assert rng.randint(0, 3, (3, 3)).tolist() == GUIDE_KERNEL
    assert np.array(presets.GUIDE_INPUT).tolist() == GUIDE_INPUT
    assert np.array(presets.GUIDE_KERNEL).tolist() == GUIDE_KERNEL


@pytest.mark.parametrize("name", [r[0] for r in TABLE if r[0].startswith("numerical")])
def test_numerical_presets_carry_the_guide_data(name):
    spec = ce.PRESETS[name]
    assert np.array(spec.data).tolist() == GUIDE_INPUT
    if spec.op == "conv":
        assert np.array(spec.kernel_data).tolist() == GUIDE_KERNEL
    else:
        assert spec.kernel_data is None


# The outputs the guide's numerical figures show (worked out by hand from the data above).
EXPECTED = {
    "numerical_no_padding_no_strides": [[12, 12, 17], [10, 17, 19], [9, 6, 14]],
    "numerical_padding_strides": [[6, 17, 3], [8, 17, 13], [6, 4, 4]],
    "numerical_average_pooling": [[15 / 9, 15 / 9, 15 / 9], [9 / 9, 11 / 9, 16 / 9],
                                  [10 / 9, 7 / 9, 12 / 9]],
    "numerical_max_pooling": [[3, 3, 3], [3, 3, 3], [3, 2, 3]],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_numerical_preset_outputs(name):
    out = ce.trace(ce.PRESETS[name]).output
    np.testing.assert_allclose(out, EXPECTED[name], rtol=1e-12)


def test_numerical_outputs_as_the_guide_prints_them():
    out = ce.trace(ce.PRESETS["numerical_average_pooling"]).output
    shown = [[f"{v:.1f}" for v in row] for row in out]
    assert shown == [["1.7", "1.7", "1.7"], ["1.0", "1.2", "1.8"], ["1.1", "0.8", "1.3"]]


def test_one_window_by_hand_no_padding():
    # output (1, 2): input rows 1..3, columns 2..4 times the kernel
    #   [1 3 1]   [0 1 2]
    #   [2 2 3] * [2 2 0]
    #   [0 2 2]   [0 1 2]
    by_hand = (1 * 0 + 3 * 1 + 1 * 2) + (2 * 2 + 2 * 2 + 3 * 0) + (0 * 0 + 2 * 1 + 2 * 2)
    assert by_hand == 19
    assert ce.trace(ce.PRESETS["numerical_no_padding_no_strides"]).output[1, 2] == by_hand


def test_one_window_by_hand_padding_strides():
    # output (0, 0) with p = 1: the window's top row and left column are padding
    #   [0 0 0]   [0 1 2]
    #   [0 3 3] * [2 2 0]
    #   [0 0 0]   [0 1 2]
    by_hand = 0 + (0 * 2 + 3 * 2 + 3 * 0) + 0
    assert by_hand == 6
    # output (1, 1) with s = 2: input rows 1..3, columns 1..3
    by_hand_11 = (0 * 0 + 1 * 1 + 3 * 2) + (1 * 2 + 2 * 2 + 2 * 0) + (0 * 0 + 0 * 1 + 2 * 2)
    assert by_hand_11 == 17
    out = ce.trace(ce.PRESETS["numerical_padding_strides"]).output
    assert (out[0, 0], out[1, 1]) == (by_hand, by_hand_11)


def test_one_window_by_hand_pooling():
    # output (1, 2): input rows 1..3, columns 2..4 = [1 3 1], [2 2 3], [0 2 2]
    avg = ce.trace(ce.PRESETS["numerical_average_pooling"]).output
    mx = ce.trace(ce.PRESETS["numerical_max_pooling"]).output
    assert avg[1, 2] == pytest.approx((1 + 3 + 1 + 2 + 2 + 3 + 0 + 2 + 2) / 9)
    assert mx[1, 2] == 3
    # output (2, 1): rows 2..4, columns 1..3 = [1 2 2], [0 0 2], [0 0 0]
    assert mx[2, 1] == 2


def test_preset_titles():
    assert ce.preset_title("padding_strides_odd") == "Padding, strides, odd"
    assert ce.preset_title("no_padding_no_strides") == "No padding, no strides"
