"""Every number a student checks adds up: captions re-computed from their own printed text,
one number format for captions and drawings, every accepted case drawn and captioned, the
transposed drawing explained, steps counted from 1.

Tests named ``*_regression_guard`` pass on the code before these changes too: they pin what
must not change (the guide's strings, its integer pictures).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import conv_engine as ce
from conv_engine import captions
from conv_engine.arithmetic import grid_layout
from conv_engine.export import trace_to_gif
from conv_engine.render import Animation, depth, draw_step, output_text

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# ---------------------------------------------------------------------------------------------
# Reading captions back


CONV = re.compile(r"output\[(\d+),(\d+)\] ([=≈]) (.+) ([=≈]) (\S+)( \(kernel rotated 180°\))?")
POOL = re.compile(r"output\[(\d+),(\d+)\] ([=≈]) (max|mean)\((.*)\) ([=≈]) (\S+)")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def number(text: str) -> Fraction:
    """A printed number, exactly; refuses anything that is not a plain decimal."""
    assert NUMBER.fullmatch(text), text
    return Fraction(text)


def places(text: str) -> int:
    """Decimals of a printed number."""
    return len(text.split(".")[1]) if "." in text else 0


def products(middle: str) -> list[tuple[str, str]]:
    """'a·b + c·(-d)' -> [(a, b), (c, -d)] as printed."""
    out = []
    for term in middle.split(" + "):
        a, b = term.split("·")
        out.append((a, b.removeprefix("(").removesuffix(")")))
    return out


def half_up(q: Fraction, n: int) -> Fraction:
    """q rounded half away from zero to n decimals (school rounding)."""
    scaled = abs(q) * 10**n
    r = math.floor(scaled + Fraction(1, 2))
    return Fraction(r if q >= 0 else -r, 10**n)


# Numbers with 0 to 4 decimals, as a student types them: -99.99 .. 99.99 and such.
def decimal_values(n: int, max_places: int = 4) -> st.SearchStrategy[list[Fraction]]:
    one = st.builds(lambda k, d: Fraction(k, 10**d), st.integers(-9999, 9999),
                    st.integers(0, max_places))
    return st.lists(one, min_size=n, max_size=n)


def as_array(values: list[Fraction], shape) -> np.ndarray:
    return np.array([float(v) for v in values]).reshape(shape)


def build(kwargs: dict) -> ce.ConvSpec | None:
    try:
        return ce.ConvSpec(**kwargs)
    except ValueError:
        return None


def small_specs(ops=("conv",), transposed=(False, True), numerical=(True,), dilation=(1, 2),
                kernel=(1, 3)) -> st.SearchStrategy[ce.ConvSpec]:
    """Valid specs with sides <= 7 (kernels up to ``kernel``: no elided captions)."""
    side = st.integers(1, 7)
    return st.fixed_dictionaries({
        "input_size": st.tuples(side, side),
        "kernel_size": st.tuples(st.integers(*kernel), st.integers(*kernel)),
        "stride": st.tuples(st.integers(1, 3), st.integers(1, 3)),
        "padding": st.tuples(st.integers(0, 2), st.integers(0, 2)),
        "dilation": st.tuples(st.sampled_from(dilation), st.sampled_from(dilation)),
        "transposed": st.sampled_from(transposed),
        "op": st.sampled_from(ops),
        "numerical": st.sampled_from(numerical),
    }).map(_pooling_rules).map(build).filter(lambda s: s is not None)


def _pooling_rules(kw: dict) -> dict:
    """Bend drawn parameters towards a valid pooling spec (not transposed, padding <= k // 2,
    no dilation for the mean), so that pooling cases are not mostly filtered away."""
    if kw["op"] == "conv":
        return kw
    pad = tuple(min(p, k // 2) for p, k in zip(kw["padding"], kw["kernel_size"], strict=True))
    dil = (1, 1) if kw["op"] == "avg" else kw["dilation"]
    return {**kw, "transposed": False, "padding": pad, "dilation": dil}


# ---------------------------------------------------------------------------------------------
# Item 4: captions whose printed terms add up


def test_the_issues_example_prints_every_decimal():
    # An input of 0.25 everywhere under a 2x2 kernel of ones: 4 x 0.25 = 1 (by hand).
    t = ce.trace(ce.ConvSpec(2, 2, numerical=True), np.full((2, 2), 0.25), np.ones((2, 2)))
    assert ce.step_caption(t, 0) == "output[0,0] = 0.25·1 + 0.25·1 + 0.25·1 + 0.25·1 = 1.0"


def test_products_of_decimals_print_their_exact_sum():
    # 0.5·0.25 + 1.5·(-2) + 0.125·4 = 0.125 - 3 + 0.5 = -2.375 (by hand): three decimals.
    x = np.array([[0.5, 1.5, 0.125]])
    w = np.array([[0.25, -2.0, 4.0]])
    t = ce.trace(ce.ConvSpec((1, 3), (1, 3), numerical=True), x, w)
    assert ce.step_caption(t, 0) == "output[0,0] = 0.5·0.25 + 1.5·(-2) + 0.125·4 = -2.375"


@SETTINGS
@given(small_specs(), st.data())
def test_printed_products_add_up_to_the_printed_result(spec, data):
    """Decimal data: each printed value is the typed value, and the printed sum of the
    printed products is the printed result, exactly."""
    xs = data.draw(decimal_values(spec.input_size[0] * spec.input_size[1]), label="x")
    ws = data.draw(decimal_values(spec.kernel_size[0] * spec.kernel_size[1]), label="w")
    t = ce.trace(spec, as_array(xs, spec.input_size), as_array(ws, spec.kernel_size))
    typed = set(xs) | set(ws) | {Fraction(0)}  # padding and inserted zeros are 0
    for i in sorted({0, len(t.steps) // 2, len(t.steps) - 1}):
        caption = ce.step_caption(t, i)
        m = CONV.fullmatch(caption)
        assert m, caption
        assert m[3] == m[5] == "=", caption  # nothing was rounded
        pairs = products(m[4])
        assert all(number(a) in typed and number(b) in typed for a, b in pairs), caption
        total = sum((number(a) * number(b) for a, b in pairs), Fraction(0))
        assert number(m[6]) == total, caption
        # at the precision the terms carry: a product has the decimals of both its factors
        assert 1 <= places(m[6]) <= max(1, *(places(a) + places(b) for a, b in pairs))
        assert float(total) == pytest.approx(t.steps[i].result, rel=1e-9, abs=1e-9)
        assert bool(m[7]) == spec.transposed


@SETTINGS
@given(small_specs(), st.data())
def test_rounded_values_make_the_caption_say_approximately(spec, data):
    """Values with more than 4 decimals (sevenths) print rounded: the caption says ≈ and the
    printed result is within the rounding of the printed terms."""
    n_x = spec.input_size[0] * spec.input_size[1]
    xs = data.draw(st.lists(st.integers(-70, 70), min_size=n_x, max_size=n_x), label="x")
    x = np.array(xs, float).reshape(spec.input_size) / 7
    x.flat[0] = 1 / 7  # at least one value that needs rounding
    w = np.full(spec.kernel_size, 1 / 3)
    t = ce.trace(spec, x, w)
    for i in (0, len(t.steps) - 1):
        m = CONV.fullmatch(ce.step_caption(t, i))
        assert m and m[3] == m[5] == "≈", m
        pairs = products(m[4])
        assert all(places(a) <= 4 and places(b) <= 4 for a, b in pairs)
        total = sum((number(a) * number(b) for a, b in pairs), Fraction(0))
        # Each printed factor is off by at most half a unit in its 4th decimal.
        slack = sum(abs(number(a)) + abs(number(b)) + Fraction(1, 10**4)
                    for a, b in pairs) * Fraction(1, 2 * 10**4)
        assert abs(number(m[6]) - total) <= slack + Fraction(1, 2 * 10**4)
        assert abs(float(number(m[6])) - t.steps[i].result) <= 0.5e-4 + 1e-12


@SETTINGS
@given(small_specs(ops=("max", "avg"), transposed=(False,), dilation=(1,)), st.data())
def test_pooling_results_follow_their_printed_values(spec, data):
    """max: the largest printed value. mean: exact when 4 decimals hold it, else correctly
    rounded to the decimals its values are printed with (at least one)."""
    xs = data.draw(decimal_values(spec.input_size[0] * spec.input_size[1]), label="x")
    t = ce.trace(spec, as_array(xs, spec.input_size))
    typed = set(xs) | {Fraction(0)}
    for i in sorted({0, len(t.steps) // 2, len(t.steps) - 1}):
        caption = ce.step_caption(t, i)
        m = POOL.fullmatch(caption)
        assert m and m[3] == m[6] == "=", caption
        texts = m[5].split(", ")
        vals = [number(v) for v in texts]
        assert set(vals) <= typed, caption
        shown = number(m[7])
        assert places(m[7]) >= 1
        if m[4] == "max":
            assert shown == max(vals), caption
            continue
        assert len(vals) == spec.kernel_size[0] * spec.kernel_size[1]  # padding counts
        mean = sum(vals, Fraction(0)) / len(vals)
        if (mean * 10**4).denominator == 1:
            assert shown == mean, caption
        else:
            p = max(1, *map(places, texts))
            assert places(m[7]) == p and shown == half_up(mean, p), caption
        assert abs(float(shown) - t.steps[i].result) <= 0.5 * 10.0 ** -places(m[7]) + 1e-12


def test_a_mean_that_4_decimals_hold_is_exact_and_others_are_correctly_rounded():
    avg = ce.ConvSpec(2, 2, op="avg", numerical=True)
    assert ce.step_caption(ce.trace(avg, np.array([[0.0, 0], [0, 3]])), 0) == \
        "output[0,0] = mean(0, 0, 0, 3) = 0.75"  # 3/4, not Python's "0.8"
    # (0.25 + 0.5 + 1 + 0)/4 = 0.4375; (0.2 + 0.1 + 0.1 + 0)/4 = 0.1 exactly
    assert ce.step_caption(ce.trace(avg, np.array([[0.25, 0.5], [1, 0]])), 0) == \
        "output[0,0] = mean(0.25, 0.5, 1, 0) = 0.4375"
    three = ce.ConvSpec((1, 3), (1, 3), op="avg", numerical=True)
    # (0.25 + 0.5 + 1)/3 = 0.58333..: two decimals, as its values
    assert ce.step_caption(ce.trace(three, np.array([[0.25, 0.5, 1.0]])), 0) == \
        "output[0,0] = mean(0.25, 0.5, 1) = 0.58"
    # (1 + 2 + 2)/3 = 1.6667: one decimal, rounded up as a student would
    assert ce.step_caption(ce.trace(three, np.array([[1.0, 2.0, 2.0]])), 0) == \
        "output[0,0] = mean(1, 2, 2) = 1.7"


def test_guide_captions_print_as_before_regression_guard():
    conv = ce.trace(ce.PRESETS["numerical_no_padding_no_strides"])
    assert ce.step_caption(conv, 0) == (
        "output[0,0] = 3·0 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2 = 12.0")
    avg = ce.trace(ce.PRESETS["numerical_average_pooling"])
    assert ce.step_caption(avg, 0) == "output[0,0] = mean(3, 3, 2, 0, 0, 1, 3, 1, 2) = 1.7"
    mx = ce.trace(ce.PRESETS["numerical_max_pooling"])
    assert ce.step_caption(mx, 7) == "output[2,1] = max(1, 2, 2, 0, 0, 2, 0, 0, 0) = 2.0"


def test_one_formatter_rounds_half_away_from_zero_on_the_number_as_written():
    fmt = captions.fmt
    assert [fmt(v, 1) for v in (0.25, 0.35, -0.25, 2.675)] == ["0.3", "0.4", "-0.3", "2.7"]
    assert fmt(2.675, 2) == "2.68"  # the typed 2.675, not the float just below it
    assert fmt(0.1 + 0.2) == "0.3" and fmt(1 / 3) == "0.3333" and fmt(0.25) == "0.25"
    assert fmt(12, min_places=1) == "12.0" and fmt(-0.04, 1) == "0" and fmt(-0.0) == "0"
    assert [fmt(v) for v in (-math.inf, math.inf)] == ["-inf", "inf"]
    assert captions.printed_decimals([0.25, 0.1 + 0.2, 1 / 3, 3.0, 1e-5, -2.5]).tolist() == \
        [2, 1, -1, 0, -1, 1]
    for bad, match in (({"places": -1}, "places"), ({"min_places": 5}, "min_places"),
                       ({"places": 1.5}, "places")):
        with pytest.raises(ValueError, match=match):
            fmt(1.0, **bad)
    with pytest.raises(ValueError, match="v must be a number"):
        fmt("one")


def test_minus_zero_point_zero_four_prints_the_same_everywhere():
    # -0.04 to one decimal is 0.0 in the arithmetic drawing and in the depth drawing alike.
    assert output_text(-0.04) == depth._out_text(-0.04) == "0.0"
    t = ce.trace(ce.ConvSpec(1, 1, numerical=True), np.array([[0.2]]), np.array([[-0.2]]))
    assert ce.step_caption(t, 0) == "output[0,0] = 0.2·(-0.2) = -0.04"
    labels = {x.kind: x.text for x in Animation(t).texts(0)}
    assert labels == {"value": "0.2", "weight": "-0.2", "output": "0.0"}
    x, w = np.full((1, 1, 1), 0.2), np.array([[-0.2]])
    assert captions.depth_caption(x, w, None, 0) == "pixel (0,0):\n- out[0] = 0.2·(-0.2) = -0.04"


def test_cell_labels_show_the_typed_decimals():
    x = np.array([[0.25, 1.5], [-0.75, 2.0]])
    w = np.array([[0.5]])
    texts = Animation(ce.trace(ce.ConvSpec(2, 1, numerical=True), x, w)).texts(0)
    assert {x.cell: x.text for x in texts if x.kind == "value"} == {
        (0, 0): "0.25", (0, 1): "1.5", (1, 0): "-0.75", (1, 1): "2"}
    # 0.125 and 0.75 to one decimal, rounded half up: 0.1 and 0.8; 1 stays 1.0
    assert {x.cell: x.text for x in texts if x.kind == "output"} == {
        (0, 0): "0.1", (0, 1): "0.8", (1, 0): "-0.4", (1, 1): "1.0"}


@SETTINGS
@given(st.integers(1, 8), st.integers(1, 4), st.booleans(), st.data())
def test_depth_captions_add_up(c_in, c_out, bias, data):
    xs = data.draw(decimal_values(c_in), label="x")
    ws = data.draw(decimal_values(c_in * c_out), label="w")
    bs = data.draw(decimal_values(c_out), label="b") if bias else None
    x = as_array(xs, (c_in, 1, 1))
    w = as_array(ws, (c_out, c_in))
    b = None if bs is None else as_array(bs, (c_out,))
    head, *lines = captions.depth_caption(x, w, b, 0).split("\n")
    assert head == "pixel (0,0):" and len(lines) == c_out
    for j, line in enumerate(lines):
        m = re.fullmatch(r"- out\[(\d+)\] ([=≈]) (.+) ([=≈]) (\S+)", line)
        assert m and int(m[1]) == j and m[2] == m[4] == "=", line
        terms = m[3].split(" + ")
        pairs = products(" + ".join(terms[:c_in]))
        assert [number(a) for a, _ in pairs] == xs
        assert [number(v) for _, v in pairs] == ws[j * c_in:(j + 1) * c_in]
        total = sum((number(a) * number(v) for a, v in pairs), Fraction(0))
        if bs is not None:
            assert len(terms) == c_in + 1
            total += number(terms[-1].removeprefix("(").removesuffix(")"))
        assert number(m[5]) == total, line


# ---------------------------------------------------------------------------------------------
# Item 5: every case the controls accept renders


ALL_PADDING_MAX = [
    ce.ConvSpec((3, 3), (2, 2), 1, 1, 4, op="max", numerical=True),  # the issue's case
    ce.ConvSpec((3, 3), (2, 2), 1, 1, 4, op="max", numerical=False),
    ce.ConvSpec((2, 5), (2, 2), stride=(1, 2), padding=1, dilation=(3, 2), op="max",
                numerical=True),  # taps on padded rows 0 and 3 only: every window is blind
    ce.ConvSpec((1, 4), (2, 3), padding=1, dilation=(2, 1), op="max", numerical=True),
]


@pytest.mark.parametrize("spec", ALL_PADDING_MAX, ids=lambda s: ce.export_name(s, "x")[:-2])
def test_max_pooling_over_padding_only_is_minus_infinity_and_drawn(spec):
    t = ce.trace(spec)
    kind = t.kind
    blind = {s.index for s in t.steps if not any(kind[c] for c in s.cells)}
    assert blind, "the case must have a window over padding only"
    for s in t.steps:
        caption = ce.step_caption(t, s.index)
        draw_step(t, s.index)
        if s.index in blind:
            assert s.result == -math.inf and t.output[s.out_pos] == -math.inf
            assert "-inf" in caption and "only padding" in caption, caption
        else:
            assert math.isfinite(s.result)
    assert trace_to_gif(t)[:6] == b"GIF89a"
    if spec.numerical:
        labels = {x.cell: x.text for x in Animation(t).texts(0) if x.kind == "output"}
        assert all(labels[t.steps[i].out_pos] == "-inf" for i in blind)


def test_the_issues_case_caption_by_hand():
    # i=3, k=2, p=1, d=4: the taps are padded rows/cols 0 and 4, all padding: max() = -inf.
    t = ce.trace(ALL_PADDING_MAX[0])
    assert len(t.steps) == 1
    assert ce.step_caption(t, 0) == ("output[0,0] = max() = -inf (the window covers only "
                                     "padding, and max pooling skips padding, as PyTorch does)")
    assert ce.step_caption(t, 0, numerical=False) == (
        "output[0,0]: the pooling window covers no input cell and 4 padding cells: only "
        "padding, which max pooling skips, so the output is -inf.")


def test_conv_over_padding_only_regression_guard():
    # A convolution's window over padding alone adds zeros: 0 (padding 2 around one cell).
    t = ce.trace(ce.ConvSpec(1, 1, padding=1, numerical=True), np.array([[5.0]]),
                 np.array([[2.0]]))
    assert ce.step_caption(t, 0) == "output[0,0] = 0·2 = 0.0"
    assert ce.step_caption(t, 4) == "output[1,1] = 5·2 = 10.0"


def test_avg_pool_windows_always_see_an_input_cell_regression_guard():
    """Why no average-pooling window covers only padding: ConvSpec allows padding <= k // 2 and
    no dilation, so the mean over padding alone (0, with count_include_pad) cannot arise."""
    for i in range(1, 6):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(0, k // 2 + 1):
                    spec = build({"input_size": i, "kernel_size": k, "stride": s,
                                  "padding": p, "op": "avg"})
                    if spec is None:
                        continue
                    t = ce.trace(spec)
                    assert all(any(t.kind[c] for c in st_.cells) for st_ in t.steps), spec


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(small_specs(ops=("conv", "max", "avg"), numerical=(False, True), dilation=(1, 2, 3, 4),
                   kernel=(1, 4)))
@example(ALL_PADDING_MAX[0])
@example(ALL_PADDING_MAX[1])
def test_every_valid_spec_captions_and_draws_its_first_and_last_step(spec):
    t = ce.trace(spec)
    for i in (0, len(t.steps) - 1):
        assert ce.step_caption(t, i).startswith("output[")
        im = draw_step(t, i)
        assert im.size[0] > 0 and im.mode == "RGB"


# ---------------------------------------------------------------------------------------------
# Item 10: transposed cases explain themselves


def test_describe_says_how_a_transposed_convolution_is_drawn():
    spec = ce.PRESETS["no_padding_no_strides_transposed"]  # i=2, k=3, p=0, s=1
    lines = ce.describe(spec).splitlines()
    assert len(lines) == 3
    # k-1-p = 2 rings of padding, as the drawn grid has them
    assert grid_layout(spec).rows[0] == 2
    assert lines[2] == ("Drawn as the guide does: a direct convolution over the input with "
                        "s-1 = 0 zeros between neighbouring cells, padded by k_eff-1-p = 3-1-0 "
                        "= 2 on each side, with the kernel rotated 180°.")
    odd = ce.describe(ce.ConvSpec(3, 3, stride=2, padding=1, transposed=True, output_padding=1))
    assert "s-1 = 1 zero between" in odd and "k_eff-1-p = 3-1-1 = 1" in odd
    assert "plus a = 1 at the bottom/right" in odd
    mixed = ce.ConvSpec((3, 4), (3, 2), stride=(1, 2), padding=(0, 1), dilation=(2, 1),
                        transposed=True)
    layout = grid_layout(mixed)
    assert (layout.rows[0], layout.cols[0]) == (4, 0)  # 2·(3-1)+1-1-0 and 2-1-1
    assert "k_eff-1-p = 5-1-0 = 4 (height), 2-1-1 = 0 (width)" in ce.describe(mixed)


def test_describe_of_a_direct_convolution_has_no_such_line_regression_guard():
    assert len(ce.describe(ce.PRESETS["padding_strides"]).splitlines()) == 2


def test_numerical_transposed_captions_use_and_name_the_rotated_kernel():
    # x = [[1, 2], [3, 4]], w = [[1, 2], [3, 4]], k=2, p=0: a 4x4 grid, x in its middle.
    # Output (0, 0): the window [[0, 0], [0, 1]] under w rotated 180° = [[4, 3], [2, 1]],
    # so 1·1 = 1 = x[0,0]·w[0,0], as PyTorch's conv_transpose2d gives.
    spec = ce.ConvSpec(2, 2, transposed=True, numerical=True)
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = ce.trace(spec, x, x)
    assert ce.step_caption(t, 0) == (
        "output[0,0] = 0·4 + 0·3 + 0·2 + 1·1 = 1.0 (kernel rotated 180°)")
    # Output (1, 1): every input cell, 1·4 + 2·3 + 3·2 + 4·1 = 20
    assert ce.step_caption(t, 4) == (
        "output[1,1] = 1·4 + 2·3 + 3·2 + 4·1 = 20.0 (kernel rotated 180°)")
    assert t.output[1, 1] == 20


# ---------------------------------------------------------------------------------------------
# Step numbers: users count from 1


def test_export_name_takes_the_step_users_see():
    spec = ce.PRESETS["no_padding_no_strides"]  # 4 steps
    assert ce.export_name(spec, "png", step=1) == "conv_i4x4_k3x3_s1_p0_d1_step1.png"
    assert ce.export_name(spec, "png", step=4).endswith("_step4.png")
    for bad in (0, 5, -1, True, 1.0):
        with pytest.raises(ValueError, match=r"step must be None or an integer from 1 to 4"):
            ce.export_name(spec, "png", step=bad)
