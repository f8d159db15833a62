"""The channels page (AppTest) and what it shows: the channels drawing, checked pixel by pixel
against the grouping rule, and its captions against the engine's grouped convolution."""

from __future__ import annotations

import io
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageSequence
from streamlit.testing.v1 import AppTest

import conv_engine as ce
from conv_engine.captions import channels_caption
from conv_engine.channels import channels_gif
from conv_engine.layers import Pool
from conv_engine.render import DEFAULT_STYLE
from tests.test_app_touch import _change, _clean, _widgets
from tests.test_groups import naive_grouped_conv2d

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/channels.py"
FAST = settings(max_examples=40, deadline=None)


# ---------------------------------------------------------------------------------------------
# The drawing


def _sheet_pixel(anim, stack, sheet, r, c):
    """The pixel at the centre of cell (r, c) of a sheet."""
    x, y = anim.geometry.point(stack, sheet, r + 0.5, c + 0.5)
    return int(np.floor(x)), int(np.floor(y))


def _seen(c_in, c_out, groups, o):
    """PyTorch's rule: filter o of group o // (C_out/groups) reads that group's channels."""
    q = o // (c_out // groups)
    per = c_in // groups
    return set(range(q * per, (q + 1) * per))


@st.composite
def cases(draw):
    c_in = draw(st.integers(1, 8))
    groups = draw(st.sampled_from([d for d in range(1, c_in + 1) if c_in % d == 0]))
    c_out = groups * draw(st.integers(1, 8 // groups))
    k = draw(st.sampled_from([1, 3, 5]))
    p = draw(st.integers(0, 2))
    side = draw(st.integers(max(3, k - 2 * p), 7))
    s = draw(st.integers(1, 3))
    layer = ce.Conv(c_out, k, s, p, groups=groups, bias=False)
    return layer, (c_in, side, side), draw(st.integers(0, c_out - 1))


@FAST
@given(cases(), st.data())
def test_each_frame_shades_the_window_on_exactly_the_channels_of_the_filters_group(case, data):
    layer, shape, o = case
    anim = ce.channels_animation(layer, shape, o)
    c_in, side, _ = shape
    _, ho, wo = layer.output_shape(shape)
    assert len(anim) == ho * wo
    i = data.draw(st.integers(0, len(anim) - 1))
    frame = np.asarray(anim.frame(i))
    colors, pal = anim.colors, anim.palette
    r, c = divmod(i, wo)
    k, s, p = layer.kernel, layer.stride, layer.padding
    seen = _seen(c_in, layer.out_channels, layer.groups, o)
    for ch in range(c_in):
        for gr in range(r * s, r * s + k):  # the window, in padded-grid rows and columns
            for gc in range(c * s, c * s + k):
                real = p <= gr < p + side and p <= gc < p + side
                got = tuple(frame[_sheet_pixel(anim, "input", ch, gr, gc)[::-1]])
                if ch in seen:
                    want = colors.shaded(colors.input if real else colors.background)
                else:  # a channel the filter never reads: left as it is
                    want = pal["pale_in"] if real else colors.background
                assert got == want, (ch, gr, gc)
    # The output cell of this step, shaded on the filter's own channel only.
    for oc in range(layer.out_channels):
        got = tuple(frame[_sheet_pixel(anim, "output", oc, r, c)[::-1]])
        want = colors.shaded(colors.output) if oc == o else pal["pale_out"]
        assert got == want, oc
    static = np.asarray(anim.static)
    for other in range(ho * wo):  # the filter's other cells: cyan, never shaded (a connector
        if other == i:            # line may cross one on its way to the current cell)
            continue
        xy = _sheet_pixel(anim, "output", o, *divmod(other, wo))[::-1]
        assert tuple(static[xy]) == colors.output
        assert tuple(frame[xy]) != colors.shaded(colors.output)


@FAST
@given(cases())
def test_a_filter_has_one_tile_beside_each_channel_of_its_group_and_no_other(case):
    layer, shape, _ = case
    anim = ce.channels_animation(layer, shape, 0)
    g = anim.geometry
    for o in range(layer.out_channels):
        for ch in _seen(shape[0], layer.out_channels, layer.groups, o):
            top = g.tile_faces(o, ch)["top"]
            # The tile stands level with the channel's sheet: its centre within the sheet's.
            sheet = g.quad("input", ch, 0, 0, g.rows, g.cols)
            assert sheet[:, 1].min() <= top[:, 1].mean() <= sheet[:, 1].max()
    # Columns left to right, no two filters overlapping.
    assert np.all(np.diff(g.filter_x) > 0)
    assert max(g.size) <= 1000 + 50 and g.size[0] <= DEFAULT_STYLE.max_size


def test_the_static_canvas_shades_nothing_and_frames_differ_only_around_the_moving_parts():
    layer = ce.Conv(4, 3, 1, 1, groups=2, bias=False)
    anim = ce.channels_animation(layer, (4, 5, 5), 2)
    static = np.asarray(anim.static)
    c = anim.colors
    for ch in range(4):  # no cell of any sheet shaded: blue (seen), pale (not seen), padding
        for gr in range(7):
            for gc in range(7):
                px = tuple(static[_sheet_pixel(anim, "input", ch, gr, gc)[::-1]])
                real = 1 <= gr <= 5 and 1 <= gc <= 5
                want = (c.input if ch in (2, 3) else anim.palette["pale_in"]) if real else \
                    c.background
                assert px == want, (ch, gr, gc)
    for i in (0, 12, 24):
        (box, patch), = anim.patch_arrays(i)
        frame = np.asarray(anim.frame(i))
        x0, y0, x1, y1 = box
        np.testing.assert_array_equal(frame[y0:y1, x0:x1], patch)
        outside = frame.copy()
        outside[y0:y1, x0:x1] = static[y0:y1, x0:x1]
        np.testing.assert_array_equal(outside, static)


def test_the_gif_has_one_frame_a_step_at_the_duration_asked():
    layer = ce.Conv(2, 3, 2, 1, groups=2, bias=False)
    data = channels_gif(layer, (2, 5, 5), 1, duration=200)
    im = Image.open(io.BytesIO(data))
    total = sum(f.info["duration"] for f in ImageSequence.Iterator(im))
    assert total == 9 * 200  # 3x3 output cells; identical frames would merge, not vanish
    assert im.size == ce.channels_animation(layer, (2, 5, 5), 1).geometry.size


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ce.channels_animation(ce.Conv(4, 3), (9, 5, 5)),
         r"C_in must be at most 8 for the channels view, got 9"),
        (lambda: ce.channels_animation(ce.Conv(4, 3), (4, 8, 5)), r"H must be at most 7"),
        (lambda: ce.channels_animation(ce.Conv(16, 3), (4, 5, 5)), r"C_out must be at most 8"),
        (lambda: ce.channels_animation(ce.Conv(4, 3, dilation=2), (4, 5, 5)),
         r"dilation must be 1 for the channels view"),
        (lambda: ce.channels_animation(ce.Conv(4, 3, groups=2), (3, 5, 5)),
         r"groups must divide the input channels"),
        (lambda: ce.channels_animation(ce.Conv(4, 5), (4, 3, 3)),
         r"kernel_size 5 is larger than the padded input \(3\)"),
        (lambda: ce.channels_animation(ce.Conv(4, 3), (4, 5, 5), 4),
         r"filter must be an integer from 0 to 3, got 4"),
        (lambda: ce.channels_animation(ce.Conv(4, 3), (4, 5, 5), True), r"filter must be"),
        (lambda: ce.channels_animation(ce.Conv(4, 3), (4, 5, 5)).frame(9),
         r"step must be an integer from 0 to 8, got 9"),
        (lambda: ce.channels_animation(Pool(2), (4, 5, 5)), r"layer must be a Conv"),
        (lambda: ce.channels_animation(ce.Conv(4, 3), (4, 5, 5), style="x"),
         r"style must be a Style"),
    ],
)
def test_what_the_view_cannot_draw_is_refused_naming_it(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------------------------
# Captions


@FAST
@given(cases(), st.integers(0, 2**16), st.data())
def test_captions_add_up_to_the_grouped_convolution(case, seed, data):
    layer, shape, o = case
    x, w = ce.channels_data(layer, shape, seed)
    _, ho, wo = layer.output_shape(shape)
    i = data.draw(st.integers(0, ho * wo - 1))
    text = channels_caption(x, w, layer, o, i)
    r, c = divmod(i, wo)
    s, p = (layer.stride,) * 2, (layer.padding,) * 2
    want = naive_grouped_conv2d(x, w, None, s, p, (1, 1), layer.groups)[o, r, c]
    lines = text.split("\n")
    last = lines[-1]
    assert last.startswith(f"- out[{o}, {r}, {c}] = ")
    assert Fraction(re.search(r"= (-?[\d.]+):", last).group(1)) == Fraction(want)
    seen = sorted(_seen(shape[0], layer.out_channels, layer.groups, o))
    partials = [line for line in lines if line.startswith("- channel ")]
    assert [int(line.split()[2].rstrip(":")) for line in partials] == seen
    xp = np.pad(x, ((0, 0), (layer.padding,) * 2, (layer.padding,) * 2))
    k = layer.kernel
    for g, line in enumerate(partials):
        ch = seen[g]
        r0, c0 = r * layer.stride, c * layer.stride
        window = xp[ch, r0:r0 + k, c0:c0 + k]
        assert Fraction(line.rsplit("= ", 1)[1]) == Fraction(float(np.sum(window * w[o, g])))
    per = shape[0] // layer.groups
    assert last.endswith(f"{per}·{k}·{k} = {per * k * k} multiply-adds")


def test_caption_written_out():
    layer = ce.Conv(4, 3, 1, 1, groups=2, bias=False)
    x = np.arange(4 * 5 * 5, dtype=float).reshape(4, 5, 5) % 4
    w = np.ones((4, 2, 3, 3))
    w[2, 1] = -1
    text = channels_caption(x, w, layer, 2, 0)
    # Filter 2 is in group 1 (channels 2-3); output cell (0, 0) reads rows/cols 0-2 of the
    # padded input: channel 2 holds 2 + 3 + 3 + 0 = 8 in its real 2x2 corner, channel 3 holds
    # 3 + 0 + 0 + 1 = 4, weighed by -1.
    assert text.split("\n")[0].startswith("**Filter 2** (group 1 of 2) reads input channels "
                                          "2–3, rows 0–2 and columns 0–2")
    assert text.split("\n")[-1] == "- out[2, 0, 0] = 8.0 + (-4.0) = 4.0: 2·3·3 = 18 multiply-adds"


# ---------------------------------------------------------------------------------------------
# The page

pytestmark_page = pytest.mark.usefixtures("fresh_caches")

STARTS = [
    {},
    {"cin": "8", "g": "8", "cout": "8", "side": "7"},  # depthwise, the largest drawing
    {"cin": "6", "g": "3", "cout": "3", "k": "5", "p": "2", "s": "2", "f": "2"},
    {"k": "1", "p": "0", "alpha": "0.25", "res": "128", "stage": "conv5_x"},
    {"cin": "3"},  # no group of 2: the groups default falls back to 1
    {"cin": "1", "rk": "7", "rs": "2", "rside": "1"},
]


def _change_any(at: AppTest, w) -> None:
    """Set ``w`` to another value; the select sliders whose options show labels get a value."""
    if w.type == "select_slider" and w.key in ("ch-g", "ch-res"):
        if w.key == "ch-g":
            c_in = at.number_input(key="ch-cin").value
            values = [d for d in range(1, c_in + 1) if c_in % d == 0]
        else:
            values = [128, 160, 192, 224]
        w.set_value(values[(values.index(w.value) + 1) % len(values)])
    else:
        _change(w)


def _app(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(PAGE)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


@pytestmark_page
@pytest.mark.parametrize("query", STARTS, ids=lambda q: "&".join(f"{k}={v}" for k, v in
                                                                 q.items()) or "default")
def test_touch_every_control_then_rerun(query):
    at = _app(**query)
    _clean(at, "first run")
    at.run()
    _clean(at, "rerun")
    touched: set[str] = set()
    while todo := [key for key in _widgets(at) if key not in touched]:
        touched.add(todo[0])
        _change_any(at, _widgets(at)[todo[0]])
        at.run()
        _clean(at, f"after changing {todo[0]}")
        at.run()
        _clean(at, f"rerun after changing {todo[0]}")
    for key in ("ch-cin", "ch-g", "ch-cout", "ch-side", "ch-k", "ch-s", "ch-p", "ch-seed",
                "ch-step", "ch-rcin", "ch-rcout", "ch-rk", "ch-rside", "ch-rs", "ch-alpha",
                "ch-res", "ch-stage"):
        assert key in touched, key
    for im in at.image:  # every picture says what it shows
        assert all(img.alt for img in im.proto.imgs)


@pytestmark_page
def test_defaults_show_the_grouped_case_and_its_numbers():
    at = _app()
    _clean(at, "first run")
    assert at.title[0].value == "Channels, groups and depthwise"
    # Animation + step still, three separable GIFs, two charts.
    assert len(at.image) == 7
    text = " ".join(m.value for m in at.markdown)
    assert "Filter 0 is 3×3×2: it sees input channels 0–1 only" in text
    # 4 -> 4 channels, 3x3, 5x5: 1,300 / 3,600 = 1/4 + 1/9 = 13/36
    assert "= 1,300 / 3,600 = 1/C_out + 1/k² = 1/4 + 1/9 = 13/36 ≈ 0.361" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Multiply-adds"]  # the last of several, every value short
    assert all(len(m.value) <= 12 and len(m.label) <= 28 for m in at.metric)
    assert "Howard et al. (2017) print 569 M mult-adds and 4.2 M parameters" in text


@pytestmark_page
def test_settings_are_in_the_link_and_a_link_opens_the_same_case():
    at = _app()
    at.select_slider(key="ch-g").set_value(4).run()
    _clean(at, "groups 4")
    assert at.query_params["g"] == ["4"] or at.query_params["g"] == "4"
    text = " ".join(m.value for m in at.markdown)
    assert "Filter 0 is 3×3×1: it sees input channel 0 only" in text
    again = _app(g="4", f="3", step="5")
    _clean(again, "from the link")
    assert again.select_slider(key="ch-g").value == 4
    assert again.slider(key="ch-f").value == 3 and again.slider(key="ch-step").value == 5
    # Step 5 is output cell (0, 4): rows 0-2, columns 4-6 of the padded 7x7 input.
    assert "reads input channel 3, rows 0–2 and columns 4–6" in " ".join(
        m.value for m in again.markdown)


@pytestmark_page
def test_a_kernel_larger_than_the_padded_input_is_a_message_not_a_crash():
    at = _app(side="3", k="5", p="0")
    assert not at.exception
    assert any("kernel_size 5 is larger than the padded input (3)" in e.value for e in at.error)
