"""Command line: ``python -m conv_engine gallery|render ...`` writes animations as GIFs.

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
from .export import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MAX_SCALE,
    MIN_DURATION,
    animation_gif,
    default_jobs,
    write_atomic,
    write_gallery,
)
from .presets import PRESETS
from .render import PALETTES, Animation, Style
from .trace import trace

# Engine parameter names -> the options that set them, to name the culprit in errors.
_FLAGS = {
    "input_size": "--input",
    "kernel_size": "--kernel",
    "output_padding": "--output-padding",
    "stride": "--stride",
    "padding": "--padding",
    "dilation": "--dilation",
    "op": "--op",
}


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


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m conv_engine`` argument parser."""
    common = argparse.ArgumentParser(add_help=False)
    look = common.add_argument_group("look")
    look.add_argument("--duration", type=_ranged(MIN_DURATION, MAX_DURATION, " ms"),
                      default=DEFAULT_DURATION, metavar="MS",
                      help=f"time each frame is shown, in ms (default {DEFAULT_DURATION}, as in "
                           "the guide); GIFs store hundredths of a second")
    look.add_argument("--palette", choices=list(PALETTES), default="solarized",
                      help="colours: the guide's Solarized ones (default) or high contrast")
    look.add_argument("--no-labels", dest="labels", action="store_false",
                      help='leave out the "input" and "output" labels')
    look.add_argument("--scale", type=_ranged(1, MAX_SCALE), default=1, metavar="N",
                      help="enlarge N times, nearest neighbour, so big displays stay crisp "
                           "(default 1)")

    parser = _Parser(
        prog="python -m conv_engine",
        description="Animate convolution arithmetic as looping GIFs, in the style of "
                    "Dumoulin & Visin's 'A guide to convolution arithmetic for deep learning'.",
        epilog="examples:\n"
               "  python -m conv_engine gallery --out gallery\n"
               "  python -m conv_engine render --input 7 --kernel 3 --stride 2 --padding 1 "
               "--out case.gif\n"
               "  python -m conv_engine render --input 5 --kernel 2 --stride 2 --transposed "
               "--out up.gif\n"
               "  python -m conv_engine render --input 7x5 --kernel 3x2 --op max --numerical "
               "--out pool.gif",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)

    g = sub.add_parser("gallery", parents=[common],
                       help=f"write the guide's {len(PRESETS)} animations as DIR/<name>.gif",
                       description=f"Write the guide's {len(PRESETS)} animations as "
                                   "DIR/<preset name>.gif, printing progress.")
    g.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="folder to write into (created if missing)")
    g.add_argument("--jobs", type=_ranged(1, 64), default=default_jobs(), metavar="N",
                   help=f"GIFs drawn at once, in worker processes (default {default_jobs()}: "
                        "one per CPU, at most 4)")
    g.set_defaults(run=_gallery, parser=g)

    r = sub.add_parser("render", parents=[common], help="write one animation, any case",
                       description="Write one animation. Sizes are N or HxW (height x width), "
                                   "e.g. 7x5.")
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
    r.add_argument("--out", required=True, type=Path, metavar="FILE.gif",
                   help="GIF file to write")
    r.set_defaults(run=_render, parser=r)
    return parser


def _flag_of(message: str) -> str:
    """The option an engine error message is about (its first parameter name), or ''."""
    hits = [(m.start(), flag) for name, flag in _FLAGS.items()
            for m in [re.search(rf"\b{name}\b", message)] if m]
    return min(hits)[1] if hits else ""


def _spec(args: argparse.Namespace) -> ConvSpec:
    return ConvSpec(args.input, args.kernel, args.stride, args.padding, args.dilation,
                    transposed=args.transposed, output_padding=args.output_padding, op=args.op,
                    numerical=args.numerical)


def _render(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.suffix.lower() != ".gif":
        parser.error(f"argument --out: must be a .gif file, got {str(out)!r}")
    if not out.parent.is_dir():
        parser.error(f"argument --out: folder {str(out.parent)!r} does not exist")
    if out.is_dir():
        parser.error(f"argument --out: {str(out)!r} is a folder")
    style = Style(palette=args.palette, labels=args.labels)
    try:
        spec = _spec(args)
        anim = Animation(trace(spec), style)
    except ValueError as e:
        flag = _flag_of(str(e))
        parser.error(f"argument {flag}: {e}" if flag else str(e))
    data = animation_gif(anim, args.duration, scale=args.scale)
    write_atomic(out, data)
    w, h = anim.geometry.size
    print(f"wrote {out} ({len(anim)} frames of {w * args.scale}x{h * args.scale} px, "
          f"{len(data) / 1000:.1f} kB)")
    return 0


def _gallery(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        parser.error(f"argument --out: {str(out)!r} exists and is not a folder")
    style = Style(palette=args.palette, labels=args.labels)
    start, total = time.perf_counter(), 0

    def progress(i: int, n: int, name: str, size: int) -> None:
        nonlocal total
        total += size
        print(f"[{i:>2}/{n}] {name}.gif  {PRESETS[name].steps} frames  {size / 1000:.1f} kB",
              flush=True)

    write_gallery(out, style=style, duration=args.duration, scale=args.scale,
                  progress=progress, jobs=args.jobs)
    print(f"wrote {len(PRESETS)} GIFs ({total / 1e6:.2f} MB) to {out} in "
          f"{time.perf_counter() - start:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
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
