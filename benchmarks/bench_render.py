"""Speed and size of the GIF gallery, against the convolution-arithmetic guide's own GIFs.

- Time to draw and write all 19 preset GIFs (``write_gallery``), in one process and with
  one worker process per CPU as the command line does. Goal: under 3 s on a 2-core machine.
- Bytes of the 15 arithmetic GIFs (the numerical ones excluded, as in the guide's count)
  against the guide's 3.4 MB for the same 15. Goal: at most half.
- Canvas sizes: at least the guide's. Its GIFs run from 244x259 (no_padding_no_strides) to
  495x576 px (full_padding_no_strides); for every preset the guide's size is estimated from
  its TikZ source: 0.5 cm cells rendered at 150 dpi (29.5 px) plus a 10 pt (20.8 px) border.

Run as ``python benchmarks/bench_render.py [--repeat N]`` from the repository root.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import PIL

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import conv_engine as ce  # noqa: E402
from conv_engine.export import default_jobs, spec_to_gif, write_gallery  # noqa: E402
from conv_engine.render import Animation  # noqa: E402

GUIDE_ARITHMETIC_BYTES = 3.4e6  # the guide's 15 arithmetic GIFs together
GUIDE_CELL_PX = 0.5 / 2.54 * 150  # 0.5 cm at 150 dpi
GUIDE_BORDER_PX = 10 / 72 * 150  # 10 pt
GUIDE_EXTREMES = {"no_padding_no_strides": (244, 259), "full_padding_no_strides": (495, 576)}


def guide_size(anim: Animation) -> tuple[int, int]:
    """The guide's canvas for the same case: both planes' extent in cells, at its scale."""
    g = anim.geometry
    corners = np.concatenate([g.quad("grid", 0, 0, *g.grid_shape),
                              g.quad("output", 0, 0, *g.output_shape)])
    extent = (corners.max(axis=0) - corners.min(axis=0)) / g.cell
    w, h = extent * GUIDE_CELL_PX + 2 * GUIDE_BORDER_PX
    return round(w), round(h)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="gallery runs to time (median)")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, Pillow {PIL.__version__}")

    jobs = default_jobs()  # as the command line does
    walls: dict[int, list[float]] = {1: [], jobs: []}
    cpus = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, args.repeat)):
            for j in walls:  # alternating, so load changes hit both alike
                w0, c0 = time.perf_counter(), time.process_time()
                write_gallery(tmp, jobs=j)
                walls[j].append(time.perf_counter() - w0)
                if j == 1:
                    cpus.append(time.process_time() - c0)

    print(f"\n{'arithmetic preset':42s} {'frames':>6s} {'canvas':>9s} {'guide':>9s} {'bytes':>8s}")
    total, at_least = 0, True
    for name in [*ce.PRESET_GROUPS["convolution"], *ce.PRESET_GROUPS["transposed"]]:
        spec = ce.PRESETS[name]
        anim = Animation(ce.trace(spec))
        size = len(spec_to_gif(spec))
        total += size
        ours = anim.geometry.size
        guide = GUIDE_EXTREMES.get(name, guide_size(anim))
        at_least &= ours[0] >= guide[0] and ours[1] >= guide[1]
        print(f"{name:42s} {spec.steps:6d} {ours[0]:4d}x{ours[1]:<4d} {guide[0]:4d}x{guide[1]:<4d} "
              f"{size:8,d}")

    print()
    for j, ts in walls.items():
        wall = statistics.median(ts)
        extra = f"; CPU {statistics.median(cpus):.2f} s" if j == 1 else ""
        print(f"gallery, 19 GIFs, {j} job{'s' if j > 1 else ' '} {wall:6.2f} s wall (median of "
              f"{len(ts)}{extra})   goal < 3 s: {'yes' if wall < 3 else 'NO'}")
    ratio = total / GUIDE_ARITHMETIC_BYTES
    print(f"15 arithmetic GIFs       {total / 1e6:6.2f} MB = {ratio:.2f} x the guide's "
          f"{GUIDE_ARITHMETIC_BYTES / 1e6:.1f} MB   goal <= 0.5: {'yes' if ratio <= 0.5 else 'NO'}")
    print(f"canvas at least guide's  {'yes' if at_least else 'NO'}")


if __name__ == "__main__":
    main()
