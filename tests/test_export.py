"""GIF export: loops forever, right frames and durations, exact colours, no partial files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import conv_engine as ce
from conv_engine.export import (
    animation_gif,
    gif_bytes,
    spec_to_gif,
    trace_to_gif,
    write_atomic,
    write_gallery,
)
from conv_engine.render import Animation, Style
from tests.test_render import BLUE, BLUE_SHADOW, CYAN, CYAN_SHADOW, WHITE


def read(data: bytes) -> tuple[Image.Image, list[Image.Image], list[int]]:
    """The GIF, its frames as RGB and each frame's duration (ms)."""
    im = Image.open(io.BytesIO(data))
    frames, durations = [], []
    for i in range(im.n_frames):
        im.seek(i)
        frames.append(im.convert("RGB"))
        durations.append(im.info["duration"])
    im.seek(0)
    return im, frames, durations


@pytest.mark.parametrize("name", ["padding_strides", "dilation", "no_padding_strides_transposed",
                                  "numerical_padding_strides"])
def test_preset_gif_loops_and_lasts_frames_times_duration(name):
    spec = ce.PRESETS[name]
    data = spec_to_gif(spec, duration=500)
    im, frames, durations = read(data)
    assert data[:6] == b"GIF89a"
    assert im.info["loop"] == 0  # forever
    assert len(frames) == spec.steps
    assert sum(durations) == spec.steps * 500
    anim = Animation(ce.trace(spec))
    assert im.size == anim.geometry.size


def test_gif_colours_exact_at_cell_centres_and_close_elsewhere():
    anim = Animation(ce.trace(ce.PRESETS["padding_strides"]))
    _, frames, _ = read(animation_gif(anim))
    g = anim.geometry
    for i in (0, 4, 8):
        got, want = np.asarray(frames[i]), np.asarray(anim.frame(i))
        # Frame 0 covers grid rows/cols 0..2, frame 4 rows/cols 2..4, frame 8 rows/cols 4..6.
        r = 2 * (i // 3)
        c = 2 * (i % 3)
        assert frames[i].getpixel(g.cell_pixel("grid", r + 1, c + 1)) == BLUE_SHADOW
        assert frames[i].getpixel(g.cell_pixel("output", i // 3, i % 3)) == CYAN_SHADOW
        other = (i // 3 + 1) % 3, i % 3
        assert frames[i].getpixel(g.cell_pixel("output", *other)) == CYAN
        assert frames[i].getpixel(g.cell_pixel("grid", 0, 6 - c)) == WHITE  # padding
        exact = (got == want).all(axis=2).mean()
        assert exact > 0.97  # only some anti-aliased edge shades move to a near colour
        assert np.abs(got.astype(int) - want).max() < 60


def test_gif_bytes_shared_palette_merges_identical_frames():
    a = Image.new("RGB", (40, 30), BLUE)
    b = a.copy()
    b.paste(CYAN, (10, 10, 20, 20))
    data = gif_bytes([a, b, b, a], duration=300)
    im, frames, durations = read(data)
    # Pillow-style merging: the two identical frames become one shown twice as long.
    assert len(frames) == 3
    assert durations == [300, 600, 300]
    assert sum(durations) == 4 * 300
    assert frames[1].getpixel((15, 15)) == CYAN and frames[1].getpixel((5, 5)) == BLUE
    assert frames[2].getpixel((15, 15)) == BLUE
    assert len(im.getpalette()) // 3 <= 256


def test_gif_bytes_keeps_colour_maps_smooth():
    # Frames like coloured feature maps: hundreds of colours along a ramp, different in each.
    t = np.linspace(0, 1, 300)[None, :, None]
    frames = []
    for k in range(3):
        ramp = np.concatenate([255 * t, 200 * (1 - t) + 20 * k, 60 + 60 * t * k], axis=2)
        frames.append(Image.fromarray(np.repeat(ramp, 20, axis=0).astype(np.uint8)))
    assert len(frames[0].getcolors(10**6)) > 255
    _, got, _ = read(gif_bytes(frames, colors=[(255, 0, 0)]))
    for want, have in zip(frames, got, strict=True):
        err = np.abs(np.asarray(want, int) - np.asarray(have, int))
        assert err.mean() < 2 and err.max() <= 12


def test_duration_rounds_to_hundredths_and_is_checked():
    spec = ce.PRESETS["no_padding_no_strides"]
    _, _, durations = read(spec_to_gif(spec, duration=254))
    assert durations == [250] * 4
    for bad in (5, 10**7, "1000"):
        with pytest.raises(ValueError, match="duration"):
            spec_to_gif(spec, duration=bad)  # type: ignore[arg-type]


def test_nearest_neighbour_upscale():
    anim = Animation(ce.trace(ce.PRESETS["no_padding_no_strides"]))
    im, frames, _ = read(animation_gif(anim, scale=3))
    w, h = anim.geometry.size
    assert im.size == (3 * w, 3 * h)
    x, y = anim.geometry.cell_pixel("grid", 3, 3)
    block = np.asarray(frames[0])[3 * y:3 * y + 3, 3 * x:3 * x + 3]
    assert (block == BLUE).all()
    with pytest.raises(ValueError, match="scale"):
        animation_gif(anim, scale=0)


def test_trace_to_gif_takes_data_style_and_view():
    spec = ce.ConvSpec(4, 2, stride=2)
    t = ce.trace(spec, x=np.arange(16.0).reshape(4, 4), w=np.ones((2, 2)))
    data = trace_to_gif(t, style=Style(palette="high-contrast"), numerical=True)
    im, frames, durations = read(data)
    assert len(frames) == 4 and sum(durations) == 4000
    anim = Animation(t, Style(palette="high-contrast"), numerical=True)
    assert im.size == anim.geometry.size
    assert {x.text for x in anim.texts(0) if x.kind == "output"} == {"10.0", "18.0", "42.0",
                                                                     "50.0"}


def test_write_atomic_leaves_nothing_behind_on_failure(tmp_path, monkeypatch):
    path = write_atomic(tmp_path / "a.gif", b"GIF89a")
    assert path.read_bytes() == b"GIF89a"

    def boom(*_):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        write_atomic(tmp_path / "b.gif", b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]


def test_write_gallery_names_and_progress(tmp_path):
    seen = []
    names = ["no_padding_no_strides", "numerical_max_pooling"]
    paths = write_gallery(tmp_path / "g", names=names,
                          progress=lambda i, n, name, size: seen.append((i, n, name, size)))
    assert [p.name for p in paths] == [f"{n}.gif" for n in names]
    assert [s[:3] for s in seen] == [(1, 2, names[0]), (2, 2, names[1])]
    assert all(s[3] == p.stat().st_size for s, p in zip(seen, paths, strict=True))
    with pytest.raises(ValueError, match="unknown preset"):
        write_gallery(tmp_path, names=["nope"])


def test_write_gallery_in_worker_processes_gives_the_same_files(tmp_path):
    names = ["no_padding_strides", "dilation", "numerical_max_pooling"]
    paths = write_gallery(tmp_path, names=names, jobs=2)
    for name, path in zip(names, paths, strict=True):
        assert path.read_bytes() == spec_to_gif(ce.PRESETS[name])
    with pytest.raises(ValueError, match="jobs"):
        write_gallery(tmp_path, names=names, jobs=0)


def test_png_bytes_round_trip_exactly_and_refuse_other_things():
    rgb = np.random.default_rng(3).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    data = ce.png_bytes(Image.fromarray(rgb))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), rgb)  # lossless
    with pytest.raises(ValueError, match="img must be an Image, got ndarray"):
        ce.png_bytes(rgb)
