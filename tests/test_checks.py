"""One exception for bad arguments: a ParameterError is a ValueError with the message it always
had, and ``name`` says which parameter it is about, in every module of the engine."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import conv_engine as ce
from conv_engine.arithmetic import window
from conv_engine.checks import ParameterError
from conv_engine.export import spec_to_gif, write_gallery
from conv_engine.layers import Pool


@pytest.mark.parametrize(
    ("call", "name", "message"),
    [
        (lambda: ce.ConvSpec(5, 3, stride=0), "stride", "stride must be >= 1, got 0"),
        (lambda: ce.ConvSpec(4, 3, dilation=3), "kernel_size",
         "kernel_size 3 with dilation 3 (extent 7) is larger than the padded input (4)"),
        (lambda: ce.ConvSpec(5, 3, op="min"), "op",
         "op must be one of ('conv', 'max', 'avg'), got 'min'"),
        (lambda: ce.ConvSpec(5, 3, numerical=1), "numerical",
         "numerical must be True or False, got 1"),
        (lambda: ce.ConvSpec(5, 3, output_padding=1), "output_padding",
         "output_padding applies only to a transposed convolution"),
        (lambda: ce.ConvSpec(300, 1).check_animatable(), "spec",
         "output of 300x300 = 90,000 cells is too large to animate (at most 10,000 steps); "
         "use smaller sizes"),
        (lambda: window(ce.ConvSpec(5, 3), 3, 0), "r",
         "r must be from 0 to 2 (the output size), got 3"),
        (lambda: ce.conv2d(np.ones((2, 5, 5)), np.ones((3, 1, 3, 3)), groups=2), "groups",
         "groups must divide the output channels: w.shape[0] gives 3, not a multiple of "
         "groups=2"),
        (lambda: ce.pointwise(np.ones((2, 3, 3)), np.ones((4, 2)), np.ones(3)), "bias",
         "bias must have 4 entries (one per output channel), got 3"),
        (lambda: ce.relu(np.array(["a"])), "x", "x must be numeric, got dtype <U1"),
        (lambda: ce.Conv(4, 3, bias=1), "bias", "bias must be True or False, got 1"),
        (lambda: Pool(3, padding=2), "padding",
         "padding must be at most half the pooling kernel (1), got 2"),
        (lambda: ce.conv_cost(0, 1, 1, 1), "in_channels", "in_channels must be >= 1, got 0"),
        (lambda: ce.network_cost([ce.Conv(4, 3)], (3, 8)), "input_shape",
         "input_shape must be a (C, H, W) triple, got (3, 8)"),
        (lambda: ce.googlenet_table(-1), "tolerance",
         "tolerance must be a finite number >= 0, got -1"),
        (lambda: ce.mobilenet_v1(alpha=5), "alpha", "alpha must be a number in (0, 4], got 5"),
        (lambda: ce.mobilenet_v1(resolution=16), "resolution",
         "resolution must be from 32 to 1024, got 16"),
        (lambda: ce.receptive_field([]), "layers",
         "layers must be a non-empty sequence of layers, got []"),
        (lambda: ce.data_kept(3, 4, 4, 2, pool=5), "pool",
         "pool must be at most the strided height ceil(4/1) = 4, got 5"),
        (lambda: ce.random_mlp([4, 0]), "sizes[1]", "sizes[1] must be >= 1, got 0"),
        (lambda: ce.feature_stack(np.zeros((4, 4)), orientations=0), "orientations",
         "orientations must be between 1 and 32, got 0"),
        (lambda: ce.reduction_weights(np.ones((3, 2, 2)), 2, "pca", standardize=1),
         "standardize", "standardize must be True or False, got 1"),
        (lambda: ce.learn_pointwise(np.ones((3, 2, 2)), 1, momentum=1), "momentum",
         "momentum must be a number in [0, 1), got 1"),
        (lambda: ce.gif_bytes([]), "frames", "an animation needs at least one frame"),
        (lambda: spec_to_gif(ce.ConvSpec(), scale=9), "scale",
         "scale must be an integer from 1 to 8, got 9"),
        (lambda: write_gallery("unused", jobs=0), "jobs",
         "jobs must be an integer >= 1, got 0"),
        (lambda: ce.random_data((2, 2), (1, 1), seed=-1), "seed",
         "seed must be an integer from 0 to 2**32 - 1, got -1"),
        (lambda: ce.trace(ce.ConvSpec(5, 3), np.ones((4, 4))), "x",
         "x must have shape (5, 5) for this spec, got (4, 4)"),
        (lambda: ce.channels_data(ce.Conv(2, 3), (2, 4, 4), seed=1.5), "seed",
         "seed must be an integer, got 1.5"),
        (lambda: ce.si(1.0, digits=7), "digits", "digits must be from 0 to 6, got 7"),
    ],
)
def test_bad_arguments_raise_a_parameter_error_naming_the_parameter(call, name, message):
    with pytest.raises(ParameterError) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert info.value.name == name
    assert str(info.value) == message


def test_the_package_exports_the_exception():
    assert ce.ParameterError is ParameterError and "ParameterError" in ce.__all__


def test_a_parameter_error_survives_pickling():
    # The gallery draws in worker processes; their errors come back pickled.
    err = pickle.loads(pickle.dumps(ParameterError("stride", "stride must be >= 1, got 0")))
    assert type(err) is ParameterError
    assert (err.name, str(err)) == ("stride", "stride must be >= 1, got 0")


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: ce.si(10**400), "n"),
        (lambda: ce.ratio_phrase(1, 10**400), "b"),
        (lambda: ce.mobilenet_v1(alpha=10**400), "alpha"),
        (lambda: ce.learn_pointwise(np.ones((3, 2, 2)), 1, lr=10**400), "lr"),
    ],
)
def test_numbers_past_any_float_are_refused_not_overflowed(call, name):
    with pytest.raises(ParameterError, match=f"^{name} must be ") as info:
        call()
    assert info.value.name == name
