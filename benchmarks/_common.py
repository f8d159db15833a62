"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def peak_bytes(fn: Callable[[], T]) -> tuple[int, T]:
    """(peak bytes allocated during ``fn()`` above what was live before, its result)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, out
