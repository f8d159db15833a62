"""PyTorch as the optional yardstick of the op benchmarks, and the timing protocol they share.

PyTorch is not a requirement of the project: without it ``torch`` and ``F`` are None and the
scripts time the engine alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import NamedTuple

import numpy as np

try:
    import torch
    import torch.nn.functional as F  # noqa: N812
except ImportError:  # torch is optional
    torch = None
    F = None


class Timing(NamedTuple):
    median: float
    best: float

    def __str__(self) -> str:
        return f"{self.median * 1e3:8.1f} ms (best {self.best * 1e3:6.1f})"

    def __truediv__(self, other: Timing) -> str:  # type: ignore[override]
        return f"{self.median / other.median:5.2f} (best {self.best / other.best:4.2f})"


def timings(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, Timing]:
    """Median and best wall time of each function, measured in alternating blocks.

    Rounds of a few calls per function, in turn, so that a change in the machine's load
    affects every function alike; a short pause between blocks lets the previous library's
    worker threads go idle before the next one starts. On a busy machine the best time is
    the closer estimate of what the code costs by itself. Runs under torch's inference mode
    when torch is there, so that its autograd bookkeeping is not timed.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    with torch.inference_mode() if torch is not None else nullcontext():
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


def start(doc: str) -> argparse.Namespace:
    """Parse ``--repeat``, give torch as many threads as numpy's BLAS, print the versions."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="timed calls per op (median)")
    args = parser.parse_args()
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if torch is not None and threads:
        torch.set_num_threads(int(threads))  # the same number of threads as numpy's BLAS
    print(f"numpy {np.__version__}; torch "
          f"{torch.__version__ + f' ({torch.get_num_threads()} threads)' if torch else 'absent'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return args


def torch_conv2d(fns: dict[str, Callable[[], object]], x: np.ndarray, w: np.ndarray,
                 out: np.ndarray, **kw) -> float | None:
    """Time torch's conv2d of (x, w) too, as ``fns["torch"]``; its relative max error against
    the engine's ``out`` (None without torch)."""
    if torch is None:
        return None
    tx, tw = torch.from_numpy(x)[None], torch.from_numpy(w)
    ref = F.conv2d(tx, tw, **kw)[0].numpy()
    assert ref.shape == out.shape
    fns["torch"] = lambda: F.conv2d(tx, tw, **kw)
    return float(np.abs(ref - out).max() / np.abs(ref).max())


def print_vs_torch(t: dict[str, Timing], goal: str | None = None,
                   err: float | None = None) -> None:
    """The lines for torch's time and engine / torch, with the goal and error; none without
    torch."""
    if torch is None:
        return
    notes = [n for n in (goal, None if err is None else f"rel. max error {err:.1e}") if n]
    print(f"  torch              {t['torch']}")
    print(f"  engine / torch     {t['engine'] / t['torch']}   ({'; '.join(notes)})")
