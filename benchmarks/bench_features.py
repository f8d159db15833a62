"""Speed and memory of the "your image" pipeline's engine half, measured in one run.

- feature_stack (8 orientations x 2 scales = 19 channels) on 1024x768 and on 12 megapixels
  (4000x3000). Goal: 1024x768 well under 1 s.
- On the 12-megapixel stack: PCA weights, the 1x1 reduction to k = 8 (``pointwise``),
  the efficacy curve for every k, and ``learn_pointwise`` at its defaults. Their statistics use
  a pixel sample, so they should cost about the same at any image size.

Times are medians; memory is the peak traced by tracemalloc during one call, also given as a
ratio to the bytes of the call's result. Run as ``python benchmarks/bench_features.py
[--repeat N]`` from the repository root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import peak_bytes  # noqa: E402
from conv_engine.features import feature_stack  # noqa: E402
from conv_engine.ops import pointwise  # noqa: E402
from conv_engine.reductions import (  # noqa: E402
    learn_pointwise,
    reduction_curve,
    reduction_weights,
)

MiB = 2**20


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn()`` in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)



def photo(h: int, w: int) -> np.ndarray:
    """A sample photograph resized to (h, w, 3) uint8, or noise if Pillow or the file is missing."""
    try:
        from PIL import Image

        with Image.open(ROOT / "conv_engine" / "samples" / "coffee.jpg") as im:
            return np.asarray(im.convert("RGB").resize((w, h), Image.Resampling.BILINEAR))
    except (ImportError, OSError):
        rng = np.random.default_rng(0)
        return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def report(label: str, t: float, peak: int, out_bytes: int) -> None:
    ratio = f" ({peak / out_bytes:4.2f} x its result)" if out_bytes >= MiB else ""
    print(f"  {label:<26} {t * 1e3:9.1f} ms   peak {peak / MiB:8.1f} MiB{ratio}")


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per step (median)")
    args = parser.parse_args()
    print(f"numpy {np.__version__}; {os.cpu_count()} CPUs; {load()}")

    print("feature_stack, 8 orientations x 2 scales")
    times = {}
    for h, w in ((768, 1024), (3000, 4000)):
        img = photo(h, w)
        repeat = args.repeat if h * w < 4e6 else max(1, args.repeat // 2)
        t = median_time(lambda img=img: feature_stack(img), repeat)
        peak, s = peak_bytes(lambda img=img: feature_stack(img))
        times[h * w] = t
        report(f"{w}x{h} ({h * w / 1e6:.1f} MP)", t, peak, s.maps.nbytes)
        if h * w < 4e6:

            def chain(img=img) -> np.ndarray:
                st = feature_stack(img)
                return pointwise(st.maps, *reduction_weights(st, 8, "pca"))

            t = median_time(chain, repeat)
            print(f"  {'same, + pca + pointwise 8':<26} {t * 1e3:9.1f} ms")
    (small, t_small), (big, t_big) = sorted(times.items())
    print(f"  time per pixel, 12 MP / 0.8 MP   {(t_big / big) / (t_small / small):6.2f} x")

    print("on the 12-megapixel stack (C = 19), k = 8")
    wb = reduction_weights(s, 8, "pca")
    steps: list[tuple[str, Callable[[], object], Callable[[object], int]]] = [
        ("reduction_weights pca", lambda: reduction_weights(s, 8, "pca"), lambda r: r[0].nbytes),
        ("pointwise 19 -> 8", lambda: pointwise(s.maps, *wb), lambda r: r.nbytes),
        ("reduction_curve (all k)", lambda: reduction_curve(s), lambda r: r.ks.nbytes),
        ("learn_pointwise defaults", lambda: learn_pointwise(s, 8), lambda r: r.w.nbytes),
    ]
    step_times = {}
    for label, fn, size in steps:
        step_times[label] = t = median_time(fn, max(1, args.repeat // 2))
        peak, out = peak_bytes(fn)
        report(label, t, peak, size(out))
    chain = t_big + step_times["reduction_weights pca"] + step_times["pointwise 19 -> 8"]
    print(f"  image -> stack -> pca -> 8 maps    {chain * 1e3:9.1f} ms at 12 MP")
    print(
        f"  the 12 MP stack alone holds {s.maps.nbytes / MiB:.0f} MiB: compute on a downscaled "
        "working copy to stay within a memory budget"
    )
    print(f"({load()}: other processes inflate the times)")


if __name__ == "__main__":
    main()
