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
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import conv_engine as ce  # noqa: E402

try:
    import torch
    import torch.nn.functional as F  # noqa: N812
except ImportError:  # torch is optional
    torch = None


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn()`` in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_bytes(fn: Callable[[], np.ndarray]) -> tuple[int, int]:
    """(peak bytes allocated during ``fn()``, bytes of its result), via tracemalloc."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, out.nbytes


def ms(t: float) -> str:
    return f"{t * 1e3:8.1f} ms"


def bench_conv2d(rng: np.random.Generator, repeat: int) -> None:
    x = rng.standard_normal((16, 512, 512), dtype=np.float32)
    w = rng.standard_normal((32, 16, 3, 3), dtype=np.float32)
    out = ce.conv2d(x, w, padding=1)
    assert out.dtype == np.float32 and out.shape == (32, 512, 512)
    t_engine = median_time(lambda: ce.conv2d(x, w, padding=1), repeat)
    print("conv2d 16->32, 3x3, padding 1, 512x512, float32")
    print(f"  engine             {ms(t_engine)}")
    if torch is not None:
        tx, tw = torch.from_numpy(x)[None], torch.from_numpy(w)
        ref = F.conv2d(tx, tw, padding=1)[0].numpy()
        err = float(np.abs(ref - out).max() / np.abs(ref).max())
        with torch.inference_mode():
            t_torch = median_time(lambda: F.conv2d(tx, tw, padding=1), repeat)
        print(f"  torch              {ms(t_torch)}")
        print(f"  engine / torch     {t_engine / t_torch:8.2f} x   (goal <= 1.5; rel. max error "
              f"{err:.1e})")
    peak, out_bytes = peak_bytes(lambda: ce.conv2d(x, w, padding=1))
    io = x.nbytes + out_bytes
    scratch = peak - out_bytes
    print(f"  peak allocated     {peak / 2**20:8.1f} MiB, of which output {out_bytes / 2**20:.1f} MiB")
    print(f"  scratch / (in+out) {scratch / io:8.2f} x   (goal <= ~3; input + output = "
          f"{io / 2**20:.1f} MiB)")


def bench_pointwise(rng: np.random.Generator, repeat: int) -> None:
    x = rng.standard_normal((64, 1080, 1920), dtype=np.float32)
    w = rng.standard_normal((16, 64), dtype=np.float32)
    out = ce.pointwise(x, w)
    assert out.dtype == np.float32 and out.shape == (16, 1080, 1920)
    t_engine = median_time(lambda: ce.pointwise(x, w), repeat)
    t_sum = median_time(lambda: x.sum(), repeat)
    gbs = x.nbytes / 1e9
    print("pointwise 64->16, 1080x1920, float32")
    print(f"  engine             {ms(t_engine)}   reads {gbs / t_engine:6.1f} GB/s")
    print(f"  x.sum()            {ms(t_sum)}   reads {gbs / t_sum:6.1f} GB/s")
    print(f"  bandwidth fraction {t_sum / t_engine:8.2f}     (engine / sum; goal >= 0.5)")
    if torch is not None:
        tx, tw = torch.from_numpy(x)[None], torch.from_numpy(w)[:, :, None, None]
        with torch.inference_mode():
            t_torch = median_time(lambda: F.conv2d(tx, tw), repeat)
        print(f"  torch              {ms(t_torch)}")
        print(f"  engine / torch     {t_engine / t_torch:8.2f} x   (goal <= 1.0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed calls per op (median)")
    args = parser.parse_args()
    print(f"numpy {np.__version__}; torch "
          f"{torch.__version__ + f' ({torch.get_num_threads()} threads)' if torch else 'absent'}")
    rng = np.random.default_rng(0)
    bench_conv2d(rng, args.repeat)
    bench_pointwise(rng, args.repeat)


if __name__ == "__main__":
    main()
