"""The command line: gallery, render and its options, and one-line errors with status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import conv_engine as ce
from conv_engine.__main__ import main
from conv_engine.export import scaled_style

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as e:  # argparse exits on bad arguments
        return int(e.code)


def info(path: Path) -> tuple[int, int, tuple[int, int], Image.Image]:
    """(frames, total duration ms, size, GIF) of a written file."""
    im = Image.open(path)
    total = 0
    for i in range(im.n_frames):
        im.seek(i)
        total += im.info["duration"]
    im.seek(0)
    return im.n_frames, total, im.size, im


def test_help_documents_both_commands():
    done = subprocess.run([sys.executable, "-m", "conv_engine", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "gallery" in done.stdout and "render" in done.stdout
    assert run("render", "--help") == 0


def test_gallery_writes_every_preset_with_progress(tmp_path, capsys):
    out = tmp_path / "gallery"
    assert run("gallery", "--out", str(out)) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{n}.gif" for n in ce.PRESETS)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[ 1/19] no_padding_no_strides.gif")
    assert sum(line.startswith("[") for line in lines) == 19
    frames, total, _, im = info(out / "dilation.gif")
    assert frames == 9 and total == 9000 and im.info["loop"] == 0


@pytest.mark.parametrize("argv,steps", [
    (["--input", "7", "--kernel", "3", "--stride", "2", "--padding", "1"], 16),
    (["--input", "7", "--kernel", "3", "--dilation", "2"], 9),
    (["--input", "3", "--kernel", "2", "--stride", "2", "--transposed"], 36),
    (["--input", "3", "--kernel", "2", "--stride", "2", "--transposed",
      "--output-padding", "1"], 49),
    (["--input", "7x5", "--kernel", "3x2", "--op", "max", "--numerical"], 20),
    (["--input", "5", "--kernel", "3", "--padding", "same"], 25),
    (["--input", "6x4", "--kernel", "3", "--padding", "1", "--op", "avg"], 24),
])
def test_render_honours_the_case(tmp_path, argv, steps):
    out = tmp_path / "case.gif"
    assert run("render", *argv, "--out", str(out)) == 0
    frames, total, _, _ = info(out)
    assert (frames, total) == (steps, steps * 1000)


def test_render_honours_the_look(tmp_path):
    base, other = tmp_path / "a.gif", tmp_path / "b.gif"
    assert run("render", "--out", str(base)) == 0
    assert run("render", "--out", str(other), "--duration", "250", "--no-labels",
               "--palette", "high-contrast", "--scale", "2") == 0
    n, total, size, _ = info(base)
    n2, total2, size2, im = info(other)
    assert n == n2 == 9 and total == 9000 and total2 == 9 * 250
    unlabelled = ce.render.Animation(ce.trace(ce.ConvSpec(5, 3)), ce.render.Style(labels=False))
    w, h = unlabelled.geometry.size
    assert w < size[0]
    # --scale redraws at twice the cell size (sharp), not enlarged pixels: the canvas is the
    # scaled style's, about twice as large (its margins keep a fixed 2 px).
    scaled = ce.render.Animation(ce.trace(ce.ConvSpec(5, 3)),
                                 scaled_style(ce.render.Style(labels=False), 2))
    assert scaled.geometry.cell == 2 * unlabelled.geometry.cell
    assert size2 == scaled.geometry.size
    assert abs(size2[0] - 2 * w) <= 0.01 * 2 * w and abs(size2[1] - 2 * h) <= 0.01 * 2 * h
    x, y = scaled.geometry.cell_pixel("grid", 4, 4)
    assert im.convert("RGB").getpixel((x, y)) == (0x00, 0x72, 0xB2)  # high contrast


def test_numerical_render_uses_the_guides_numbers(tmp_path):
    out = tmp_path / "n.gif"
    assert run("render", "--numerical", "--out", str(out)) == 0
    t = ce.trace(ce.ConvSpec(5, 3, numerical=True))
    assert t.output[0, 0] == 12.0  # the guide's data: randint with seed 1234


@pytest.mark.parametrize("argv,words", [
    (["render", "--stride", "0"], ["--stride", ">= 1"]),
    (["render", "--input", "7y"], ["--input", "HxW"]),
    (["render", "--kernel", "9"], ["--kernel", "larger"]),
    (["render", "--padding", "same", "--stride", "2"], ["--padding", "stride 1"]),
    (["render", "--padding", "wide"], ["--padding", "valid"]),
    (["render", "--dilation", "3", "--input", "4"], ["--kernel", "dilation"]),
    (["render", "--op", "max", "--transposed"], ["--op", "transposed"]),
    (["render", "--output-padding", "1"], ["--output-padding", "transposed"]),
    (["render", "--duration", "5"], ["--duration", "20"]),
    (["render", "--scale", "0"], ["--scale"]),
    (["render", "--palette", "pink"], ["--palette"]),
    (["render", "--input", "300"], ["too large"]),
    (["render"], ["--out"]),
    (["frobnicate"], ["invalid choice"]),
    (["gallery", "--jobs", "0"], ["--jobs"]),
])
def test_bad_arguments_exit_2_with_one_line_and_no_file(tmp_path, capsys, argv, words):
    out = tmp_path / "x.gif"
    args = [*argv, "--out", str(out)] if argv != ["render"] and argv[0] == "render" else argv
    assert run(*args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for w in words:
        assert w in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv,flag", [
    # A few steps over a grid of over a million cells: the 1001 x 1001 input is most of it.
    (["--input", "1001", "--kernel", "1", "--stride", "1000"], "--input"),
    (["--input", "3", "--stride", "600", "--padding", "600"], "--padding"),
    # One output cell of a transposed 1001x1001 kernel: its rings of zeros make the grid.
    (["--input", "1", "--kernel", "1001", "--padding", "500", "--transposed"], "--kernel"),
])
def test_a_grid_too_large_names_the_option_behind_it(tmp_path, capsys, argv, flag):
    # The engine's error names its parameter; the message's words ("input with padding or
    # inserted zeros") must not pick the option.
    out = tmp_path / "x.gif"
    assert run("render", *argv, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert f"error: argument {flag}: the drawn grid of " in err, err
    assert list(tmp_path.iterdir()) == []


def test_bad_out_paths(tmp_path, capsys):
    assert run("render", "--out", str(tmp_path / "x.txt")) == 2  # .png is a format now
    assert run("render", "--out", str(tmp_path / "missing" / "x.gif")) == 2
    (tmp_path / "file").write_text("")
    assert run("gallery", "--out", str(tmp_path / "file")) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all("--out" in line for line in err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_bad_argument_in_a_real_process():
    done = subprocess.run([sys.executable, "-m", "conv_engine", "render", "--stride", "0",
                           "--out", "never.gif"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--stride" in done.stderr
    assert not (ROOT / "never.gif").exists()
