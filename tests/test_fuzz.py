"""Fuzzing the engine's public functions with valid and invalid parameters (hypothesis).

The contract (DESIGN.md): a call either returns or raises ValueError (ImageError is one) with
a message; never another exception type, never a hang, never an allocation that grows with a
size *parameter* rather than with the arrays passed in. Generated arrays stay tiny; size
parameters range up to 10**30, so anything that works before refusing shows up as a deadline
overrun or, under the address-space cap below, a MemoryError.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import conv_engine as ce
from conv_engine.arithmetic import (
    effective_kernel,
    grid_layout,
    output_size,
    receptive_cells,
    resolve_padding,
    transposed_output_size,
    window,
)
from conv_engine.captions import depth_caption
from conv_engine.equivalences import dense_scores, mlp_per_pixel, mlp_pointwise
from conv_engine.export import spec_to_gif, trace_to_gif
from conv_engine.images import crop_center
from conv_engine.layers import Pool
from conv_engine.ops import avg_pool2d, conv_transpose2d
from conv_engine.reductions import reduction_cost
from conv_engine.render import DEFAULT_STYLE
from conv_engine.traces import default_data

try:
    import resource
except ImportError:  # Unix only: elsewhere the tests run without the memory cap
    resource = None

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

FUZZ = settings(
    max_examples=100,
    deadline=2000,  # ms per example: anything that works before refusing overruns it
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,  # the same examples every run: a failure here is a bug, not bad luck
)
FEW = settings(FUZZ, max_examples=40)

# Extra address space the engine may take while fuzzed: generous for tiny arrays, far below
# what a size parameter of 10**9 would ask for.
HEADROOM = 3 * 2**30


@pytest.fixture(autouse=True, scope="module")
def _bounded_memory():
    """Cap the address space so a missed early refusal raises MemoryError (and fails the test)
    instead of exhausting the machine."""
    statm = Path("/proc/self/statm")
    if resource is None or not statm.exists():
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(statm.read_text().split()[0]) * resource.getpagesize()
    cap = used + HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def call(fn: Callable, *args, **kwargs):
    """``(True, result)`` or ``(False, error)`` for a ValueError with a message.

    Any other exception propagates and fails the test with the example that caused it.
    """
    try:
        return True, fn(*args, **kwargs)
    except ValueError as e:
        assert str(e).strip(), f"{fn.__name__} raised {type(e).__name__} with no message"
        return False, e


# ----------------------------------------------------------------------------- strategies

HUGE = st.sampled_from([10**4, 10**6, 10**9, 2**31, 2**63, 10**30])
NEGATIVE = st.integers(-(10**9), 0)

# Arrays that are not numeric, not arrays at all, or empty.
BAD_ARRAYS = st.sampled_from([
    np.array(["a", "b"]),
    np.array([[1 + 2j, 3j]]),
    np.array([None, 1], dtype=object),
    np.empty((2, 2, 2), dtype=object),
    np.zeros((0,)),
    np.zeros((0, 3, 3)),
    np.zeros((2, 0, 3)),
    np.zeros((1, 1, 1, 0)),
    np.array(3.0),
    np.array(["2019-01-01"], dtype="datetime64[D]"),
    np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
    [[1, 2], [3]],  # ragged
    [["a"]],
])

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.binary(max_size=4),
    st.complex_numbers(max_magnitude=10),
    st.tuples(),
    st.tuples(st.integers(-2, 4)),
    st.tuples(st.integers(-2, 4), st.integers(-2, 4), st.integers(-2, 4)),
    st.lists(st.integers(-2, 4), max_size=3),
    st.just(object()),
    st.just(np.float64(2.0)),
    st.just({"h": 1}),
    BAD_ARRAYS,
)


def ints(valid: st.SearchStrategy) -> st.SearchStrategy:
    """An integer parameter: mostly valid values, sometimes huge, negative, numpy or junk."""
    return st.one_of(valid, valid, valid.map(np.int64), HUGE, NEGATIVE, JUNK)


def pairs(valid: st.SearchStrategy) -> st.SearchStrategy:
    """An int-or-(h, w) parameter."""
    one = ints(valid)
    return st.one_of(one, st.tuples(one, one), st.tuples(valid, valid), st.lists(one, max_size=3))


def reals(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, valid, st.floats(allow_nan=True, allow_infinity=True), HUGE,
                     NEGATIVE, JUNK)


NUMERIC_DTYPES = st.sampled_from(
    [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.uint16, np.bool_]
)


def arrays(ndim: int | None = None, max_side: int = 4, min_side: int = 1):
    """Small numeric arrays (any values, NaN and infinities included) of ``ndim`` dimensions,
    or of any number of them, or junk."""
    dims = (0, 5) if ndim is None else (ndim, ndim)
    good = hnp.arrays(
        NUMERIC_DTYPES,
        hnp.array_shapes(min_dims=dims[0], max_dims=dims[1], min_side=min_side,
                         max_side=max_side),
    )
    wrong = hnp.arrays(
        NUMERIC_DTYPES, hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=3)
    )
    return st.one_of(good, good, good, wrong, BAD_ARRAYS, JUNK)


def finite(shape, lo: float = -4, hi: float = 4) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi))


SMALL = st.integers(1, 5)
PAD = st.integers(0, 3)
PADDING = st.one_of(pairs(PAD), st.sampled_from(["valid", "same", "full", "SAME", "bogus", ""]))
OPS = st.one_of(st.sampled_from(["conv", "conv", "max", "avg"]), JUNK)

spec_kwargs = st.fixed_dictionaries(
    {},
    optional={
        "input_size": pairs(st.integers(1, 7)),
        "kernel_size": pairs(st.integers(1, 4)),
        "stride": pairs(st.integers(1, 3)),
        "padding": PADDING,
        "dilation": pairs(st.integers(1, 3)),
        "transposed": st.one_of(st.booleans(), st.booleans(), JUNK),
        "output_padding": pairs(st.integers(0, 2)),
        "op": OPS,
        "numerical": st.one_of(st.booleans(), JUNK),
        "data": st.one_of(st.none(), st.none(), arrays(2, 6)),
        "kernel_data": st.one_of(st.none(), st.none(), arrays(2, 4)),
    },
)


def make_spec(kwargs: dict) -> ce.ConvSpec | None:
    ok, spec = call(ce.ConvSpec, **kwargs)
    return spec if ok else None



def _small_pairs(lo: int, hi: int) -> st.SearchStrategy:
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


# Specs that construct, from the presets and from small random parameters.
valid_specs = st.one_of(
    st.sampled_from(list(ce.PRESETS.values())),
    st.fixed_dictionaries({
        "input_size": _small_pairs(1, 7),
        "kernel_size": _small_pairs(1, 4),
        "stride": _small_pairs(1, 3),
        "padding": st.one_of(_small_pairs(0, 2), st.sampled_from(["valid", "same", "full"])),
        "dilation": _small_pairs(1, 2),
        "transposed": st.booleans(),
        "op": st.sampled_from(["conv", "conv", "max", "avg"]),
        "numerical": st.booleans(),
    }).map(make_spec).filter(lambda s: s is not None),
)
# Valid specs with a huge size somewhere: few steps or many, they must be refused or be cheap.
huge_specs = st.builds(
    lambda i, k, p, s, d: make_spec(
        {"input_size": i, "kernel_size": k, "padding": p, "stride": s, "dilation": d}
    ),
    st.tuples(st.one_of(SMALL, HUGE), st.one_of(SMALL, HUGE)),
    st.tuples(st.one_of(SMALL, HUGE), st.one_of(SMALL, HUGE)),
    st.one_of(PAD, HUGE),
    st.one_of(SMALL, HUGE),
    st.one_of(SMALL, HUGE),
).filter(lambda s: s is not None)


# ----------------------------------------------------------------------------- arithmetic


@FUZZ
@given(spec_kwargs)
@example({"input_size": 10**9})
@example({"input_size": (10**9, 1), "kernel_size": (10**9, 1)})
@example({"input_size": 4, "kernel_size": 3, "padding": 10**9})
@example({"input_size": 5, "transposed": True, "stride": 10**9})
def test_conv_spec(kwargs):
    ok, spec = call(ce.ConvSpec, **kwargs)
    if ok:
        h, w = spec.output_shape
        assert isinstance(h, int) and isinstance(w, int) and h >= 1 and w >= 1
        assert spec.steps == h * w
        for name in ("input_size", "kernel_size", "stride", "dilation", "output_padding"):
            value = getattr(spec, name)
            assert isinstance(value, tuple) and len(value) == 2, (name, value)
        call(spec.check_animatable)


@FUZZ
@given(ints(st.integers(1, 9)), ints(st.integers(1, 5)), ints(SMALL), ints(PAD), ints(SMALL))
def test_output_size(i, k, s, p, d):
    ok, o = call(output_size, i, k, stride=s, padding=p, dilation=d)
    if ok:
        assert isinstance(o, int) and o >= 1
        assert o == (i + 2 * p - (d * (k - 1) + 1)) // s + 1


@FUZZ
@given(ints(st.integers(1, 9)), ints(st.integers(1, 5)), ints(SMALL), ints(PAD),
       ints(st.integers(0, 2)), ints(SMALL))
def test_transposed_output_size(i, k, s, p, a, d):
    ok, o = call(transposed_output_size, i, k, stride=s, padding=p, output_padding=a,
                 dilation=d)
    if ok:
        assert isinstance(o, int) and o >= 1
        assert o == (i - 1) * s - 2 * p + d * (k - 1) + 1 + a


@FUZZ
@given(valid_specs)
def test_describe(spec):
    lines = ce.describe(spec).split("\n")
    assert len(lines) == (3 if spec.transposed else 2)  # transposed: how it is drawn
    assert lines[1].endswith(f"= {spec.output_shape[1]}")
    if spec.transposed:
        assert lines[2].startswith("Drawn as the guide does") and "180°" in lines[2]


@FEW
@given(st.one_of(JUNK, st.just(ce.Conv(1, 3)), st.just("conv")).filter(lambda v: v is not None))
def test_functions_taking_a_spec_or_trace_refuse_other_things(thing):
    t = ce.trace(ce.PRESETS["padding_strides"])
    calls = [
        lambda: ce.describe(thing),
        lambda: ce.trace(thing),
        lambda: grid_layout(thing),
        lambda: default_data(thing),
        lambda: ce.export_name(thing, "gif"),
        lambda: ce.step_caption(thing, 0),
        lambda: trace_to_gif(thing),
        lambda: spec_to_gif(thing),
        lambda: spec_to_gif(ce.PRESETS["padding_strides"], style=thing),
        lambda: trace_to_gif(t, style=thing),
    ]
    for fn in calls:
        ok, _ = call(fn)
        assert not ok


@FUZZ
@given(pairs(st.integers(1, 7)), pairs(st.integers(1, 4)),
       ints(st.sampled_from([0, 1234, 2**32 - 1])))
@example((10**9, 10**9), 3, 0)
@example(5, (1, 10**7), 0)
def test_random_data(input_size, kernel_size, seed):
    ok, xw = call(ce.random_data, input_size, kernel_size, seed)
    if ok:
        x, w = xw
        assert x.ndim == w.ndim == 2 and x.min() >= 0 and x.max() <= 3 and w.max() <= 2


@FUZZ
@given(st.one_of(valid_specs, huge_specs))
def test_grid_layout_window_and_receptive_cells(spec):
    ok, layout = call(grid_layout, spec)
    if ok:
        assert layout.kind().sum() == spec.input_size[0] * spec.input_size[1]
        rows, cols = window(spec, 0, 0)
        assert len(rows) == spec.kernel_size[0] and len(cols) == spec.kernel_size[1]
        assert len(receptive_cells(spec, 0, 0)) == spec.kernel_size[0] * spec.kernel_size[1]


# ----------------------------------------------------------------------------- ops


@FUZZ
@given(arrays(3), arrays(4), st.one_of(st.none(), arrays(1)), pairs(SMALL), PADDING,
       pairs(st.integers(1, 2)))
@example(np.ones((1, 2, 2)), np.ones((1, 1, 1, 1)), None, 1, 10**6, 1)
@example(np.ones((1, 2, 2)), np.ones((1, 1, 1, 1)), None, 1, (0, 10**9), 1)
def test_conv2d(x, w, bias, stride, padding, dilation):
    ok, y = call(ce.conv2d, x, w, bias, stride=stride, padding=padding, dilation=dilation)
    if ok:
        assert y.ndim == 3 and y.shape[0] == np.shape(w)[0]
        assert y.dtype in (np.float32, np.float64)


@FUZZ
@given(arrays(3), arrays(4), st.one_of(st.none(), arrays(1)), pairs(SMALL), pairs(PAD),
       pairs(st.integers(0, 2)), pairs(st.integers(1, 2)))
@example(np.ones((1, 2, 2)), np.ones((1, 1, 1, 1)), None, 10**9, 0, 0, 1)
@example(np.ones((1, 2, 2)), np.ones((1, 1, 2, 2)), None, 1, 0, 0, 10**9)
def test_conv_transpose2d(x, w, bias, stride, padding, output_padding, dilation):
    ok, y = call(conv_transpose2d, x, w, bias, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    if ok:
        assert y.ndim == 3 and y.shape[0] == np.shape(w)[1]


POOL_STRIDE = st.one_of(st.none(), pairs(SMALL))


@FUZZ
@given(arrays(3), pairs(st.integers(1, 4)), POOL_STRIDE, pairs(st.integers(0, 2)),
       pairs(st.integers(1, 2)))
@example(np.ones((1, 2, 2)), 2 * 10**9, None, 10**9, 1)
@example(np.ones((1, 2, 2)), 20_000, None, 10_000, 1)
def test_max_pool2d(x, k, stride, padding, dilation):
    ok, y = call(ce.max_pool2d, x, k, stride=stride, padding=padding, dilation=dilation)
    if ok:
        assert y.ndim == 3 and y.shape[0] == np.shape(x)[0]


@FUZZ
@given(arrays(3), pairs(st.integers(1, 4)), POOL_STRIDE, pairs(st.integers(0, 2)))
@example(np.ones((1, 2, 2)), 2 * 10**9, None, 10**9)
@example(np.ones((1, 2, 2)), 20_000, None, 10_000)
def test_avg_pool2d(x, k, stride, padding):
    ok, y = call(avg_pool2d, x, k, stride=stride, padding=padding)
    if ok:
        assert y.ndim == 3 and y.dtype.kind == "f"


@FUZZ
@given(arrays(3), arrays(2), st.one_of(st.none(), arrays(1)))
def test_pointwise(x, w, bias):
    ok, y = call(ce.pointwise, x, w, bias)
    if ok:
        assert y.shape == (np.shape(w)[0], *np.shape(x)[1:])


@FUZZ
@given(arrays())
def test_relu(x):
    ok, y = call(ce.relu, x)
    if ok:
        assert y.shape == np.shape(x)
        with np.errstate(invalid="ignore"):
            assert not (y < 0).any()


# ----------------------------------------------------------------------------- traces


@FUZZ
@given(st.one_of(valid_specs, huge_specs), st.one_of(st.none(), arrays(2, 7)),
       st.one_of(st.none(), arrays(2, 4)))
def test_trace(spec, x, w):
    ok, t = call(ce.trace, spec, x, w)
    if ok:
        n = len(t.steps)
        assert n == spec.steps <= ce.MAX_STEPS
        first, last = t.steps[0], t.steps[-1]
        assert first.index == 0 and last.index == n - 1
        assert np.isclose(last.result, t.output[last.out_pos], equal_nan=True)


@FUZZ
@given(valid_specs, st.one_of(st.integers(-30, 30), HUGE, NEGATIVE, JUNK))
def test_trace_steps_indexing(spec, i):
    t = ce.trace(spec)
    n = len(t.steps)
    in_range = isinstance(i, int | np.integer) and -n <= i < n  # bool is an int, as for lists
    try:
        step = t.steps[i]
    except IndexError:
        assert isinstance(i, int | np.integer) and not in_range, i  # the Sequence protocol
        return
    except TypeError:
        assert not isinstance(i, int | np.integer), i  # as list[...] with a non-integer
        return
    assert in_range, i
    assert step.index == int(i) % n


@FUZZ
@given(valid_specs, st.one_of(st.integers(-30, 30), HUGE, JUNK), st.one_of(st.none(), JUNK))
def test_step_caption(spec, step, numerical):
    t = ce.trace(spec)
    ok, text = call(ce.step_caption, t, step, numerical=numerical)
    if ok:
        assert isinstance(text, str) and text.startswith("output[")


@FUZZ
@given(valid_specs, st.one_of(st.sampled_from(["gif", ".png", "webm"]), JUNK,
                              st.sampled_from(["", "../x", "a/b", "gif\x00"])),
       st.one_of(st.none(), st.integers(0, 99), HUGE, NEGATIVE, JUNK))
def test_export_name(spec, ext, step):
    ok, name = call(ce.export_name, spec, ext, step=step)
    if ok:
        assert "/" not in name and "\\" not in name and "\x00" not in name
        assert name.isprintable() and ".." not in name


@FEW
@given(st.sampled_from([ce.PRESETS["no_padding_no_strides"], ce.ConvSpec(2, 1),
                        ce.ConvSpec(3, 2, numerical=True, op="max")]),
       st.one_of(st.none(), st.just(DEFAULT_STYLE), JUNK),
       st.one_of(st.sampled_from([20, 100, 1000]), reals(st.just(500))),
       ints(st.integers(1, 2)))
def test_spec_to_gif(spec, style, duration, scale):
    ok, data = call(spec_to_gif, spec, style=style, duration=duration, scale=scale)
    if ok:
        assert data[:6] == b"GIF89a"


@FEW
@given(huge_specs)
def test_spec_to_gif_of_huge_specs(spec):
    ok, data = call(spec_to_gif, spec)
    if ok:
        assert data[:6] == b"GIF89a"


# ----------------------------------------------------------------------------- features

images = st.one_of(
    hnp.arrays(st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.bool_]),
               st.sampled_from([(5, 6), (4, 4, 3), (3, 5, 4), (1, 1), (1, 7, 3)])),
    arrays(),
)


@FUZZ
@given(images, ints(st.integers(1, 4)), ints(st.integers(1, 3)))
def test_feature_stack(image, orientations, scales):
    ok, fs = call(ce.feature_stack, image, orientations=orientations, scales=scales)
    if ok:
        assert fs.maps.shape == (3 + orientations * scales, *np.shape(image)[:2])
        assert fs.maps.dtype == np.float32 and len(fs.names) == fs.maps.shape[0]


stacks = st.one_of(
    finite(st.sampled_from([(3, 4, 5), (5, 3, 3), (1, 2, 2), (4, 1, 1)])),
    arrays(3),
)


@FUZZ
@given(stacks, ints(st.integers(1, 5)), st.one_of(st.sampled_from(["pca", "random", "mean"]),
                                                  JUNK), ints(st.integers(0, 9)))
def test_reduction_weights(stack, k, method, seed):
    ok, wb = call(ce.reduction_weights, stack, k, method, seed=seed)
    if ok:
        w, b = wb
        assert w.shape == (k, np.shape(stack)[0]) and b.shape == (k,)


@FUZZ
@given(ints(SMALL), ints(SMALL), ints(st.integers(1, 99)), ints(st.integers(1, 99)),
       ints(st.integers(1, 7)))
def test_reduction_cost(c, k, h, w, ks):
    ok, cost = call(reduction_cost, c, k, h, w, kernel_size=ks)
    if ok:
        assert cost.params == k * c * ks * ks + k and cost.mult_adds == h * w * c * k * ks * ks


@FEW
@given(stacks, ints(st.integers(1, 4)), ints(st.integers(1, 5)), reals(st.just(0.05)),
       ints(st.integers(0, 3)), ints(st.integers(1, 64)),
       st.one_of(st.sampled_from(["adam", "momentum"]), JUNK), reals(st.just(0.5)),
       st.one_of(st.none(), st.just(lambda step, loss: None), JUNK), ints(st.integers(1, 3)))
@example(np.ones((2, 2, 2)), 1, 10**9, 0.05, 0, 8, "adam", 0.9, None, 1)
@example(np.ones((2, 2, 2)), 1, 10**12, 0.05, 0, 8, "adam", 0.9, None, 1)
def test_learn_pointwise(stack, k, steps, lr, seed, batch, optimizer, momentum, callback, every):
    ok, r = call(ce.learn_pointwise, stack, k, steps=steps, lr=lr, seed=seed, batch=batch,
                 optimizer=optimizer, momentum=momentum, callback=callback, every=every)
    if ok:
        assert r.w.shape == (k, np.shape(stack)[0]) and r.loss.shape == (steps,)


# ----------------------------------------------------------------------------- networks


@FUZZ
@given(ints(st.integers(1, 512)), pairs(st.integers(1, 28)),
       st.tuples(*[ints(st.integers(1, 256)) for _ in range(6)]))
@example(10**30, (10**30, 10**30), (10**30,) * 6)
def test_inception_cost(c, size, channels):
    ok, cost = call(ce.inception_cost, c, size, *channels)
    if ok:
        n1, _, n3, _, n5, pool = channels
        assert cost.out_channels == n1 + n3 + n5 + pool
        assert cost.naive_weights == c * (n1 + 9 * n3 + 25 * n5 + pool)
        assert cost.savings > 0


LAYER = st.one_of(
    st.builds(ce.Conv, st.integers(1, 4), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2),
              st.integers(1, 2)),
    st.builds(Pool, st.integers(1, 5), st.integers(1, 3)),
    st.integers(1, 5),
    st.tuples(st.integers(1, 5), st.integers(1, 3)),
    st.tuples(ints(st.integers(1, 5)), ints(st.integers(1, 3)), ints(st.integers(0, 2)),
              ints(st.integers(1, 2))),
    st.tuples(),
    st.tuples(*[st.integers(1, 3)] * 5),
    JUNK,
)
LAYERS = st.one_of(st.lists(LAYER, min_size=1, max_size=4), st.lists(LAYER, max_size=0),
                   JUNK, st.text(max_size=3))
INPUT_SIZE = pairs(st.integers(1, 40))


@FUZZ
@given(LAYERS, st.one_of(st.none(), INPUT_SIZE))
@example([(3, 1, 10**9)], 10**9)
@example([(10**9, 10**9, 10**9, 10**9)], None)
def test_receptive_field(layers, input_size):
    ok, rows = call(ce.receptive_field, layers, input_size)
    if ok:
        assert len(rows) == len(layers)
        assert all(r.size >= 1 and r.jump >= 1 for r in rows)


@FUZZ
@given(LAYERS, ints(st.integers(0, 6)), ints(st.integers(0, 6)), INPUT_SIZE, st.booleans())
@example([3], 0, 0, 10**9, True)
@example([3], 0, 0, (1, 10**12), False)
@example([(10**9, 1, 10**9)], 0, 0, 1, True)
@example([(2 * 10**9 + 1, 1, 10**9)], 0, 0, 1, True)
def test_input_region(layers, row, col, input_size, clip):
    ok, region = call(ce.input_region, layers, row, col, input_size, clip=clip)
    if ok:
        r0, r1, c0, c1 = region
        assert r0 <= r1 and c0 <= c1


@FUZZ
@given(ints(SMALL), ints(st.integers(1, 30)), ints(st.integers(1, 30)), ints(SMALL),
       ints(st.integers(1, 3)), ints(st.integers(1, 3)))
@example(3, 10**9, 10**9, 2, 1, 1)
@example(3, 10**12, 5, 2, 10**6, 2)
def test_data_kept(c, h, w, k, stride, pool):
    ok, kept = call(ce.data_kept, c, h, w, k, stride=stride, pool=pool)
    if ok:
        assert 0 < kept.fraction_seen <= 1 and kept.out_values <= kept.reduced_values


# ----------------------------------------------------------------------------- the others

FRAMES = st.one_of(
    st.lists(st.sampled_from([Image.new("RGB", (6, 4), c) for c in ("red", "blue")]),
             min_size=1, max_size=3),
    st.just([Image.new("RGB", (6, 4)), Image.new("RGB", (4, 6))]),
    st.lists(JUNK, max_size=2),
    JUNK,
)
MATRICES = st.one_of(st.lists(arrays(2), min_size=1, max_size=3), JUNK)

# Every other public function of the engine (render/ aside), with strategies for its
# positional arguments.
OTHERS: dict[str, tuple[Callable, tuple[st.SearchStrategy, ...]]] = {
    "effective_kernel": (effective_kernel, (ints(SMALL), ints(SMALL))),
    "resolve_padding": (resolve_padding, (PADDING, pairs(SMALL), pairs(SMALL), pairs(SMALL))),
    "window": (window, (valid_specs, ints(st.integers(0, 3)), ints(st.integers(0, 3)))),
    "receptive_cells": (receptive_cells, (valid_specs, ints(st.integers(0, 3)),
                                          ints(st.integers(0, 3)))),
    "fmt": (ce.fmt, (reals(st.floats(-1e20, 1e20)),)),
    "gif_bytes": (ce.gif_bytes, (FRAMES, st.one_of(st.just(100), reals(st.just(20))))),
    "reduction_quality": (ce.reduction_quality, (stacks, arrays(2), st.one_of(st.none(),
                                                                                arrays(1)))),
    "reduction_curve": (ce.reduction_curve, (stacks,)),
    "crop_center": (crop_center, (arrays(), ints(SMALL), ints(SMALL))),
    "load_sample": (ce.load_sample, (st.one_of(st.sampled_from(list(ce.SAMPLES)), JUNK),)),
    "conv_cost": (ce.conv_cost, (ints(SMALL), ints(SMALL), pairs(SMALL), pairs(SMALL))),
    "dense_scores": (dense_scores, (arrays(), arrays(2), st.one_of(st.none(), arrays(1)))),
    "score_map": (ce.score_map, (arrays(3), arrays(2), st.one_of(st.none(), arrays(1)))),
    "mlp_pointwise": (mlp_pointwise, (arrays(3), MATRICES, st.one_of(st.none(), MATRICES))),
    "mlp_per_pixel": (mlp_per_pixel, (arrays(3), MATRICES, st.one_of(st.none(), MATRICES))),
    "random_mlp": (ce.random_mlp, (st.one_of(st.lists(ints(SMALL), max_size=4), JUNK),)),
    "input_mask": (ce.input_mask, (LAYERS, ints(st.integers(0, 6)), ints(st.integers(0, 6)),
                                   INPUT_SIZE)),
    "depth_caption": (depth_caption, (arrays(3), arrays(2), st.one_of(st.none(), arrays(1)),
                                         ints(st.integers(0, 8)))),
}


@pytest.mark.parametrize("name", sorted(OTHERS))
@FEW
@given(data=st.data())
def test_other_public_functions(name, data):
    fn, strategies = OTHERS[name]
    args = [data.draw(s, label=f"argument {i}") for i, s in enumerate(strategies)]
    call(fn, *args)


# ----------------------------------------------------------------------------- images


def _encoded(fmt: str, **kw) -> bytes:
    y, x = np.mgrid[0:12, 0:16]
    a = np.stack([x * 16, y * 20, (x + y) * 8], axis=-1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, fmt, **kw)
    return buf.getvalue()


VALID_FILES = [
    _encoded("PNG"),
    _encoded("JPEG", quality=90),
    _encoded("GIF"),
    _encoded("WEBP", lossless=True),
    _encoded("BMP"),
    _encoded("TIFF"),
    _encoded("TIFF", compression="tiff_lzw"),
]


@st.composite
def mutated_files(draw) -> bytes:
    """A valid small file with a few bytes changed, cut short or spliced."""
    data = bytearray(draw(st.sampled_from(VALID_FILES)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "flip", "set", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, len(data) - 1)) if data else 0
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[pos] = draw(st.sampled_from([0, 0xFF, 0x7F, 0x80]))
        elif kind == "cut":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
    return bytes(data)


@FUZZ
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@given(st.one_of(mutated_files(), st.binary(max_size=600), st.sampled_from(VALID_FILES)),
       ints(st.just(ce.images.MAX_PIXELS)), ints(st.sampled_from([1, 7, 64, 1024])))
def test_load_image(data, max_pixels, work_side):
    ok, li = call(ce.load_image, data, max_pixels=max_pixels, work_side=work_side)
    if ok:
        h, w, three = li.rgb.shape
        assert three == 3 and li.rgb.dtype == np.uint8 and max(h, w) <= work_side
        assert li.format in ce.images.FORMATS


@FEW
@given(st.one_of(JUNK, st.just(bytearray(VALID_FILES[0])), st.just(memoryview(VALID_FILES[0]))))
def test_load_image_data_types(data):
    call(ce.load_image, data)
