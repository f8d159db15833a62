"""The 1x1 convolution through depth: frames, GIF, colours at known pixels, captions, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from conv_engine.captions import depth_caption
from conv_engine.export import depth_gif
from conv_engine.limits import MAX_DEPTH_NUMERICAL as MAX_NUMERICAL
from conv_engine.limits import MAX_DEPTH_SCHEMATIC as MAX_SCHEMATIC
from conv_engine.ops import pointwise
from conv_engine.render.depth import (
    DepthAnimation,
    depth_animation,
    depth_frames,
    depth_geometry,
    draw_depth_step,
)
from conv_engine.render.style import Style

# The guide's colours (DESIGN.md): input blue, output cyan, blue under the 40 % base02 shadow.
BLUE = (0x26, 0x8B, 0xD2)
CYAN = (0x2A, 0xA1, 0x98)
SHADED_BLUE = (0x1A, 0x69, 0x98)
WHITE = (0xFF, 0xFF, 0xFF)


def _data(c_in=6, c_out=3, h=4, w=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, (c_in, h, w)).astype(float), rng.integers(-2, 3, (c_out, c_in))


@pytest.fixture(scope="module")
def default():
    x, w = _data()
    anim = DepthAnimation(x, w)
    return x, w, anim, anim.frames()


# ---------------------------------------------------------------------------------------------
# Frames and GIF


def test_one_frame_per_pixel_all_of_one_size(default):
    _, _, anim, frames = default
    assert len(frames) == 16 == len(anim)
    assert {f.size for f in frames} == {anim.geometry.size}
    x, w = _data(c_in=3, c_out=2, h=3, w=5)
    frames = depth_frames(x, w, numerical=True)
    assert len(frames) == 15
    assert len({f.tobytes() for f in frames}) == 15  # every frame shows a different pixel


def test_a_still_is_the_same_frame(default):
    x, w, _, frames = default
    assert draw_depth_step(x, w, None, 7).tobytes() == frames[7].tobytes()
    # The engine keeps nothing between calls (the app memoises): drawn anew, the same frame.
    again = depth_animation(x.copy(), w.copy())
    assert again is not depth_animation(x, w)
    assert again.frame(7).tobytes() == frames[7].tobytes()


def test_gif_loops_forever_and_lasts_frames_times_duration():
    x, w = _data(c_in=4, c_out=2, h=3, w=3)
    data = depth_gif(x, w, duration=300)
    im = Image.open(io.BytesIO(data))
    assert im.format == "GIF"
    assert im.info["loop"] == 0
    total = 0
    for i in range(im.n_frames):
        im.seek(i)
        total += im.info["duration"]
    assert total == 9 * 300


def test_gif_keeps_the_flat_colours_exact():
    x, w = _data(c_in=4, c_out=2, h=3, w=3)
    anim = depth_animation(x, w)
    g = anim.geometry
    im = Image.open(io.BytesIO(depth_gif(x, w))).convert("RGB")  # frame 0: pixel (0, 0)
    assert im.getpixel(g.cell_pixel("input", 1, 0, 0)) == SHADED_BLUE
    assert im.getpixel(g.cell_pixel("input", 1, 2, 2)) == BLUE
    assert im.getpixel(g.cell_pixel("output", 1, 2, 2)) == WHITE


def test_tinted_gif_decodes_to_the_frames_with_every_fill_and_shade_exact():
    rng = np.random.default_rng(5)
    x, w, b = rng.random((5, 3, 3)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    anim = depth_animation(x, w, b, tint=True)
    gif = Image.open(io.BytesIO(depth_gif(x, w, b, tint=True)))
    assert gif.n_frames == len(anim) == 9  # every frame shows a different pixel
    keep = {*anim.colors.flat(), *anim._shades.values()}
    for i, frame in enumerate(anim.frames()):
        gif.seek(i)
        shown = np.asarray(gif.convert("RGB")).astype(int)
        true = np.asarray(frame).astype(int)
        key = true[..., 0] | true[..., 1] << 8 | true[..., 2] << 16
        exact = np.isin(key, [r | g << 8 | bl << 16 for r, g, bl in keep])
        assert exact.mean() > 0.8  # faces, sheets and page: most of the drawing
        assert np.array_equal(shown[exact], true[exact])
        assert np.abs(shown - true).mean() < 1.0  # edge shades: nearest palette colour


def test_bad_duration_is_refused():
    x, w = _data(c_in=2, c_out=1, h=2, w=2)
    with pytest.raises(ValueError, match="duration"):
        depth_gif(x, w, duration=0)


# ---------------------------------------------------------------------------------------------
# Colours at known pixels


@pytest.mark.parametrize("index", [0, 5, 15])
def test_the_pixels_depth_column_is_shaded_through_every_input_sheet(default, index):
    _, _, anim, frames = default
    g, frame = anim.geometry, frames[index]
    r, c = divmod(index, g.w)
    other = divmod((index + 6) % 16, g.w)
    for k in range(g.c_in):
        assert frame.getpixel(g.cell_pixel("input", k, r, c)) == SHADED_BLUE
        if 0 < k < g.c_in - 1:  # the top and bottom sheets carry the connector lines
            assert frame.getpixel(g.cell_pixel("input", k, *other)) == BLUE


def test_output_cells_light_up_in_every_output_sheet_in_row_major_order(default):
    _, _, anim, frames = default
    g, frame = anim.geometry, frames[5]  # pixel (1, 1)
    current = anim.colors.shaded(CYAN)
    for j in range(g.c_out):
        assert frame.getpixel(g.cell_pixel("output", j, 0, 3)) == CYAN  # computed already
        assert frame.getpixel(g.cell_pixel("output", j, 1, 0)) == CYAN
        assert frame.getpixel(g.cell_pixel("output", j, 1, 1)) == current
        assert frame.getpixel(g.cell_pixel("output", j, 1, 2)) != CYAN  # not yet
        assert frame.getpixel(g.cell_pixel("output", j, 3, 3)) == WHITE
    last = frames[-1]
    assert all(last.getpixel(g.cell_pixel("output", j, r, c)) == CYAN
               for j in range(g.c_out) for r in range(4) for c in range(4) if (r, c) != (3, 3))


def test_frames_are_the_whole_picture_redrawn(default):
    """Each frame is the static picture with a few boxes re-drawn: drawing everything at once
    gives the same image (up to a stray edge pixel), so no box misses a change."""
    for x, w, b, numerical, tint in [(*default[:2], None, False, False),
                                     (*_data(5, 4, 3, 4, seed=1), np.arange(4.0), True, True)]:
        anim = DepthAnimation(x, w, b, numerical=numerical, tint=tint)
        for i in [*range(0, len(anim), 3), len(anim) - 1]:
            full = anim._under.copy()
            anim._paint(full, (0, 0, *anim.geometry.size), anim._ops(divmod(i, x.shape[2])))
            full = full.reduce(anim.ss)
            diff = np.abs(np.asarray(full, int) - np.asarray(anim.frame(i), int)).max(axis=2)
            assert (diff > 0).sum() <= 8 and diff.max() <= 80, i


def test_tint_shades_each_sheet_by_its_values():
    x = np.zeros((2, 2, 3))
    x[0] = [[0, 1, 2], [3, 4, 5]]
    x[1, 1, 2] = 7
    anim = DepthAnimation(x, np.ones((1, 2)), tint=True)
    g, im = anim.geometry, anim.static
    assert im.getpixel(g.cell_pixel("input", 0, 1, 2)) == BLUE  # largest value of its sheet
    palest = im.getpixel(g.cell_pixel("input", 0, 0, 0))
    middle = im.getpixel(g.cell_pixel("input", 0, 0, 2))
    assert sum(BLUE) < sum(middle) < sum(palest) < sum(WHITE)
    assert im.getpixel(g.cell_pixel("input", 1, 0, 0)) == palest  # same rank, other sheet


def test_geometry_is_the_frames_and_fits_the_style():
    x, w = _data(c_in=16, c_out=8, h=8, w=8)
    style = Style(max_size=900)
    g = depth_geometry(16, 8, 8, 8, style=style)
    anim = DepthAnimation(x, w, style=style)
    assert anim.geometry.size == g.size and max(g.size) <= 900
    corners = [g.cell_center(s, k, r, c) for s, n in (("input", 16), ("output", 8))
               for k in (0, n - 1) for r, c in ((0, 0), (7, 7))]
    assert all(0 < x < g.size[0] and 0 < y < g.size[1] for x, y in corners)
    # One depth column: the same pixel of every sheet sits straight above the next one.
    xs = {round(g.cell_center("input", k, 3, 5)[0], 6) for k in range(16)}
    ys = [g.cell_center("input", k, 3, 5)[1] for k in range(16)]
    assert len(xs) == 1 and all(np.diff(ys) > 0)


# ---------------------------------------------------------------------------------------------
# Numbers


def test_outputs_are_the_engines_pointwise():
    x, w = _data(c_in=5, c_out=3, h=3, w=3, seed=2)
    b = np.array([0.5, -1.0, 0.0])
    anim = DepthAnimation(x, w, b, numerical=True)
    assert np.array_equal(anim.output, pointwise(x, w, b))


def test_numerical_caption_spells_out_each_dot_product():
    x, w = _data(c_in=4, c_out=3, h=2, w=3, seed=3)
    b = [0.5, -2.0, 1.5]
    caption = depth_caption(x, w, b, 4)  # pixel (1, 1)
    head, *lines = caption.split("\n")
    assert head == "pixel (1,1):"
    assert len(lines) == 3 and all(line.startswith("- ") for line in lines)
    for j, part in enumerate(line.removeprefix("- ") for line in lines):
        expected = sum(float(x[k][1][1]) * float(w[j][k]) for k in range(4)) + b[j]
        assert part.startswith(f"out[{j}] = ")
        assert part.endswith(f" = {expected:.1f}")
        first = f"{x[0][1][1]:g}·" + (f"({w[j][0]})" if w[j][0] < 0 else f"{w[j][0]}")
        assert part.split(" = ")[1].startswith(first)


def test_long_sums_are_elided_but_the_result_is_whole():
    x, w = _data(c_in=12, c_out=1, h=1, w=2, seed=4)
    caption = depth_caption(x, w, None, 1, max_terms=6)
    expected = sum(float(x[k][0][1]) * float(w[0][k]) for k in range(12))
    assert "…" in caption and caption.count("·") == 5
    assert caption.endswith(f"= {expected:.1f}")


def test_schematic_caption_counts_multiply_adds():
    x, w = _data(c_in=6, c_out=3, h=2, w=2)
    assert depth_caption(x, w, None, 3, numerical=False) == (
        "pixel (1,1): each of the 3 output channels is a weighted sum of the pixel's 6 channel "
        "values: 18 multiply-adds."
    )


# ---------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("shape_x", "shape_w", "numerical", "match"),
    [
        ((6, 4, 4), (3, 5), False, r"w\.shape\[1\] = 5"),
        ((6, 4), (3, 6), False, r"x must have shape \(C_in, H, W\)"),
        ((6, 4, 4), (18,), False, r"w must have shape \(C_out, C_in\)"),
        ((MAX_SCHEMATIC["C_in"] + 1, 2, 2), (2, MAX_SCHEMATIC["C_in"] + 1), False,
         r"C_in must be from 1 to 16 .*C_out <= 8, H <= 8, W <= 8"),
        ((4, 2, 2), (MAX_SCHEMATIC["C_out"] + 1, 4), False, r"C_out must be from 1 to 8"),
        ((2, 9, 2), (1, 2), False, r"H must be from 1 to 8"),
        ((MAX_NUMERICAL["C_in"] + 1, 2, 2), (1, 9), True, r"C_in must be from 1 to 8 for the "
                                                          r"numerical"),
        ((4, 2, 2), (MAX_NUMERICAL["C_out"] + 1, 4), True, r"C_out must be from 1 to 4"),
    ],
)
def test_bad_shapes_raise_naming_the_parameter(shape_x, shape_w, numerical, match):
    with pytest.raises(ValueError, match=match):
        depth_frames(np.ones(shape_x), np.ones(shape_w), numerical=numerical)


def test_bad_bias_names_index_and_values_raise():
    x, w = _data(c_in=3, c_out=2, h=2, w=2)
    with pytest.raises(ValueError, match=r"b must be .* shape \(C_out,\) = \(2,\)"):
        depth_frames(x, w, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="channel_names must have one name per input channel"):
        depth_frames(x, w, channel_names=["r", "g"])
    with pytest.raises(ValueError, match=r"index must be an integer from 0 to 3"):
        draw_depth_step(x, w, None, 4)
    with pytest.raises(ValueError, match="index"):
        depth_caption(x, w, None, -1)
    x[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x must be finite"):
        depth_frames(x, w)


def test_the_styles_palette_and_labels_are_honoured():
    x, w = _data(c_in=3, c_out=2, h=2, w=3)
    hc = Style(palette="high-contrast")
    anim = DepthAnimation(x, w, style=hc)
    g, im = anim.geometry, anim.frame(4)  # pixel (1, 1)
    assert im.getpixel(g.cell_pixel("input", 2, 1, 1)) == hc.rgb.shaded(hc.rgb.input)
    assert im.getpixel(g.cell_pixel("output", 1, 1, 0)) == hc.rgb.output
    bare = depth_geometry(3, 2, 2, 3, style=Style(labels=False))
    assert bare.size[1] < depth_geometry(3, 2, 2, 3).size[1]
    assert not any(text.startswith(("input", "output")) for text, *_ in bare.labels)
