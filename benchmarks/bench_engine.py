"""Speed and memory of the engine's two hot ops, as ratios measured in one run.

- conv2d: 16 -> 32 channels, 3x3 kernel, padding 1, 512x512, float32.
  Goal: at most 1.5x the time of PyTorch's CPU ``conv2d``; peak scratch memory at most
  about 3x (input + output) bytes.
- pointwise (1x1): 64 -> 16 channels, 1080x1920, float32.
  Goal: no slower than PyTorch, and at least half the read bandwidth of ``x.sum()``.

PyTorch is optional (not a requirement of the project): without it the torch ratios are
skipped. Run as ``python benchmarks/bench_engine.py [--repeat N]`` from the repository root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import conv_engine as ce  # noqa: E402
from benchmarks._common import peak_bytes  # noqa: E402

try:
    import torch
    import torch.nn.functional as F  # noqa: N812
except ImportError:  # torch is optional
    torch = None


def timings(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, Timing]:
    """Median and best wall time of each function, measured in alternating blocks.

    Rounds of a few calls per function, in turn, so that a change in the machine's load
    affects every function alike; a short pause between blocks lets the previous library's
    worker threads go idle before the next one starts. On a busy machine the best time is
    the closer estimate of what the code costs by itself.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm-up
    rounds = max(1, -(-repeat // 3))
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(0.05)
            for _ in range(3):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return {name: Timing(statistics.median(ts), min(ts)) for name, ts in times.items()}


class Timing(NamedTuple):
    median: float
    best: float

    def __str__(self) -> str:
        return f"{self.median * 1e3:8.1f} ms (best {self.best * 1e3:6.1f})"

    def __truediv__(self, other: Timing) -> str:  # type: ignore[override]
        return f"{self.median / other.median:5.2f} (best {self.best / other.best:4.2f})"


def bench_conv2d(rng: np.random.Generator, repeat: int) -> None:
    x = rng.standard_normal((16, 512, 512), dtype=np.float32)
    w = rng.standard_normal((32, 16, 3, 3), dtype=np.float32)
    out = ce.conv2d(x, w, padding=1)
    assert out.dtype == np.float32 and out.shape == (32, 512, 512)
    fns = {"engine": lambda: ce.conv2d(x, w, padding=1)}
    if torch is not None:
        tx, tw = torch.from_numpy(x)[None], torch.from_numpy(w)
        ref = F.conv2d(tx, tw, padding=1)[0].numpy()
        err = float(np.abs(ref - out).max() / np.abs(ref).max())
        fns["torch"] = lambda: F.conv2d(tx, tw, padding=1)
    with torch.inference_mode() if torch is not None else nullcontext():
        t = timings(fns, repeat)
    print("conv2d 16->32, 3x3, padding 1, 512x512, float32")
    print(f"  engine             {t['engine']}")
    if torch is not None:
        print(f"  torch              {t['torch']}")
        print(f"  engine / torch     {t['engine'] / t['torch']}   (goal <= 1.5; rel. max error "
              f"{err:.1e})")
    peak, out = peak_bytes(lambda: ce.conv2d(x, w, padding=1))
    out_bytes = out.nbytes
    io = x.nbytes + out_bytes
    scratch = peak - out_bytes
    print(f"  peak allocated     {peak / 2**20:5.1f} MiB (output {out_bytes / 2**20:.1f} MiB)")
    print(f"  scratch / (in+out) {scratch / io:5.2f}   (goal <= ~3; input + output = "
          f"{io / 2**20:.1f} MiB)")


def bench_pointwise(rng: np.random.Generator, repeat: int) -> None:
    x = rng.standard_normal((64, 1080, 1920), dtype=np.float32)
    w = rng.standard_normal((16, 64), dtype=np.float32)
    out = ce.pointwise(x, w)
    assert out.dtype == np.float32 and out.shape == (16, 1080, 1920)
    fns = {"engine": lambda: ce.pointwise(x, w), "sum": lambda: x.sum()}
    if torch is not None:
        tx, tw = torch.from_numpy(x)[None], torch.from_numpy(w)[:, :, None, None]
        fns["torch"] = lambda: F.conv2d(tx, tw)
    with torch.inference_mode() if torch is not None else nullcontext():
        t = timings(fns, repeat)
    gbs = x.nbytes / 1e9
    print("pointwise 64->16, 1080x1920, float32")
    print(f"  engine             {t['engine']}   reads {gbs / t['engine'].median:5.1f} GB/s")
    print(f"  x.sum()            {t['sum']}   reads {gbs / t['sum'].median:5.1f} GB/s")
    print(f"  bandwidth fraction {t['sum'] / t['engine']}   (sum time / engine time; goal >= 0.5)")
    if torch is not None:
        print(f"  torch              {t['torch']}")
        print(f"  engine / torch     {t['engine'] / t['torch']}   (goal <= 1.0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="timed calls per op (median)")
    args = parser.parse_args()
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if torch is not None and threads:
        torch.set_num_threads(int(threads))  # the same number of threads as numpy's BLAS
    print(f"numpy {np.__version__}; torch "
          f"{torch.__version__ + f' ({torch.get_num_threads()} threads)' if torch else 'absent'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rng = np.random.default_rng(0)
    bench_conv2d(rng, args.repeat)
    bench_pointwise(rng, args.repeat)


if __name__ == "__main__":
    main()
