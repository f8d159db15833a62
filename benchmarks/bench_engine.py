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

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import conv_engine as ce  # noqa: E402
from benchmarks._common import peak_bytes  # noqa: E402
from benchmarks._torch import F, print_vs_torch, start, timings, torch, torch_conv2d  # noqa: E402


def bench_conv2d(rng: np.random.Generator, repeat: int) -> None:
    x = rng.standard_normal((16, 512, 512), dtype=np.float32)
    w = rng.standard_normal((32, 16, 3, 3), dtype=np.float32)
    out = ce.conv2d(x, w, padding=1)
    assert out.dtype == np.float32 and out.shape == (32, 512, 512)
    fns = {"engine": lambda: ce.conv2d(x, w, padding=1)}
    err = torch_conv2d(fns, x, w, out, padding=1)
    t = timings(fns, repeat)
    print("conv2d 16->32, 3x3, padding 1, 512x512, float32")
    print(f"  engine             {t['engine']}")
    print_vs_torch(t, "goal <= 1.5", err)
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
    t = timings(fns, repeat)
    gbs = x.nbytes / 1e9
    print("pointwise 64->16, 1080x1920, float32")
    print(f"  engine             {t['engine']}   reads {gbs / t['engine'].median:5.1f} GB/s")
    print(f"  x.sum()            {t['sum']}   reads {gbs / t['sum'].median:5.1f} GB/s")
    print(f"  bandwidth fraction {t['sum'] / t['engine']}   (sum time / engine time; goal >= 0.5)")
    print_vs_torch(t, "goal <= 1.0")


def main() -> None:
    args = start(__doc__)
    rng = np.random.default_rng(0)
    bench_conv2d(rng, args.repeat)
    bench_pointwise(rng, args.repeat)


if __name__ == "__main__":
    main()
