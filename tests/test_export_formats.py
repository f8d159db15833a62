"""Exports through the libraries: GIF container facts, MP4 (H.264 via imageio's ffmpeg
plugin), PNG stills, the gallery in either format, and --scale redrawing sharp."""

from __future__ import annotations

import io

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

import conv_engine as ce
from conv_engine.__main__ import main
from conv_engine.export import (
    animation_gif,
    animation_mp4,
    gif_bytes,
    mp4_size,
    scaled_style,
    spec_to_gif,
    spec_to_mp4,
    trace_to_mp4,
    write_gallery,
)
from conv_engine.limits import MAX_FRAME_DURATION as MAX_DURATION
from conv_engine.render import DEFAULT_STYLE, Animation, Style
from tests.test_render import BLUE, BLUE_SHADOW, CYAN, CYAN_SHADOW, WHITE

# The guide's 15 arithmetic GIFs weigh 3.4 MB together; ours must weigh at most half.
GUIDE_ARITHMETIC_BYTES = 3_400_000


def run(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as e:  # argparse exits on bad arguments
        return int(e.code)


def gif_blocks(data: bytes) -> tuple[int, list[int], int]:
    """(global table entries, delay of each frame in hundredths, local colour tables) of a
    GIF, read from its blocks."""
    assert data[:6] == b"GIF89a"
    packed = data[10]
    pos = 13
    table = 0
    if packed & 0x80:
        table = 2 << (packed & 7)
        pos += 3 * table
    delays, local = [], 0

    def skip_sub_blocks(p: int) -> int:
        while data[p]:
            p += data[p] + 1
        return p + 1

    while data[pos] != 0x3B:
        if data[pos] == 0x21:  # extension
            if data[pos + 1] == 0xF9:  # graphic control: the frame's delay
                delays.append(int.from_bytes(data[pos + 4:pos + 6], "little"))
            pos = skip_sub_blocks(pos + 2)
        else:
            assert data[pos] == 0x2C  # image descriptor
            flags = data[pos + 9]
            pos += 10
            if flags & 0x80:
                local += 1
                pos += 3 * (2 << (flags & 7))
            pos = skip_sub_blocks(pos + 1)  # after the LZW code size
    return table, delays, local


def mp4_frames(data: bytes) -> tuple[np.ndarray, dict]:
    """All frames (n, H, W, 3) of an MP4 and its metadata, decoded by imageio's ffmpeg."""
    frames = iio.imread(data, extension=".mp4", plugin="FFMPEG", index=None)
    return frames, iio.immeta(data, extension=".mp4", plugin="FFMPEG")


def edge_share(im: Image.Image, anim: Animation) -> float:
    """Share of pixels that are not one of the drawing's flat colours (edge shades)."""
    a = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(np.int64)
    keys = a[:, 0] | a[:, 1] << 8 | a[:, 2] << 16
    flat = [r | g << 8 | b << 16 for r, g, b in anim.colors.flat()]
    return float(1 - np.isin(keys, flat).mean())


# ----------------------------------------------------------------------------- GIF


def test_gif_has_one_global_palette_and_loops_forever():
    spec = ce.PRESETS["padding_strides"]
    data = spec_to_gif(spec, duration=400)
    table, delays, local = gif_blocks(data)
    assert local == 0  # every frame uses the one shared palette
    assert 2 <= table <= 256
    assert delays == [40] * spec.steps
    assert b"NETSCAPE2.0\x03\x01\x00\x00" in data  # loop count 0: forever
    assert Image.open(io.BytesIO(data)).info["loop"] == 0


def test_identical_frames_merge_but_never_past_the_longest_gif_delay():
    a = Image.new("RGB", (8, 6), BLUE)
    b = Image.new("RGB", (8, 6), CYAN)
    _, delays, _ = gif_blocks(gif_bytes([a, a, a, b], duration=300))
    assert delays == [90, 30]  # Pillow merges the three identical frames
    data = gif_bytes([a, a, a, b], duration=MAX_DURATION)
    _, delays, _ = gif_blocks(data)
    assert max(delays) <= 65535 and sum(delays) * 10 == 4 * MAX_DURATION
    im = Image.open(io.BytesIO(data))
    shown = []
    for i in range(im.n_frames):
        im.seek(i)
        shown.append(im.convert("RGB").getpixel((0, 0)))
    assert shown == [BLUE] * (im.n_frames - 1) + [CYAN]  # the split frames look the same


def test_the_arithmetic_gifs_weigh_at_most_half_the_guides():
    names = [n for n, s in ce.PRESETS.items() if not s.numerical]
    assert len(names) == 15
    total = sum(len(spec_to_gif(ce.PRESETS[n])) for n in names)
    assert total <= GUIDE_ARITHMETIC_BYTES / 2


# ----------------------------------------------------------------------------- MP4


def test_mp4_is_h264_lasting_frames_times_duration_with_the_gifs_colours():
    spec = ce.PRESETS["padding_strides"]  # 447 px wide: padded to an even width
    anim = Animation(ce.trace(spec))
    w, h = anim.geometry.size
    assert w % 2 == 1 and h % 2 == 0
    assert mp4_size((w, h)) == (w + 1, h)
    data = animation_mp4(anim, 500)
    assert data[4:8] == b"ftyp"
    frames, meta = mp4_frames(data)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert frames.shape == (spec.steps, h + h % 2, w + w % 2, 3)
    assert meta["fps"] == pytest.approx(2.0)
    assert len(frames) / meta["fps"] * 1000 == pytest.approx(spec.steps * 500)
    assert meta["duration"] == pytest.approx(spec.steps * 0.5, abs=0.05)
    gif = np.asarray(Image.open(io.BytesIO(animation_gif(anim))).convert("RGB"), int)
    first = frames[0, :h, :w].astype(int)
    assert np.abs(first - gif).mean() < 2  # lossy, but close everywhere
    g = anim.geometry
    for plane, r, c, want in [("grid", 1, 1, BLUE_SHADOW), ("grid", 3, 3, BLUE),
                              ("output", 0, 0, CYAN_SHADOW), ("output", 2, 2, CYAN),
                              ("grid", 0, 6, WHITE)]:
        x, y = g.cell_pixel(plane, r, c)
        assert np.abs(first[y, x] - want).max() <= 6, (plane, r, c, first[y, x], want)
    assert (frames[0, :, w:] >= 250).all()  # the padding column is the white background


def test_mp4_frame_rate_holds_any_duration():
    spec = ce.ConvSpec(3, 2)  # 4 steps
    frames, meta = mp4_frames(spec_to_mp4(spec, duration=MAX_DURATION))
    assert len(frames) == 4
    assert meta["duration"] == pytest.approx(4 * MAX_DURATION / 1000, rel=1e-3)
    frames, meta = mp4_frames(spec_to_mp4(spec, duration=254))  # rounded as the GIF's is
    assert meta["fps"] == pytest.approx(4.0)


def test_mp4_of_a_trace_takes_style_view_and_scale():
    t = ce.trace(ce.ConvSpec(4, 2, stride=2), x=np.arange(16.0).reshape(4, 4), w=np.ones((2, 2)))
    style = Style(palette="high-contrast")
    anim = Animation(t, style, numerical=True)
    w, h = anim.geometry.size
    frames, _ = mp4_frames(trace_to_mp4(t, style=style, numerical=True, scale=2))
    assert frames.shape == (4, 2 * h, 2 * w, 3)
    x, y = anim.geometry.cell_pixel("grid", 3, 3)
    assert np.abs(frames[0, 2 * y, 2 * x].astype(int) - (0x00, 0x72, 0xB2)).max() <= 6


@pytest.mark.parametrize("kwargs,words", [
    ({"duration": 5}, "duration must be from 20"),
    ({"duration": "1000"}, "duration"),
    ({"scale": 0}, "scale must be an integer from 1"),
    ({"style": "big"}, "style must be a Style"),
])
def test_mp4_refuses_bad_arguments(kwargs, words):
    with pytest.raises(ValueError, match=words):
        spec_to_mp4(ce.PRESETS["no_padding_no_strides"], **kwargs)
    with pytest.raises(ValueError, match="t must be a Trace"):
        trace_to_mp4("trace")  # type: ignore[arg-type]


def test_mp4_size_rounds_up_to_even_sides():
    assert [mp4_size(s) for s in [(447, 390), (1, 1), (2, 3)]] == [(448, 390), (2, 2), (2, 4)]
    for bad in [(0, 4), (4,), [4, 4], (4.0, 4), (True, 4)]:
        with pytest.raises(ValueError, match="size must be a"):
            mp4_size(bad)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- gallery


def test_gallery_as_mp4(tmp_path):
    names = ["no_padding_no_strides", "numerical_max_pooling"]
    paths = write_gallery(tmp_path, names=names, format="mp4", jobs=2)
    assert [p.name for p in paths] == [f"{n}.mp4" for n in names]
    for name, path in zip(names, paths, strict=True):
        frames, _ = mp4_frames(path.read_bytes())
        assert len(frames) == ce.PRESETS[name].steps
    with pytest.raises(ValueError, match="format must be one of gif, mp4, got 'png'"):
        write_gallery(tmp_path, names=names, format="png")


def test_cli_gallery_as_mp4(tmp_path, capsys):
    out = tmp_path / "videos"
    assert run("gallery", "--format", "mp4", "--out", str(out), "--jobs", "2") == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.mp4" for n in ce.PRESETS)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[ 1/19] no_padding_no_strides.mp4")
    assert lines[-1].startswith("wrote 19 MP4s")
    frames, meta = mp4_frames((out / "dilation.mp4").read_bytes())
    assert len(frames) == 9 and meta["duration"] == pytest.approx(9.0, abs=0.05)


# ----------------------------------------------------------------------------- scale


def test_scaled_style_redraws_larger():
    style = Style(palette="high-contrast", labels=False)
    big = scaled_style(style, 3)
    assert (big.cell, big.numerical_cell, big.max_size) == (90, 144, 3000)
    assert (big.palette, big.labels) == ("high-contrast", False)
    assert scaled_style(None, 1) == DEFAULT_STYLE
    assert scaled_style(Style(), 8).max_size == 4000  # the renderer's largest canvas
    with pytest.raises(ValueError, match="scale must be an integer from 1 to 8, got 9"):
        scaled_style(style, 9)
    with pytest.raises(ValueError, match="style must be a Style"):
        scaled_style("big", 2)  # type: ignore[arg-type]


def test_cli_scale_redraws_sharp_instead_of_enlarging_pixels(tmp_path):
    small, big = tmp_path / "a.png", tmp_path / "b.png"
    case = ["--input", "5", "--kernel", "3", "--stride", "2", "--padding", "1"]
    assert run("render", *case, "--out", str(small)) == 0
    assert run("render", *case, "--scale", "2", "--out", str(big)) == 0
    spec = ce.ConvSpec(5, 3, stride=2, padding=1)
    anim = Animation(ce.trace(spec))
    a, b = Image.open(small), Image.open(big)
    assert b.size == Animation(ce.trace(spec), scaled_style(None, 2)).geometry.size
    assert abs(b.width - 2 * a.width) <= 0.01 * 2 * a.width
    assert abs(b.height - 2 * a.height) <= 0.01 * 2 * a.height
    # Redrawn edges keep their one-pixel smoothing while the areas grow four times: the share
    # of edge shades halves. Enlarged pixels would keep it (nearest) or double it (bilinear).
    assert edge_share(b, anim) < 0.6 * edge_share(a, anim)
    assert len(b.getcolors(1 << 24)) < 2 * len(a.getcolors(1 << 24))


# ----------------------------------------------------------------------------- CLI formats


def test_cli_render_formats(tmp_path, capsys):
    case = ["--input", "4", "--kernel", "3"]  # 4 steps
    assert run("render", *case, "--out", str(tmp_path / "a.mp4")) == 0
    assert run("render", *case, "--format", "gif", "--out", str(tmp_path / "b.GIF")) == 0
    assert run("render", *case, "--step", "3", "--out", str(tmp_path / "c.png")) == 0
    assert run("render", *case, "--format", "png", "--out", str(tmp_path / "d.png")) == 0
    out = capsys.readouterr().out.splitlines()
    assert "(4 frames of " in out[0] and "(step 3 of 4, " in out[2] and "(step 1 of 4, " in out[3]
    frames, _ = mp4_frames((tmp_path / "a.mp4").read_bytes())
    assert len(frames) == 4
    assert Image.open(tmp_path / "b.GIF").n_frames == 4
    anim = Animation(ce.trace(ce.ConvSpec(4, 3)))
    for name, step in (("c.png", 3), ("d.png", 1)):
        still = Image.open(tmp_path / name)
        assert still.format == "PNG"
        assert np.array_equal(np.asarray(still.convert("RGB")), np.asarray(anim.frame(step - 1)))


@pytest.mark.parametrize("argv,words", [
    (["--step", "0", "--out", "x.png"], ["--step", "from 1"]),
    (["--step", "5", "--out", "x.png"], ["--step", "from 1 to 4", "got 5"]),
    (["--step", "2", "--out", "x.gif"], ["--step", "png"]),
    (["--format", "mp4", "--out", "x.gif"], ["--out", "--format mp4", ".mp4"]),
    (["--format", "webm", "--out", "x.webm"], ["--format", "invalid choice"]),
    (["--out", "x.jpg"], ["--out", ".gif, .mp4, .png"]),
])
def test_cli_render_format_errors(tmp_path, capsys, argv, words):
    argv = [a if not a.startswith("x.") else str(tmp_path / a) for a in argv]
    assert run("render", "--input", "4", "--kernel", "3", *argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for w in words:
        assert w in err, err
    assert list(tmp_path.iterdir()) == []


def test_cli_gallery_refuses_png(tmp_path, capsys):
    assert run("gallery", "--format", "png", "--out", str(tmp_path / "g")) == 2
    assert "--format" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
