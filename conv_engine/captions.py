"""Plain-text captions that spell out one step of a trace, and file names for exports."""

from __future__ import annotations

import operator
import re
from numbers import Integral

from .arithmetic import ConvSpec, require
from .trace import Step, Trace

# A caption lists every product up to this many taps; beyond it the middle is elided.
_MAX_TERMS = 12


def fmt(v: float) -> str:
    """A value as the guide prints it: integers plain, others with one decimal."""
    try:
        v = float(v)
    except TypeError:
        raise ValueError(f"v must be a number, got {type(v).__name__}") from None
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.1f}"


def _elide(terms: list[str]) -> list[str]:
    if len(terms) <= _MAX_TERMS:
        return terms
    return [*terms[: _MAX_TERMS // 2], "…", *terms[-_MAX_TERMS // 2 :]]


def step_caption(t: Trace, step: Step | int, *, numerical: bool | None = None) -> str:
    """One sentence (or equation) describing what step ``step`` of ``t`` computes.

    Numerical captions write out the sum of products (or the max/mean); the others name the
    input cells under the kernel and how many padding or inserted-zero cells it covers.
    """
    require(t, Trace, "t")
    s = step if isinstance(step, Step) else t.steps[_step_index(step, len(t.steps))]
    spec = t.spec
    numerical = spec.numerical if numerical is None else numerical
    r, c = s.out_pos
    head = f"output[{r},{c}]"
    if numerical:
        if spec.op == "conv":
            terms = [f"{fmt(v)}·{fmt(w)}" for v, w in zip(s.values.ravel(), s.weights.ravel(),
                                                           strict=True)]
            return f"{head} = {' + '.join(_elide(terms))} = {s.result:.1f}"
        real = [t.layout.input_index(gr, gc) is not None for gr, gc in s.cells]
        vals = [fmt(v) for v, ok in zip(s.values.ravel(), real, strict=True)
                if ok or spec.op == "avg"]
        name = "max" if spec.op == "max" else "mean"
        return f"{head} = {name}({', '.join(_elide(vals))}) = {s.result:.1f}"
    inputs = [t.layout.input_index(gr, gc) for gr, gc in s.cells]
    real = [p for p in inputs if p is not None]
    blanks = len(inputs) - len(real)
    blank_kind = "padding or inserted-zero" if spec.transposed else "padding"
    what = {"conv": "the kernel", "max": "the pooling window", "avg": "the pooling window"}[spec.op]
    if real:
        rows = sorted({p[0] for p in real})
        cols = sorted({p[1] for p in real})
        covered = (
            f"input {_plural('row', rows)} {_span(rows)}, {_plural('column', cols)} {_span(cols)} "
            f"({len(real)} input cell{'s' if len(real) != 1 else ''})"
        )
    else:
        covered = "no input cell"
    tail = f" and {blanks} {blank_kind} cell{'s' if blanks != 1 else ''}" if blanks else ""
    return f"{head}: {what} covers {covered}{tail}."


def _step_index(step: object, n: int) -> int:
    """A step number in -n..n-1 (negative counts from the end), or ValueError."""
    try:
        i = operator.index(step)
    except TypeError:
        raise ValueError(f"step must be a Step or an integer, got {step!r}") from None
    if not -n <= i < n:
        raise ValueError(f"step must be from 0 to {n - 1}, got {i}")
    return i


def _plural(word: str, items: list) -> str:
    return word if len(items) == 1 else word + "s"


def _span(v: list[int]) -> str:
    """'2' or '0–2' or '0, 2, 4' for a sorted list of indices."""
    if len(v) == 1:
        return str(v[0])
    if v == list(range(v[0], v[-1] + 1)):
        return f"{v[0]}–{v[-1]}"
    return ", ".join(map(str, v))


def export_name(spec: ConvSpec, ext: str, *, step: int | None = None) -> str:
    """A file name that states the parameters, e.g. ``conv_i5x5_k3x3_s2_p1_d1.gif``.

    Built only from the spec's numbers, never from user text: ``ext`` is letters and digits
    (after an optional dot) and ``step`` an integer >= 0.
    """
    require(spec, ConvSpec, "spec")
    if not isinstance(ext, str) or not re.fullmatch(r"\.?[A-Za-z0-9]{1,10}", ext):
        raise ValueError(f"ext must be a file extension such as 'gif', got {ext!r}")
    if step is not None and (isinstance(step, bool) or not isinstance(step, Integral)
                             or step < 0):
        raise ValueError(f"step must be None or an integer >= 0, got {step!r}")

    def hw(p: tuple[int, int]) -> str:
        return f"{p[0]}" if p[0] == p[1] else f"{p[0]}x{p[1]}"

    kind = "transposed" if spec.transposed else {"conv": "conv", "max": "maxpool",
                                                 "avg": "avgpool"}[spec.op]
    pad = spec.padding if isinstance(spec.padding, str) else hw(spec.padding)
    parts = [kind, f"i{spec.input_size[0]}x{spec.input_size[1]}",
             f"k{spec.kernel_size[0]}x{spec.kernel_size[1]}", f"s{hw(spec.stride)}",
             f"p{pad}", f"d{hw(spec.dilation)}"]
    if spec.transposed and spec.output_padding != (0, 0):
        parts.append(f"a{hw(spec.output_padding)}")
    if spec.numerical:
        parts.append("numerical")
    if step is not None:
        parts.append(f"step{step}")
    return "_".join(parts) + "." + ext.lstrip(".")


__all__ = [
    "export_name",
    "fmt",
    "step_caption",
]
