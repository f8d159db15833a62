"""Command line: ``python -m conv_engine gallery|render ...`` (installed: ``conv-engine``)
writes animations as GIF or MP4 files, or one step as a PNG.

Bad arguments print one line naming the argument and the rule it breaks, and exit with
status 2; nothing is written then. Files are written whole or not at all.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .arithmetic import PADDING_MODES, ConvSpec
from .checks import ParameterError
from .export import (
    ANIMATION_FORMATS,
    DEFAULT_DURATION,
    animation_gif,
    animation_mp4,
    default_jobs,
    mp4_size,
    png_bytes,
    scaled_style,
    write_atomic,
    write_gallery,
)
from .limits import MAX_EXPORT_SCALE, MAX_FRAME_DURATION, MAX_STEPS, MIN_FRAME_DURATION
from .presets import PRESETS
from .render import PALETTES, Animation, Style
from .traces import trace

# Engine parameter names (a ParameterError's ``name``) -> the options that set them, to name
# the culprit in errors.
_FLAGS = {
    "input_size": "--input",
    "kernel_size": "--kernel",
    "output_padding": "--output-padding",
    "stride": "--stride",
    "padding": "--padding",
    "dilation": "--dilation",
    "op": "--op",
}
# What ``render`` writes: an animation, or one step as a still.
_RENDER_FORMATS = (*ANIMATION_FORMATS, "png")
# The program's name in help and errors; the installed console script is called so.
PROG = "python -m conv_engine"
SCRIPT = "conv-engine"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``prog: error: message`` and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _size(text: str) -> tuple[int, int]:
    """'7' -> (7, 7); '7x5' -> (7, 5) (height x width)."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:[xX×]\s*(\d+)\s*)?", text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"must be an integer or HxW (height x width, e.g. 7x5), got {text!r}")
    h = int(m.group(1))
    return (h, int(m.group(2)) if m.group(2) else h)


def _padding(text: str) -> tuple[int, int] | str:
    """A padding size, or one of the mode names."""
    if text.strip().lower() in PADDING_MODES:
        return text.strip().lower()
    try:
        return _size(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be an integer, HxW (e.g. 2x1) or one of {', '.join(PADDING_MODES)}, "
            f"got {text!r}") from None


def _ranged(lo: int, hi: int, unit: str = ""):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer from {lo} to {hi}{unit}, "
                                             f"got {text!r}")
        return v
    return parse


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line's argument parser; ``prog`` names it in help and errors."""
    common = argparse.ArgumentParser(add_help=False)
    look = common.add_argument_group("look")
    look.add_argument("--duration", type=_ranged(MIN_FRAME_DURATION, MAX_FRAME_DURATION, " ms"),
                      default=DEFAULT_DURATION, metavar="MS",
                      help=f"time each frame is shown, in ms (default {DEFAULT_DURATION}, as in "
                           "the guide); GIFs store hundredths of a second")
    look.add_argument("--palette", choices=list(PALETTES), default="solarized",
                      help="colours: the guide's Solarized ones (default) or high contrast")
    look.add_argument("--no-labels", dest="labels", action="store_false",
                      help='leave out the "input" and "output" labels')
    look.add_argument("--scale", type=_ranged(1, MAX_EXPORT_SCALE), default=1, metavar="N",
                      help="draw N times larger: cells, lines and text are redrawn at that "
                           "size, so they stay sharp (default 1)")

    parser = _Parser(
        prog=prog,
        description="Animate convolution arithmetic as looping GIFs or MP4 videos, in the "
                    "style of Dumoulin & Visin's 'A guide to convolution arithmetic for deep "
                    "learning'.",
        epilog="examples:\n"
               "  %(prog)s gallery --out gallery\n"
               "  %(prog)s gallery --format mp4 --out videos\n"
               "  %(prog)s render --input 7 --kernel 3 --stride 2 --padding 1 --out case.gif\n"
               "  %(prog)s render --input 5 --kernel 2 --stride 2 --transposed --out up.mp4\n"
               "  %(prog)s render --input 7x5 --kernel 3x2 --op max --numerical --out pool.gif\n"
               "  %(prog)s render --input 7 --stride 2 --step 4 --scale 2 --out step4.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)

    g = sub.add_parser("gallery", parents=[common],
                       help=f"write the guide's {len(PRESETS)} animations as DIR/<name>.gif "
                            "(or .mp4)",
                       description=f"Write the guide's {len(PRESETS)} animations as "
                                   "DIR/<preset name>.gif (or .mp4), printing progress.")
    g.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="folder to write into (created if missing)")
    g.add_argument("--format", choices=ANIMATION_FORMATS, default="gif",
                   help="gif (looping, default) or mp4 (H.264 video, for slides and players)")
    g.add_argument("--jobs", type=_ranged(1, 64), default=default_jobs(), metavar="N",
                   help=f"files drawn at once, in worker processes (default {default_jobs()}: "
                        "one per CPU, at most 4)")
    g.set_defaults(run=_gallery, parser=g)

    r = sub.add_parser("render", parents=[common],
                       help="write one animation (or one step as a PNG), any case",
                       description="Write one animation as a GIF or an MP4, or one step as a "
                                   "PNG. Sizes are N or HxW (height x width), e.g. 7x5.")
    case = r.add_argument_group("case")
    case.add_argument("--input", type=_size, default=(5, 5), metavar="SIZE",
                      help="input size (default 5); for --transposed the small map that is "
                           "upsampled")
    case.add_argument("--kernel", type=_size, default=(3, 3), metavar="SIZE",
                      help="kernel (or pooling window) size (default 3)")
    case.add_argument("--stride", type=_size, default=(1, 1), metavar="SIZE",
                      help="stride (default 1)")
    case.add_argument("--padding", type=_padding, default=(0, 0), metavar="PAD",
                      help="zero padding: N, HxW, or valid, same (stride 1) or full (default 0)")
    case.add_argument("--dilation", type=_size, default=(1, 1), metavar="SIZE",
                      help="kernel dilation, 1 = none (default 1)")
    case.add_argument("--transposed", action="store_true",
                      help="transposed convolution, drawn as the guide does: zeros inserted "
                           "between input cells")
    case.add_argument("--output-padding", type=_size, default=(0, 0), metavar="SIZE",
                      help="extra rows/columns at the bottom/right of a transposed output "
                           "(default 0)")
    case.add_argument("--op", choices=("conv", "max", "avg"), default="conv",
                      help="convolution (default), max pooling or average pooling")
    case.add_argument("--numerical", action="store_true",
                      help="flat view with the numbers (the guide's data for a 5x5 input)")
    r.add_argument("--out", required=True, type=Path, metavar="FILE",
                   help="file to write: .gif, .mp4 or .png (its extension gives the format "
                        "unless --format does)")
    r.add_argument("--format", choices=_RENDER_FORMATS, default=None,
                   help="gif (looping), mp4 (H.264 video) or png (one step, see --step); "
                        "default: from the --out extension")
    r.add_argument("--step", type=_ranged(1, MAX_STEPS), default=None, metavar="N",
                   help="with png: the step to draw, counted from 1 as the app shows them "
                        "(default 1)")
    r.set_defaults(run=_render, parser=r)
    return parser


def _spec(args: argparse.Namespace) -> ConvSpec:
    return ConvSpec(args.input, args.kernel, args.stride, args.padding, args.dilation,
                    transposed=args.transposed, output_padding=args.output_padding, op=args.op,
                    numerical=args.numerical)


def _out_format(parser: argparse.ArgumentParser, out: Path, fmt: str | None) -> str:
    """The format to write: ``--format``, else the extension of ``--out``; they must agree."""
    suffix = out.suffix.lower()
    if fmt is None:
        if suffix[1:] not in _RENDER_FORMATS:
            parser.error(f"argument --out: must be a "
                         f"{', '.join('.' + f for f in _RENDER_FORMATS)} file, got {str(out)!r}")
        return suffix[1:]
    if suffix != f".{fmt}":
        parser.error(f"argument --out: --format {fmt} writes a .{fmt} file, got {str(out)!r}")
    return fmt


def _render(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    out: Path = args.out
    fmt = _out_format(parser, out, args.format)
    if args.step is not None and fmt != "png":
        parser.error(f"argument --step: only for --format png (one step as a still), "
                     f"not {fmt}")
    if not out.parent.is_dir():
        parser.error(f"argument --out: folder {str(out.parent)!r} does not exist")
    if out.is_dir():
        parser.error(f"argument --out: {str(out)!r} is a folder")
    style = scaled_style(Style(palette=args.palette, labels=args.labels), args.scale)
    try:
        spec = _spec(args)
        anim = Animation(trace(spec), style)
    except ValueError as e:
        # The engine names the parameter it refuses; errors naming none, or one that no
        # option sets (the whole case: "spec"), are printed as they are.
        flag = _FLAGS.get(e.name, "") if isinstance(e, ParameterError) else ""
        parser.error(f"argument {flag}: {e}" if flag else str(e))
    w, h = anim.geometry.size
    if fmt == "png":
        step = 1 if args.step is None else args.step
        if step > len(anim):
            parser.error(f"argument --step: must be from 1 to {len(anim)} (steps count from "
                         f"1), got {step}")
        data = png_bytes(anim.frame(step - 1))
        write_atomic(out, data)
        print(f"wrote {out} (step {step} of {len(anim)}, {w}x{h} px, "
              f"{len(data) / 1000:.1f} kB)")
        return 0
    if fmt == "mp4":
        data = animation_mp4(anim, args.duration)
        w, h = mp4_size((w, h))
    else:
        data = animation_gif(anim, args.duration)
    write_atomic(out, data)
    print(f"wrote {out} ({len(anim)} frames of {w}x{h} px, {len(data) / 1000:.1f} kB)")
    return 0


def _gallery(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        parser.error(f"argument --out: {str(out)!r} exists and is not a folder")
    style = scaled_style(Style(palette=args.palette, labels=args.labels), args.scale)
    fmt = args.format
    start, total = time.perf_counter(), 0

    def progress(i: int, n: int, name: str, size: int) -> None:
        nonlocal total
        total += size
        print(f"[{i:>2}/{n}] {name}.{fmt}  {PRESETS[name].steps} frames  "
              f"{size / 1000:.1f} kB", flush=True)

    write_gallery(out, style=style, duration=args.duration, progress=progress, jobs=args.jobs,
                  format=fmt)
    print(f"wrote {len(PRESETS)} {fmt.upper()}s ({total / 1e6:.2f} MB) to {out} in "
          f"{time.perf_counter() - start:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``); returns the exit status.

    The ``conv-engine`` console script of an installed package calls this.
    """
    parser = build_parser(SCRIPT if Path(sys.argv[0]).name == SCRIPT else PROG)
    args = parser.parse_args(argv)
    try:
        return args.run(args.parser, args)
    except OSError as e:
        print(f"{args.parser.prog}: error: cannot write {e.filename or args.out}: "
              f"{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
