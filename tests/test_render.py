"""The renderer: pixel colours at known cells, the numbers of the numerical view, geometry."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import conv_engine as ce
from conv_engine.render import (
    SLANT,
    Animation,
    Style,
    animation,
    draw,
    draw_step,
    output_text,
    render_frames,
)


def rgb(code: str) -> tuple[int, int, int]:
    return tuple(int(code[i:i + 2], 16) for i in (1, 3, 5))


def under_shadow(code: str, shadow: str = "#073642", alpha: float = 0.4) -> tuple[int, ...]:
    """A colour seen through the shadow, worked out here independently of the renderer."""
    return tuple(round((1 - alpha) * a + alpha * b) for a, b in zip(rgb(code), rgb(shadow),
                                                                    strict=True))


# The guide's Solarized colours (DESIGN.md).
BLUE, CYAN, WHITE = rgb("#268BD2"), rgb("#2AA198"), rgb("#FFFFFF")
BLUE_SHADOW = rgb("#1A6998")  # blue under base02 at 40 %, as the guide's GIFs show it
CYAN_SHADOW = under_shadow("#2AA198")
WHITE_SHADOW = under_shadow("#FFFFFF")


def test_independent_shadow_arithmetic_matches_the_guide():
    assert under_shadow("#268BD2") == BLUE_SHADOW


def anim_of(name: str, **style) -> Animation:
    return Animation(ce.trace(ce.PRESETS[name]), Style(**style))


def px(im: Image.Image, anim: Animation, plane: str, r: int, c: int) -> tuple[int, ...]:
    return im.getpixel(anim.geometry.cell_pixel(plane, r, c))


def near_connector(anim: Animation, i: int, xy, within: float = 3.0) -> bool:
    """Whether pixel xy lies on (or next to) one of frame i's thin connector lines."""
    p = np.asarray(xy, float) + 0.5
    for a, b in zip(*anim.connectors(i), strict=True):
        t = np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0, 1)
        if np.hypot(*(a + t * (b - a) - p)) < within:
            return True
    return False


def expected_grid(anim: Animation, i: int) -> dict[tuple[int, int], tuple[int, ...]]:
    """Colour of every grid cell in frame i: blue input or white padding, shaded if tapped.
    Cells whose centre a connector line crosses are left out."""
    t = anim.trace
    taps = set(t.steps[i].cells)
    out = {}
    for (r, c), real in np.ndenumerate(t.kind):
        if near_connector(anim, i, anim.geometry.cell_pixel("grid", r, c)):
            continue
        if (r, c) in taps:
            out[r, c] = BLUE_SHADOW if real else WHITE_SHADOW
        else:
            out[r, c] = BLUE if real else WHITE
    return out


CASES = [  # preset, a later frame
    ("no_padding_no_strides", 3),
    ("same_padding_no_strides", 13),
    ("no_padding_strides", 3),
    ("dilation", 4),
    ("padding_strides_odd_transposed", 20),
]


@pytest.mark.parametrize("name,later", CASES)
def test_cell_colours_in_first_and_later_frame(name, later):
    anim = anim_of(name)
    for i in (0, later):
        im = anim.frame(i)
        cells = expected_grid(anim, i)
        assert len(cells) > 0.8 * anim.trace.kind.size  # few cells hide behind a line
        for (r, c), want in cells.items():
            assert px(im, anim, "grid", r, c) == want, (name, i, r, c)
        ho, wo = anim.trace.spec.output_shape
        cur = anim.trace.steps[i].out_pos
        for r in range(ho):
            for c in range(wo):
                want = CYAN_SHADOW if (r, c) == cur else CYAN  # all cyan from frame 0
                assert px(im, anim, "output", r, c) == want, (name, i, r, c)


def test_the_cases_cover_padding_dilation_and_inserted_zeros():
    # The colour test above is only as good as its cases: they must meet every kind of cell.
    seen = set()
    for name, later in CASES:
        anim = anim_of(name)
        for i in (0, later):
            seen |= set(expected_grid(anim, i).values())
    assert {BLUE, BLUE_SHADOW, WHITE, WHITE_SHADOW} <= seen
    dil = anim_of("dilation").trace.steps[0]
    r0, c0, r1, c1 = dil.footprint
    assert (r1 - r0 + 1) * (c1 - c0 + 1) > len(dil.cells)  # untapped cells inside the window


def test_dilated_kernel_shades_only_its_taps():
    anim = anim_of("dilation")
    im = anim.frame(4)  # window rows and columns 1..5, taps on 1, 3, 5
    assert px(im, anim, "grid", 3, 3) == BLUE_SHADOW
    assert px(im, anim, "grid", 3, 4) == BLUE  # between two taps
    assert px(im, anim, "grid", 2, 2) == BLUE
    assert px(im, anim, "grid", 1, 3) == BLUE_SHADOW


def test_frames_differ_only_in_moving_parts():
    anim = anim_of("padding_strides")
    a, b = np.asarray(anim.frame(0)), np.asarray(anim.frame(1))
    static = np.asarray(anim.static)
    assert a.shape == static.shape == (anim.geometry.size[1], anim.geometry.size[0], 3)
    changed = (a != b).any(axis=2)
    assert 0 < changed.mean() < 0.25  # the shadow, lines and output cell, not the grids
    for i in (0, 5):
        frame = np.asarray(anim.frame(i))
        for (x0, y0, x1, y1), patch in anim.patch_arrays(i):
            assert (frame[y0:y1, x0:x1] == patch).all()


def test_edges_are_smooth_and_flat_areas_exact():
    anim = anim_of("same_padding_no_strides")
    keys = np.asarray(anim.frame(0)).reshape(-1, 3).astype(np.int64) @ [1, 256, 65536]
    flat = [r + 256 * g + 65536 * b for r, g, b in anim.colors.flat()]
    assert len(set(np.unique(keys)) - set(flat)) > 20  # anti-aliased edge shades
    # Most pixels are exact palette colours: flat areas stay flat.
    assert np.isin(keys, flat).mean() > 0.85


def test_slant_is_the_guides():
    g = anim_of("no_padding_no_strides").geometry
    cell = g.cell
    right = g.point("grid", 0, 1) - g.point("grid", 0, 0)
    down = g.point("grid", 1, 0) - g.point("grid", 0, 0)
    # A plane point (x, y) (y up) goes to (x - 0.7 y, 0.5 x + 0.65 y); screen y points down.
    np.testing.assert_allclose(right, [cell * SLANT[0, 0], -cell * SLANT[1, 0]])
    np.testing.assert_allclose(down, [cell * 0.7, cell * 0.65])
    # Output above the input.
    out_bottom = g.quad("output", *[0, 0, *ce.PRESETS["no_padding_no_strides"].output_shape])
    grid_top = g.quad("grid", 0, 0, 4, 4)
    assert out_bottom[:, 1].max() < grid_top[:, 1].max()
    assert g.point("output", 0, 0)[1] < g.point("grid", 0, 0)[1]


def test_cell_center_and_plane_coords_invert_each_other():
    g = anim_of("padding_strides_odd").geometry
    for plane, (r, c) in (("grid", (3, 5)), ("output", (1, 2))):
        x, y = g.cell_center(plane, r, c)
        rr, cc = g.plane_coords(plane, x, y)
        assert (rr, cc) == pytest.approx((r + 0.5, c + 0.5))


def test_canvas_at_least_the_guides_and_within_the_limit():
    # The guide's GIFs: 244x259 (no_padding_no_strides) to 495x576 (full_padding_no_strides).
    w, h = anim_of("no_padding_no_strides").geometry.size
    assert w >= 244 and h >= 259
    w, h = anim_of("full_padding_no_strides").geometry.size
    assert w >= 495 and h >= 576
    big = Animation(ce.trace(ce.ConvSpec(48, 3, padding=1)))
    assert max(big.geometry.size) <= 1000
    assert big.geometry.cell < Style().cell


def test_rectangular_input_and_kernel():
    spec = ce.ConvSpec((7, 5), (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    anim = Animation(ce.trace(spec))
    assert anim.geometry.grid_shape == (9, 5)
    for i in (0, len(anim) - 1):
        im = anim.frame(i)
        for (r, c), want in expected_grid(anim, i).items():
            assert px(im, anim, "grid", r, c) == want, (i, r, c)


def test_labels_on_by_default_and_can_be_turned_off():
    on, off = anim_of("padding_strides"), anim_of("padding_strides", labels=False)
    assert [t for t, _, _ in on.geometry.labels] == ["input", "output"]
    assert off.geometry.labels == ()
    assert off.geometry.size[0] < on.geometry.size[0]
    # Ink (dark text pixels) next to the input plane's right corner only when labelled.
    x, y = on.geometry.labels[0][1]
    box = (int(x), int(y) - 8, int(x) + 40, int(y) + 8)
    ink = np.asarray(on.static.crop(box)).max(axis=2) < 90
    assert ink.sum() > 20


def test_high_contrast_palette():
    anim = anim_of("padding_strides", palette="high-contrast")
    im = anim.frame(0)
    assert px(im, anim, "grid", 3, 3) == rgb("#0072B2")
    assert px(im, anim, "output", 2, 2) == rgb("#F0E442")
    assert px(im, anim, "grid", 0, 5) == WHITE


def test_style_is_frozen_and_checked():
    with pytest.raises(ValueError, match="palette"):
        Style(palette="pink")
    with pytest.raises(ValueError, match="cell"):
        Style(cell=0)
    with pytest.raises(AttributeError):
        Style().cell = 5  # type: ignore[misc]
    assert Style() == Style() and hash(Style()) == hash(Style())


def test_the_engine_keeps_nothing_between_calls():
    # Memoising belongs to the app (ui/cached.py); each call draws anew, equal frames.
    t = ce.trace(ce.PRESETS["padding_strides"])
    first, second = animation(t), animation(t)
    assert first is not second
    assert np.array_equal(np.asarray(first.frame(3)), np.asarray(second.frame(3)))


def test_draw_is_the_animation_frame_and_checks_the_step():
    t = ce.trace(ce.PRESETS["padding_strides"])
    a = draw(4, trace=t)
    b = draw(t.steps[4], trace=t)
    c = draw_step(t, 4)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert np.array_equal(np.asarray(a), np.asarray(c))
    assert np.array_equal(np.asarray(animation(t).frame(4)), np.asarray(a))
    assert len(render_frames(t)) == t.spec.steps
    with pytest.raises(ValueError, match="step"):
        draw(9, trace=t)


def dark(im: Image.Image, xy, half: float) -> int:
    """Ink pixels (near black) in a square around xy."""
    x, y = xy
    crop = im.crop((int(x - half), int(y - half), int(x + half) + 1, int(y + half) + 1))
    return int((np.asarray(crop).max(axis=2) < 70).sum())


def test_numerical_numbers_come_from_the_trace():
    t = ce.trace(ce.PRESETS["numerical_no_padding_no_strides"])
    anim = Animation(t)
    assert t.output[0, 0] == 12  # the guide's first output
    for i in (0, 8):
        texts = anim.texts(i)
        outputs = {x.cell: x.text for x in texts if x.kind == "output"}
        assert outputs == {(r, c): output_text(v) for (r, c), v in np.ndenumerate(t.output)}
        assert outputs[0, 0] == "12.0"
        values = {x.cell: x.text for x in texts if x.kind == "value"}
        assert values == {(r, c): str(int(v)) for (r, c), v in np.ndenumerate(t.grid)}
        step = t.steps[i]
        weights = {x.cell: x.text for x in texts if x.kind == "weight"}
        assert weights == {cell: str(int(step.weights[a, b]))
                           for cell, (a, b) in zip(step.cells, step.taps, strict=True)}


def test_numerical_text_is_drawn_where_expected():
    anim = Animation(ce.trace(ce.PRESETS["numerical_no_padding_no_strides"]))
    first, last = anim.frame(0), anim.frame(8)
    weight00 = next(x for x in anim.texts(0) if x.kind == "weight" and x.cell == (0, 0))
    half = 0.45 * weight00.size
    assert dark(first, weight00.xy, half) > 3  # the weight is written in cell (0, 0)...
    assert dark(last, weight00.xy, half) == 0  # ...and gone once the kernel moved away
    for x in anim.texts(8):
        if x.kind in ("value", "output"):
            assert dark(last, x.xy, 0.3 * x.size) > 3, x


def test_numerical_flat_layout_input_left_output_right():
    anim = Animation(ce.trace(ce.PRESETS["numerical_padding_strides"]))
    g = anim.geometry
    grid_right = g.quad("grid", 0, 0, *g.grid_shape)[:, 0].max()
    assert g.quad("output", 0, 0, *g.output_shape)[:, 0].min() > grid_right
    # Flat: rows are horizontal.
    assert g.point("grid", 0, 0)[1] == g.point("grid", 0, 3)[1]
    im = anim.frame(4)
    assert im.getpixel(tuple(int(v) + 3 for v in g.point("grid", 0, 0))) == WHITE  # padding
    assert im.getpixel(tuple(int(v) + 3 for v in g.point("grid", 1, 1))) == BLUE
    # Frame 4: the centre output; its taps are grid rows/cols 2..4, shaded.
    assert im.getpixel(tuple(int(v) + 3 for v in g.point("grid", 2, 2))) == BLUE_SHADOW
    assert im.getpixel(tuple(int(v) + 3 for v in g.point("output", 1, 1))) == CYAN_SHADOW


def test_pooling_shows_no_weights_and_max_pool_padding_no_zeros():
    anim = Animation(ce.trace(ce.PRESETS["numerical_max_pooling"]))
    assert [t for t, _, _ in anim.geometry.labels] == ["input", "output (max)"]
    texts = anim.texts(4)
    assert not [x for x in texts if x.kind == "weight"]
    assert {x.text for x in texts if x.kind == "output"} <= {"1.0", "2.0", "3.0"}
    padded = Animation(ce.trace(ce.ConvSpec(4, 3, padding=1, op="max", numerical=True)))
    kind = padded.trace.kind
    assert all(kind[x.cell] for x in padded.texts() if x.kind == "value")
    avg = Animation(ce.trace(ce.ConvSpec(4, 3, padding=1, op="avg", numerical=True)))
    assert sum(1 for x in avg.texts() if x.kind == "value") == 36  # zeros count in the mean


def test_arithmetic_view_has_no_numbers():
    assert anim_of("padding_strides").texts(0) == []
