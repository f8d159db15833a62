"""The player's data (pure engine) and its payload, checked against the engine's own trace,
drawings and ops, and against brute force; the PyTorch line against hand-known cases and
the engine's output sizes."""

from __future__ import annotations

import ast
import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import conv_engine as ce
from conv_engine.captions import depth_caption, pytorch_shapes
from conv_engine.render.depth import depth_animation

# A padded, a strided, a dilated and a transposed case, pooling, numbers, uneven shapes.
CASES = {
    "padded": ce.PRESETS["arbitrary_padding_no_strides"],
    "strided": ce.PRESETS["no_padding_strides"],
    "dilated": ce.PRESETS["dilation"],
    "transposed": ce.PRESETS["padding_strides_transposed"],
    "transposed_odd": ce.PRESETS["padding_strides_odd_transposed"],
    "numerical": ce.PRESETS["numerical_padding_strides"],
    "max": ce.PRESETS["numerical_max_pooling"],
    "uneven": ce.ConvSpec((5, 7), (3, 2), (2, 1), 1, (1, 2)),
    "same_even": ce.ConvSpec(6, 4, 1, "same", numerical=True),
    "transposed_a": ce.ConvSpec(3, 3, 2, 1, transposed=True, output_padding=1),
    "skips_inputs": ce.ConvSpec(7, 2, 3, 0),  # stride 3 over a 2-wide kernel: some read by none
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    spec = CASES[request.param]
    t = ce.trace(spec)
    style = ce.player_style()
    return spec, t, style, ce.player_data(t, style)


def _reads_from_trace(t: ce.Trace) -> list[list[tuple[int, int]]]:
    """Oracle: each step's real input cells, from the trace's own cells."""
    out = []
    for s in t.steps:
        cells = [t.layout.input_index(gr, gc) for gr, gc in s.cells]
        out.append([c for c in cells if c is not None])
    return out


def test_each_step_reads_the_trace_cells(case):
    spec, t, _, d = case
    assert d.steps == spec.steps == len(d.overlays) == len(d.reads)
    want = _reads_from_trace(t)
    for i, step in enumerate(t.steps):
        assert tuple(d.out_cells[i]) == step.out_pos
        got = [tuple(d.in_cells[j]) for j in d.reads[i]]
        assert got == want[i], i


def test_input_cells_are_the_real_input_cells(case):
    spec, _, _, d = case
    ih, iw = spec.input_size
    assert sorted(map(tuple, d.in_cells.tolist())) == [(r, c) for r in range(ih)
                                                       for c in range(iw)]


def test_reverse_map_matches_brute_force(case):
    _, t, _, d = case
    want = _reads_from_trace(t)
    for j, cell in enumerate(map(tuple, d.in_cells.tolist())):
        brute = [i for i in range(len(want)) if cell in want[i]]
        assert d.readers[j].tolist() == brute, cell


def test_some_inputs_are_read_by_no_output():
    # Stride 3 over a 2-wide kernel skips every third row and column: an honest empty list.
    d = ce.player_data(ce.trace(CASES["skips_inputs"]))
    empty = [tuple(d.in_cells[j]) for j, r in enumerate(d.readers) if r.size == 0]
    assert (2, 0) in empty and (0, 2) in empty and (0, 0) not in empty


def test_polygons_lie_inside_the_frame(case):
    _, _, _, d = case
    w, h = d.size
    for polys in (d.out_polys, d.in_polys):
        assert polys.shape[1:] == (1, 4, 2)
        assert (polys[..., 0] >= 0).all() and (polys[..., 0] <= w).all()
        assert (polys[..., 1] >= 0).all() and (polys[..., 1] <= h).all()


def _inside(pt, quad) -> bool:
    """Whether a point lies in a convex quadrilateral (either orientation)."""
    signs = []
    for k in range(4):
        (x0, y0), (x1, y1) = quad[k], quad[(k + 1) % 4]
        signs.append((x1 - x0) * (pt[1] - y0) - (y1 - y0) * (pt[0] - x0))
    return all(s >= 0 for s in signs) or all(s <= 0 for s in signs)


def test_polygons_cover_the_drawn_cells(case):
    # Oracle: the pixels of the static drawing. A point a quarter of the way into each
    # polygon (clear of the centred numbers and the weights in the lower-right corner) shows
    # the input colour (unless the slanted output plane hides it), and the output colour for
    # an output cell.
    _, t, style, d = case
    px = np.asarray(ce.animation(t, style).static)
    colors = style.rgb
    outs = d.out_polys[:, 0]
    checked = 0
    for polys, color, occluded in ((d.in_polys[:, 0], colors.input, True),
                                   (outs, colors.output, False)):
        for q in polys:
            p = q[0] + 0.25 * (q[1] - q[0]) + 0.25 * (q[3] - q[0])
            if occluded and any(_inside(p, o) for o in outs):
                continue
            x, y = math.floor(p[0]), math.floor(p[1])
            assert tuple(px[y, x]) == color, (p, tuple(px[y, x]))
            checked += 1
    assert checked >= len(outs) + 0.5 * len(d.in_polys)


def test_background_and_overlays_compose_the_engine_frames(case):
    _, t, style, d = case
    anim = ce.animation(t, style)
    for i in range(d.steps):
        assert np.array_equal(np.asarray(d.frame(i)), np.asarray(anim.frame(i))), i
        for o in d.overlays[i]:
            im = Image.open(io.BytesIO(o.image))
            assert im.format == "WEBP" and im.size == o.size
            assert 0 <= o.x and o.x + o.size[0] <= d.size[0]
            assert 0 <= o.y and o.y + o.size[1] <= d.size[1]


def test_captions_are_the_engine_captions(case):
    _, t, _, d = case
    assert list(d.captions) == [ce.step_caption(t, i) for i in range(d.steps)]


def test_numbers_are_reported_only_for_numerical_views(case):
    spec, _, _, d = case
    if not spec.numerical:
        assert d.number_px == {}
        return
    kinds = {"value", "output", "weight"} if spec.op == "conv" else {"value", "output"}
    assert set(d.number_px) == kinds
    # The player's larger cells: the kernel's weights are 0.26 of a 64 px cell.
    assert min(d.number_px.values()) >= 14


def test_too_many_steps_are_refused_with_the_reason():
    spec = ce.ConvSpec(21, 1)  # 441 steps
    with pytest.raises(ValueError, match="441 steps are too many for the player"):
        ce.player_data(ce.trace(spec))


def test_the_heaviest_case_stays_a_few_megabytes():
    # The heaviest the custom controls allow (kernel <= 9, input <= 32) within the cap: 400
    # steps whose dilated 9x9 kernel shades 81 separate cells of each frame.
    d = ce.player_data(ce.trace(ce.ConvSpec(20, 9, 1, 8, 2)), ce.player_style())
    assert d.steps == 400
    assert d.nbytes < 4_000_000


# -- depth view -----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[False, True], ids=["schematic", "numerical"])
def depth_case(request):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, (3, 3, 4)).astype(float)
    w = rng.integers(-1, 3, (2, 3)).astype(float)
    b = np.array([0.5, -1.0]) if request.param else None
    return x, w, b, request.param, ce.depth_player_data(x, w, b, numerical=request.param)


def test_depth_steps_are_pixels_through_every_sheet(depth_case):
    x, w, b, numerical, d = depth_case
    c_in, h, wd = x.shape
    anim = depth_animation(x, w, b, numerical=numerical)
    g = anim.geometry
    assert d.steps == h * wd
    assert d.in_polys.shape == (h * wd, c_in, 4, 2)
    assert d.out_polys.shape == (h * wd, w.shape[0], 4, 2)
    for i in range(d.steps):
        r, c = divmod(i, wd)
        assert tuple(d.out_cells[i]) == (r, c) == tuple(d.in_cells[i])
        assert d.reads[i].tolist() == [i] and d.readers[i].tolist() == [i]
        for k in range(c_in):
            assert np.allclose(d.in_polys[i, k], g.quad("input", k, r, c, r + 1, c + 1))
        for j in range(w.shape[0]):
            assert np.allclose(d.out_polys[i, j], g.quad("output", j, r, c, r + 1, c + 1))
    wpx, hpx = d.size
    for polys in (d.in_polys, d.out_polys):
        assert (polys[..., 0] >= 0).all() and (polys[..., 0] <= wpx).all()
        assert (polys[..., 1] >= 0).all() and (polys[..., 1] <= hpx).all()


def test_depth_frames_and_captions_are_the_engine_ones(depth_case):
    x, w, b, numerical, d = depth_case
    anim = depth_animation(x, w, b, numerical=numerical)
    for i in range(d.steps):
        assert np.array_equal(np.asarray(d.frame(i)), np.asarray(anim.frame(i))), i
        assert d.captions[i] == depth_caption(x, w, b, i, numerical=numerical)
    assert (d.number_px != {}) == numerical


def _at(px: np.ndarray, q: np.ndarray) -> tuple:
    """The colour at a polygon's centre (no numbers are drawn on the sheets themselves)."""
    x, y = q.mean(axis=0)
    return tuple(px[math.floor(y), math.floor(x)].tolist())


def test_depth_polygons_cover_the_drawn_pixels(depth_case):
    # Oracle: the drawing. Input cells are blue in the bare picture; frame i shades output
    # pixel i on every output sheet (the output sheets fill up as the animation goes).
    x, w, b, numerical, d = depth_case
    anim = depth_animation(x, w, b, numerical=numerical)
    c = anim.colors
    static = np.asarray(anim.static)
    assert {_at(static, q) for q in d.in_polys.reshape(-1, 4, 2)} == {c.input}
    for i in range(d.steps):
        frame = np.asarray(anim.frame(i))
        assert {_at(frame, q) for q in d.out_polys[i]} == {c.shaded(c.output)}, i


# -- payload -----------------------------------------------------------------------------------


def test_pack_round_trips_every_array_and_image():
    from ui.player import pack, unpack_header

    d = ce.player_data(ce.trace(CASES["transposed"]), ce.player_style())
    payload = pack(d, title="t", speed=500, png_name="a_step{step}.png")
    head = unpack_header(payload)
    base = 8 + int.from_bytes(payload[4:8], "little")

    def blob(ref):
        assert ref["off"] % 4 == 0  # typed arrays in the browser need aligned offsets
        return payload[base + ref["off"]:base + ref["off"] + ref["len"]]

    def arr(ref):
        return np.frombuffer(blob(ref), {"u16": "<u2", "u32": "<u4", "f32": "<f4"}[ref["t"]])

    assert head["steps"] == d.steps and head["cols"] == d.out_cells[:, 1].max() + 1
    assert head["captions"] == list(d.captions) and head["speed"] == 500
    assert blob(head["bg"]) == d.background
    assert np.array_equal(arr(head["out_cells"]).reshape(-1, 2), d.out_cells)
    assert np.array_equal(arr(head["in_cells"]).reshape(-1, 2), d.in_cells)
    assert np.allclose(arr(head["in_polys"]).reshape(d.in_polys.shape), d.in_polys, atol=1e-3)
    assert np.allclose(arr(head["out_polys"]).reshape(d.out_polys.shape), d.out_polys,
                       atol=1e-3)
    ptr, vals = arr(head["readers_ptr"]), arr(head["readers"])
    for j, want in enumerate(d.readers):
        assert vals[ptr[j]:ptr[j + 1]].tolist() == want.tolist()
    ptr, vals = arr(head["reads_ptr"]), arr(head["reads"])
    for i, want in enumerate(d.reads):
        assert vals[ptr[i]:ptr[i + 1]].tolist() == want.tolist()
    for step, row in zip(d.overlays, head["overlays"], strict=True):
        for o, (x, y, w, h, off, n) in zip(step, row, strict=True):
            assert (x, y, (w, h)) == (o.x, o.y, o.size)
            assert blob({"off": off, "len": n, "t": "img"}) == o.image


def test_payload_id_names_the_drawing_not_the_settings():
    from ui.player import pack, unpack_header

    a = ce.player_data(ce.trace(CASES["strided"]))
    b = ce.player_data(ce.trace(CASES["padded"]))
    ida = unpack_header(pack(a, title="a", speed=250))["id"]
    assert unpack_header(pack(a, title="b", speed=2000))["id"] == ida
    assert unpack_header(pack(b, title="a", speed=250))["id"] != ida


# -- PyTorch -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "first", "shapes"), [
    (ce.ConvSpec(5, 3, 2, 1, 2),
     "torch.nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1, dilation=2, bias=False)",
     "# input (1, 1, 5, 5) → output (1, 1, 2, 2)"),
    (ce.PRESETS["padding_strides_transposed"],
     "torch.nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)",
     "# input (1, 1, 3, 3) → output (1, 1, 5, 5)"),
    (ce.ConvSpec(5, 3, 2, 1, transposed=True, output_padding=1),
     "torch.nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, output_padding=1, "
     "bias=False)",
     "# input (1, 1, 5, 5) → output (1, 1, 10, 10)"),
    (ce.PRESETS["numerical_max_pooling"], "torch.nn.MaxPool2d(kernel_size=3, stride=1, padding=0)",
     "# input (1, 1, 5, 5) → output (1, 1, 3, 3)"),
    (ce.ConvSpec(5, 3, 2, 1, op="avg"), "torch.nn.AvgPool2d(kernel_size=3, stride=2, padding=1)",
     "# input (1, 1, 5, 5) → output (1, 1, 3, 3)"),
    (ce.ConvSpec(5, 3, 1, "same"),
     "torch.nn.Conv2d(1, 1, kernel_size=3, stride=1, padding=1, bias=False)",
     "# input (1, 1, 5, 5) → output (1, 1, 5, 5)"),
    (ce.ConvSpec(5, 3, 1, "full"),
     "torch.nn.Conv2d(1, 1, kernel_size=3, stride=1, padding=2, bias=False)",
     "# input (1, 1, 5, 5) → output (1, 1, 7, 7)"),
    (ce.ConvSpec((7, 6), (3, 2), 2, "valid"),
     "torch.nn.Conv2d(1, 1, kernel_size=(3, 2), stride=2, padding=0, bias=False)",
     "# input (1, 1, 7, 6) → output (1, 1, 3, 3)"),
    (ce.ConvSpec(6, 4, 1, "same"),
     'torch.nn.Conv2d(1, 1, kernel_size=4, stride=1, padding="same", bias=False)',
     "# input (1, 1, 6, 6) → output (1, 1, 6, 6)"),
    (ce.ConvSpec(5, 2, 1, "same", op="max"),
     'torch.nn.Sequential(torch.nn.ConstantPad2d((0, 1, 0, 1), float("-inf")), '
     "torch.nn.MaxPool2d(kernel_size=2, stride=1, padding=0))",
     "# input (1, 1, 5, 5) → output (1, 1, 5, 5)"),
])
def test_pytorch_code_of_hand_known_cases(spec, first, shapes):
    lines = ce.pytorch_code(spec).split("\n")
    assert lines[0] == first
    assert lines[1] == shapes
    assert all(line.startswith("# ") for line in lines[1:])
    ast.parse(lines[0])  # valid Python, ready to paste


def test_pytorch_code_says_how_a_mode_became_numbers():
    assert 'padding="same" at stride 1 is 1 on each side' in ce.pytorch_code(
        ce.ConvSpec(5, 3, 1, "same"))
    assert 'padding="full" is k_eff - 1 on each side (k_eff = 5): padding=4' in ce.pytorch_code(
        ce.ConvSpec(5, 3, 1, "full", 2))
    assert "pads 1 above, 2 below, 1 left, 2 right" in ce.pytorch_code(ce.ConvSpec(6, 4, 1,
                                                                                   "same"))


class _Recorder:
    """A stand-in for ``torch``: each module records its arguments, then gives the output
    size by the formulas of PyTorch's documentation."""

    def __init__(self) -> None:
        self.nn = self

    def __getattr__(self, name):
        def make(*args, **kwargs):
            return (name, args, kwargs)
        return make


def _torch_size(module, hw: tuple[int, int]) -> tuple[int, int]:
    """Output (h, w) of a recorded module, by PyTorch's documented formulas."""
    name, args, kw = module
    if name == "Sequential":
        for m in args:
            hw = _torch_size(m, hw)
        return hw
    if name == "ConstantPad2d":
        left, right, top, bottom = args[0]
        return hw[0] + top + bottom, hw[1] + left + right

    def two(v):
        return v if isinstance(v, tuple) else (v, v)

    k, s = two(kw["kernel_size"]), two(kw["stride"])
    d = two(kw.get("dilation", 1))
    if kw["padding"] == "same":
        assert s == (1, 1)  # PyTorch refuses "same" at any other stride
        return hw
    p = two(kw["padding"])
    if name == "ConvTranspose2d":
        a = two(kw.get("output_padding", 0))
        return tuple((hw[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + a[i] + 1
                     for i in range(2))
    return tuple((hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))


@st.composite
def specs(draw):
    op = draw(st.sampled_from(["conv", "conv", "max", "avg"]))
    transposed = op == "conv" and draw(st.booleans())
    ih, iw = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (1, 1) if op == "avg" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.one_of(st.integers(0, 3), st.sampled_from(["valid", "same", "full"])))
    a = draw(st.integers(0, 2)) if transposed else 0
    try:
        return ce.ConvSpec((ih, iw), (kh, kw), s, padding, d, transposed=transposed,
                           output_padding=a, op=op)
    except ValueError:
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(specs())
def test_pytorch_sizes_match_the_engine(spec):
    if spec is None:
        return
    code = ce.pytorch_code(spec)
    module = eval(code.split("\n")[0], {"torch": _Recorder(), "float": float})  # noqa: S307
    got = _torch_size(module, spec.input_size)
    assert got == spec.output_shape, code
    shape_in, shape_out = pytorch_shapes(spec)
    assert shape_in == (1, 1, *spec.input_size) and shape_out == (1, 1, *spec.output_shape)
    assert f"# input {shape_in} → output {shape_out}" in code
