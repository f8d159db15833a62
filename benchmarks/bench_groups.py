"""Speed of grouped and depthwise convolutions against PyTorch's CPU conv2d, in one run.

- depthwise 3x3: 256 channels, 112x112, padding 1, groups 256 (MobileNet v1's second
  depthwise layer at width 2), float32.
- grouped 3x3: 128 -> 128 channels in 32 groups of 4, 56x56, padding 1 (ResNeXt-50 32x4d's
  first stage), float32.
- depthwise 3x3 with stride 2 and a channel multiplier of 2: 64 -> 128, 112x112.

Each prints the engine's time, PyTorch's, and engine / torch (median, and best of the run).
PyTorch is optional (not a requirement of the project): without it the script prints why it
skipped the comparison and times the engine alone. Run as
``python benchmarks/bench_groups.py [--repeat N]`` from the repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import conv_engine as ce  # noqa: E402
from benchmarks._torch import print_vs_torch, start, timings, torch, torch_conv2d  # noqa: E402

# name, C_in, C_out, groups, kernel, stride, padding, side
CASES = [
    ("depthwise 3x3, 256 channels, 112x112", 256, 256, 256, 3, 1, 1, 112),
    ("grouped 3x3, 128 -> 128 in 32 groups, 56x56", 128, 128, 32, 3, 1, 1, 56),
    ("depthwise 3x3 stride 2, 64 -> 128 (multiplier 2), 112x112", 64, 128, 64, 3, 2, 1, 112),
]


def bench(rng: np.random.Generator, case: tuple, repeat: int) -> None:
    name, c_in, c_out, g, k, s, p, side = case
    x = rng.standard_normal((c_in, side, side), dtype=np.float32)
    w = rng.standard_normal((c_out, c_in // g, k, k), dtype=np.float32)
    kw = {"stride": s, "padding": p, "groups": g}
    out = ce.conv2d(x, w, **kw)
    assert out.dtype == np.float32
    fns = {"engine": lambda: ce.conv2d(x, w, **kw)}
    err = torch_conv2d(fns, x, w, out, **kw)
    t = timings(fns, repeat)
    print(f"{name}, float32 -> {out.shape[0]}x{out.shape[1]}x{out.shape[2]}")
    print(f"  engine             {t['engine']}")
    print_vs_torch(t, err=err)


def main() -> None:
    args = start(__doc__)
    if torch is None:
        print("PyTorch is not installed: the engine / torch ratios are skipped "
              "(pip install torch to measure them; the project does not need it).")
    rng = np.random.default_rng(0)
    for case in CASES:
        bench(rng, case, args.repeat)


if __name__ == "__main__":
    main()
