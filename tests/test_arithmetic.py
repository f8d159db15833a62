"""Output sizes: the relationships of Dumoulin & Visin's guide, and the ConvSpec's rules."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

import conv_engine as ce
from conv_engine.arithmetic import (
    effective_kernel,
    output_size,
    resolve_padding,
    transposed_output_size,
)
from conv_engine.ops import avg_pool2d

SIZES = range(1, 13)
KERNELS = range(1, 7)
STRIDES = range(1, 5)


def cases(*, p_max: int = 4):
    """(i, k, s, p) with a kernel that fits the padded input."""
    for i, k, s, p in itertools.product(SIZES, KERNELS, STRIDES, range(p_max + 1)):
        if k <= i + 2 * p:
            yield i, k, s, p


# --- Direct convolutions (chapter 2) ----------------------------------------------------------


def test_relationship_01_no_padding_unit_strides():
    for i, k in itertools.product(SIZES, KERNELS):
        if k <= i:
            assert output_size(i, k) == (i - k) + 1


def test_relationship_02_zero_padding_unit_strides():
    for i, k, _, p in cases():
        assert output_size(i, k, padding=p) == (i - k) + 2 * p + 1


def test_relationship_03_half_same_padding():
    for i, n in itertools.product(SIZES, range(4)):
        k = 2 * n + 1
        if k <= i + 2 * n:
            assert output_size(i, k, padding=k // 2) == i
    x = np.ones((1, 7, 7))
    for k in (1, 3, 5, 2, 4):  # the "same" mode keeps the size for even kernels too
        assert ce.conv2d(x, np.ones((1, 1, k, k)), padding="same").shape == (1, 7, 7)


def test_relationship_04_full_padding():
    for i, k in itertools.product(SIZES, KERNELS):
        assert output_size(i, k, padding=k - 1) == i + (k - 1)
        assert ce.conv2d(np.ones((1, i, i)), np.ones((1, 1, k, k)), padding="full").shape[1:] == (
            i + k - 1, i + k - 1)


def test_relationship_05_no_padding_non_unit_strides():
    for i, k, s, _ in cases(p_max=0):
        assert output_size(i, k, stride=s) == (i - k) // s + 1


def test_relationship_06_zero_padding_non_unit_strides():
    for i, k, s, p in cases():
        assert output_size(i, k, stride=s, padding=p) == (i + 2 * p - k) // s + 1


def test_relationship_06_the_odd_case_shares_an_output_size():
    # i = 5 and i = 6 (k = 3, s = 2, p = 1) both give o = 3: some input units are left out
    assert output_size(5, 3, stride=2, padding=1) == 3
    assert output_size(6, 3, stride=2, padding=1) == 3


# --- Pooling (chapter 3) ----------------------------------------------------------------------


def test_relationship_07_pooling():
    for i, k, s, _ in cases(p_max=0):
        o = (i - k) // s + 1
        x = np.ones((1, i, i))
        assert ce.max_pool2d(x, k, stride=s).shape == (1, o, o)
        assert avg_pool2d(x, k, stride=s).shape == (1, o, o)


# --- Transposed convolutions (chapter 4): the transpose of a direct convolution with
# (i, k, s, p) takes i' = o back to i. -----------------------------------------------------------


def transposed_of(i, k, s=1, p=0):
    """(i', a) of the transposed convolution of direct (i, k, s, p)."""
    return output_size(i, k, stride=s, padding=p), (i + 2 * p - k) % s


def test_relationship_08_no_padding_unit_strides_transposed():
    for i, k in itertools.product(SIZES, KERNELS):
        if k <= i:
            i_t, _ = transposed_of(i, k)
            assert transposed_output_size(i_t, k) == i_t + (k - 1) == i


def test_relationship_09_zero_padding_unit_strides_transposed():
    for i, k, _, p in cases():
        if p <= k - 1:  # p' = k - p - 1 >= 0
            i_t, _ = transposed_of(i, k, p=p)
            assert transposed_output_size(i_t, k, padding=p) == i_t + (k - 1) - 2 * p == i


def test_relationship_10_half_padding_transposed():
    for i, n in itertools.product(SIZES, range(4)):
        k = 2 * n + 1
        i_t, _ = transposed_of(i, k, p=n)
        assert transposed_output_size(i_t, k, padding=n) == i_t == i


def test_relationship_11_full_padding_transposed():
    for i, k in itertools.product(SIZES, KERNELS):
        i_t, _ = transposed_of(i, k, p=k - 1)
        assert transposed_output_size(i_t, k, padding=k - 1) == i_t - (k - 1) == i


def test_relationship_12_no_padding_non_unit_strides_transposed():
    for i, k, s, _ in cases(p_max=0):
        if (i - k) % s == 0:
            i_t, _ = transposed_of(i, k, s)
            assert transposed_output_size(i_t, k, stride=s) == s * (i_t - 1) + k == i


def test_relationship_13_zero_padding_non_unit_strides_transposed():
    for i, k, s, p in cases():
        if (i + 2 * p - k) % s == 0 and p <= k - 1:
            i_t, _ = transposed_of(i, k, s, p)
            assert transposed_output_size(i_t, k, stride=s, padding=p) == (
                s * (i_t - 1) + k - 2 * p) == i


def test_relationship_14_zero_padding_non_unit_strides_transposed_odd():
    seen_a = set()
    for i, k, s, p in cases():
        if p <= k - 1:
            i_t, a = transposed_of(i, k, s, p)
            seen_a.add(a)
            got = transposed_output_size(i_t, k, stride=s, padding=p, output_padding=a)
            assert got == s * (i_t - 1) + a + k - 2 * p == i
    assert seen_a == {0, 1, 2, 3}
    # The guide's example: i = 6, k = 3, s = 2, p = 1 -> i' = 3, a = 1, back to 6
    assert transposed_of(6, 3, 2, 1) == (3, 1)
    assert transposed_output_size(3, 3, stride=2, padding=1, output_padding=1) == 6


# --- Dilation (chapter 5) ---------------------------------------------------------------------


def test_relationship_15_dilated_convolution():
    for (i, k, s, p), d in itertools.product(cases(), range(1, 4)):
        if k + (k - 1) * (d - 1) <= i + 2 * p:
            assert output_size(i, k, stride=s, padding=p, dilation=d) == (
                (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1)
    assert effective_kernel(3, 2) == 5
    assert output_size(7, 3, dilation=2) == 3  # the guide's figure


def test_transposed_output_size_with_dilation_follows_pytorch():
    # o = (i - 1) s - 2p + d (k - 1) + 1 + a, checked by hand for a few cases
    assert transposed_output_size(3, 3, dilation=2) == 2 + 5
    assert transposed_output_size(4, 2, stride=3, padding=1, output_padding=2, dilation=2) == (
        9 - 2 + 3 + 2)
    # PyTorch allows padding beyond k_eff - 1: it only crops
    assert transposed_output_size(5, 3, padding=3) == 4 - 6 + 3


# --- Bad sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: output_size(5, 3, stride=0), r"stride must be >= 1, got 0"),
        (lambda: output_size(5, 3, dilation=0), r"dilation must be >= 1, got 0"),
        (lambda: output_size(5, 3, padding=-1), r"padding must be >= 0, got -1"),
        (lambda: output_size(5, 8, padding=1), r"kernel_size 8 is larger than the padded input"),
        (lambda: output_size(0, 1), r"input_size must be >= 1"),
        (lambda: output_size(5, 0), r"kernel_size must be >= 1"),
        (lambda: output_size(5, True), r"kernel_size must be an integer, got True"),
        (lambda: output_size(5.0, 3), r"input_size must be an integer"),
        (lambda: output_size(5, 3, stride=True), r"stride must be an integer, got True"),
        (lambda: transposed_output_size(3, 3, stride=2, output_padding=2),
         r"output_padding must be >= 0 and smaller than stride or dilation \(< 2\), got 2"),
        (lambda: transposed_output_size(3, 3, output_padding=-1), r"output_padding must be"),
        (lambda: transposed_output_size(3, 3, padding=-1), r"padding must be >= 0"),
        (lambda: transposed_output_size(1, 3, padding=2), r"padding 2 crops the whole output"),
        (lambda: transposed_output_size(3, 3, stride=0), r"stride must be >= 1"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_sizes_raise_a_value_error_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- ConvSpec ---------------------------------------------------------------------------------


def test_conv_spec_normalises_ints_to_pairs_and_is_frozen_and_hashable():
    spec = ce.ConvSpec(input_size=5, kernel_size=(3, 2), stride=2, padding=1)
    assert spec.input_size == (5, 5)
    assert spec.kernel_size == (3, 2)
    assert spec.stride == (2, 2)
    assert spec.padding == (1, 1)
    assert spec.output_shape == spec.output_size == ((5 + 2 - 3) // 2 + 1, (5 + 2 - 2) // 2 + 1)
    assert spec.steps == 3 * 3
    assert hash(spec) == hash(ce.ConvSpec(5, (3, 2), 2, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.stride = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("mode", "pads", "shape"),
    [
        ("valid", (0, 0, 0, 0), (3, 4)),
        ("same", (1, 1, 0, 1), (5, 5)),
        ("full", (2, 2, 1, 1), (7, 6)),
    ],
)
def test_conv_spec_padding_modes(mode, pads, shape):
    spec = ce.ConvSpec(5, (3, 2), padding=mode)
    assert spec.pads == pads
    assert spec.output_shape == shape


def test_resolve_padding_same_puts_the_odd_extra_at_bottom_right():
    assert resolve_padding("same", (4, 1), (1, 1)) == (1, 2, 0, 0)
    assert resolve_padding("same", (3, 3), (2, 2)) == (2, 2, 2, 2)
    assert resolve_padding("SAME", (2, 2), (1, 1)) == (0, 1, 0, 1)
    assert resolve_padding((1, 3), (3, 3), (1, 1)) == (1, 1, 3, 3)


def test_transposed_spec_sizes():
    spec = ce.ConvSpec(3, 3, stride=2, padding=1, transposed=True, output_padding=1)
    assert spec.output_shape == (6, 6)
    assert spec.steps == 36
    assert spec.pads == (1, 1, 1, 1)


def test_describe_substitutes_the_numbers():
    text = ce.describe(ce.ConvSpec(7, 3, dilation=2))
    assert "k_eff = 2·(3-1)+1 = 5" in text
    assert "⌊(7 + 2·0 - 5)/1⌋ + 1 = 3" in text
    t_text = ce.describe(ce.ConvSpec(3, 3, stride=2, padding=1, transposed=True, output_padding=1))
    assert "(3-1)·2 - 2·1 + 3 + 1 = 6" in t_text
    assert len(text.splitlines()) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stride": 0}, r"stride must be >= 1, got 0"),
        ({"dilation": (1, 0)}, r"dilation must be >= 1, got 0"),
        ({"padding": -1}, r"padding must be >= 0, got -1"),
        ({"kernel_size": 8}, r"kernel_size 8 is larger than the padded input \(5\)"),
        ({"kernel_size": 3, "dilation": 3}, r"kernel_size 3 with dilation 3 \(extent 7\)"),
        ({"input_size": 0}, r"input_size must be >= 1, got 0"),
        ({"stride": True}, r"stride must be an integer, got True"),
        ({"input_size": (5, 5, 5)}, r"input_size must be an int or an \(h, w\) pair"),
        ({"padding": "half"}, r"padding must be .* got 'half'"),
        ({"padding": "same", "stride": 2}, r"padding='same' needs stride 1"),
        ({"op": "min"}, r"op must be one of \('conv', 'max', 'avg'\), got 'min'"),
        ({"op": "max", "padding": 2}, r"padding must be at most half the pooling kernel \(1\)"),
        ({"op": "avg", "dilation": 2}, r"dilation must be 1 for average pooling"),
        ({"op": "max", "transposed": True}, r"op 'max' cannot be transposed"),
        ({"transposed": True, "padding": "same"}, r"padding of a transposed convolution must be a"),
        ({"transposed": True, "stride": 2, "output_padding": 2}, r"output_padding must .* 2"),
        ({"transposed": True, "padding": 3}, r"padding must be <= dilation\*\(kernel_size-1\) = 2"),
        ({"output_padding": 1}, r"output_padding applies only to a transposed convolution"),
        ({"transposed": "no"}, r"transposed must be True or False, got 'no'"),
        ({"numerical": 1}, r"numerical must be True or False, got 1"),
        ({"data": np.ones((4, 4))}, r"data has shape \(4, 4\), input_size is \(5, 5\)"),
        ({"data": np.full((5, 5), "x")}, r"data must be a 2-D numeric array"),
        ({"kernel_data": np.ones((2, 2))}, r"kernel_data has shape \(2, 2\)"),
        ({"kernel_data": np.ones(9)}, r"kernel_data must be a 2-D numeric array"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_conv_spec_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ce.ConvSpec(**{"input_size": 5, "kernel_size": 3, **kwargs})


def test_numpy_booleans_are_taken_as_plain_booleans():
    spec = ce.ConvSpec(5, 3, transposed=np.bool_(True), numerical=np.bool_(False))
    assert spec.transposed is True and spec.numerical is False
    assert spec == ce.ConvSpec(5, 3, transposed=True)  # one cache key for both spellings


def test_too_many_steps_is_refused_for_animation_only():
    big = ce.ConvSpec(101, 1)  # 10,201 output cells
    assert big.steps == 10_201 > ce.MAX_STEPS
    with pytest.raises(ValueError, match=r"101x101 = 10,201 cells is too large to animate"):
        big.check_animatable()
    ce.ConvSpec(100, 1).check_animatable()  # exactly 10,000 is allowed
