"""Plain-text captions that spell out one step of a trace, and file names for exports.

Every number the app prints goes through :func:`fmt`, and every printed equation is true at
the precision it prints:

- A value is printed with as many decimals as it has, up to :data:`MAX_PLACES` (``0.25``,
  ``3``); a value with more decimals is printed rounded to :data:`MAX_PLACES` decimals and the
  equation then says ``≈`` instead of ``=``.
- A result is the value of its printed terms at the precision they carry, at least one
  decimal (the guide's ``12.0``): a sum of products is exact (``0.25·2 + 0.5·0.5 = 0.75``),
  a maximum is one of its terms, and a mean is exact when :data:`MAX_PLACES` decimals hold it
  (``mean(0, 0, 0, 3) = 0.75``), else correctly rounded to the decimals of its printed values
  (``mean(3, 3, 2, 0, 0, 1, 3, 1, 2) = 1.7``, the guide's figure).
- Rounding is half away from zero on the number as written (``0.25`` to one decimal is
  ``0.3``), never Python's round-half-to-even.
"""

from __future__ import annotations

import math
import operator
import re
from fractions import Fraction
from numbers import Integral

import numpy as np

from .arithmetic import ConvSpec, effective_kernel, require
from .checks import ParameterError, array, integer, pointwise_arrays, real
from .layers import Conv, check_channel_case
from .limits import MAX_CHANNELS_CAPTION_TERMS, MAX_DEPTH_CAPTION_TERMS, MAX_STEP_CAPTION_TERMS
from .ops import conv2d, pointwise
from .traces import Step, Trace

# Most decimals a printed value carries: enough for any number typed in the editor by hand,
# short enough to read in a sum of nine products.
MAX_PLACES = 4
# Beyond this size a float no longer holds 4 exact decimals (its spacing nears 1e-7), so only
# whole numbers count as exact there.
_EXACT_BELOW = 1e9


def _real(v: object, name: str = "v") -> float:
    """``v`` as a float, or a ParameterError naming it."""
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(name, f"{name} must be a number, got {type(v).__name__}") from None


def _places(v: object, name: str) -> int:
    """A count of decimals (0..20), or a ParameterError naming it."""
    if isinstance(v, bool) or not isinstance(v, Integral) or not 0 <= v <= 20:
        raise ParameterError(name, f"{name} must be an integer from 0 to 20, got {v!r}")
    return int(v)


def round_text(q: Fraction, places: int, min_places: int) -> str:
    """``q`` rounded half away from zero to ``places`` decimals, trailing zeros dropped down to
    ``min_places``; a value that rounds to zero has no sign."""
    digits = str(math.floor(abs(q) * 10**places + Fraction(1, 2)))
    sign = "-" if q < 0 and digits != "0" else ""
    if places:
        digits = digits.rjust(places + 1, "0")
        whole, frac = digits[:-places], digits[-places:].rstrip("0")
    else:
        whole, frac = digits, ""
    frac = frac.ljust(min_places, "0")
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def fmt(v: float, places: int = MAX_PLACES, *, min_places: int = 0) -> str:
    """A number as the app prints it: the one formatter of captions and drawings.

    Parameters
    ----------
    v : a real number
    places : most decimals; more are rounded half away from zero (on the number as written:
        ``fmt(0.25, 1) == "0.3"``)
    min_places : fewest decimals (``fmt(12, min_places=1) == "12.0"``, the guide's outputs)

    Returns
    -------
    Trailing zeros dropped down to ``min_places`` (``"0.25"``, ``"3"``); never ``"-0"``;
    ``"inf"``, ``"-inf"`` and ``"nan"`` for those.
    """
    v = _real(v)
    places, min_places = _places(places, "places"), _places(min_places, "min_places")
    if min_places > places:
        raise ParameterError("min_places",
                             f"min_places must be <= places ({places}), got {min_places}")
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else "inf" if v > 0 else "-inf"
    if v.is_integer() and abs(v) < 1e15:  # the common case, fast: the guide's integers
        return str(int(v)) + ("." + "0" * min_places if min_places else "")
    # repr is the shortest text that reads back as v: the number as typed, not its binary value
    return round_text(Fraction(repr(v)), places, min_places)


def printed_decimals(a: np.ndarray | float, limit: int = MAX_PLACES) -> np.ndarray:
    """How many decimals :func:`fmt` prints each value of ``a`` with, exactly.

    Parameters
    ----------
    a : array of any shape (or a number)
    limit : most decimals

    Returns
    -------
    int array of ``a``'s shape: the fewest decimals ``d <= limit`` such that the value is a
    ``d``-decimal number up to float noise (``0.1 + 0.2`` has 1), or -1 when it has more, is
    not finite, or is too large to hold them (``fmt`` then prints it rounded).
    """
    a = np.asarray(a, dtype=float)
    limit = _places(limit, "limit")
    out = np.full(a.shape, -1, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        fine = np.isfinite(a) & (np.abs(a) < _EXACT_BELOW)
        out[(np.abs(a) < 1e15) & (a == np.rint(a))] = 0  # whole numbers, printed in full
        for d in range(limit, -1, -1):  # downwards: the fewest decimals are written last
            scaled = np.where(fine, a, 0.0) * 10.0**d
            # Float noise: a few units in the last place (1e-6 of a digit also forgives data
            # that went through float32).
            near = np.abs(scaled - np.rint(scaled)) <= 1e-6 + 4 * np.spacing(np.abs(scaled))
            out[fine & near] = d
    return out


def _printed(a: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The printed texts of ``a``'s values (flattened) and their exact decimals (-1: rounded)."""
    a = np.asarray(a, dtype=float).ravel()
    return [fmt(v) for v in a.tolist()], printed_decimals(a)


def factor_text(text: str) -> str:
    """A second factor or an added term: negative numbers in brackets ("0.5·(-2)")."""
    return f"({text})" if text.startswith("-") else text


def dot_terms(
    values: np.ndarray, weights: np.ndarray, bias: float | None = None, *, result: float
) -> tuple[list[str], str, str]:
    """A sum of products ``Σ values·weights (+ bias)`` as printed.

    Parameters
    ----------
    values, weights : arrays of one size (flattened in order)
    bias : added last, or None
    result : the engine's value of the sum (printed when the terms are rounded)

    Returns
    -------
    ``(terms, relation, total)``: the terms ``"v·w"`` (negative weights in brackets) then the
    bias; ``relation`` is ``"="`` when every printed number is exact, and ``total`` is then the
    exact sum of the printed terms with the decimals they carry (at least one: ``"12.0"``);
    ``"≈"`` when a number is printed rounded, ``total`` being ``result`` rounded to
    :data:`MAX_PLACES` decimals.
    """
    vt, vd = _printed(values)
    wt, wd = _printed(weights)
    if len(vt) != len(wt):
        raise ParameterError("weights", "values and weights must have one size, got "
                             f"{len(vt)} and {len(wt)}")
    terms = [f"{v}·{factor_text(w)}" for v, w in zip(vt, wt, strict=True)]
    exact = bool((vd >= 0).all() and (wd >= 0).all())
    places = int((vd + wd).max(initial=0))
    if bias is not None:
        bt, bd = _printed(np.array([_real(bias, "bias")]))
        terms.append(factor_text(bt[0]))
        exact = exact and bd[0] >= 0
        places = max(places, int(bd[0]))
    if not exact:
        return terms, "≈", fmt(result, min_places=1)
    total = sum((Fraction(v) * Fraction(w) for v, w in zip(vt, wt, strict=True)), Fraction(0))
    if bias is not None:
        total += Fraction(bt[0])
    # Exact: a product of a d1- and a d2-decimal number has d1 + d2 decimals.
    return terms, "=", round_text(total, max(1, places), 1)


def _mean_text(texts: list[str], decimals: np.ndarray) -> str:
    """The mean of exactly printed values: exact within MAX_PLACES decimals, else correctly
    rounded to the decimals of the values (at least one)."""
    q = sum(map(Fraction, texts), Fraction(0)) / len(texts)
    if (q * 10**MAX_PLACES).denominator == 1:
        return round_text(q, MAX_PLACES, 1)
    places = max(1, int(decimals.max()))
    return round_text(q, places, places)  # rounded: every decimal shown, zeros too


def _elide(terms: list[str]) -> list[str]:
    if len(terms) <= MAX_STEP_CAPTION_TERMS:
        return terms
    return [*terms[: MAX_STEP_CAPTION_TERMS // 2], "…", *terms[-MAX_STEP_CAPTION_TERMS // 2 :]]


def step_caption(t: Trace, step: Step | int, *, numerical: bool | None = None) -> str:
    """One sentence (or equation) describing what step ``step`` of ``t`` computes.

    Parameters
    ----------
    t : the trace
    step : a Step of ``t`` or its index (0-based; negative counts from the end)
    numerical : write the numbers (default: ``t.spec.numerical``)

    Numerical captions write out the sum of products (or the max/mean) by the rules of this
    module's docstring: ``output[0,0] = 3·0 + 3·1 + ... = 12.0``; ``≈`` replaces ``=`` when a
    value is printed rounded. A transposed convolution's captions use the kernel rotated
    180° (the guide's direct-convolution drawing) and say so. A max-pooling window that covers
    only padding gives ``-inf``, as in PyTorch, and says why. The others name the input cells
    under the kernel and how many padding or inserted-zero cells it covers.
    """
    require(t, Trace, "t")
    s = step if isinstance(step, Step) else t.steps[_step_index(step, len(t.steps))]
    spec = t.spec
    numerical = spec.numerical if numerical is None else numerical
    r, c = s.out_pos
    head = f"output[{r},{c}]"
    if numerical:
        if spec.op == "conv":
            terms, rel, total = dot_terms(s.values, s.weights, result=s.result)
            rotated = " (kernel rotated 180°)" if spec.transposed else ""
            return f"{head} {rel} {' + '.join(_elide(terms))} {rel} {total}{rotated}"
        real = np.array([t.layout.input_index(gr, gc) is not None for gr, gc in s.cells])
        # Max pooling skips padding (PyTorch pads with -inf); average pooling counts its zeros.
        vals = s.values.ravel() if spec.op == "avg" else s.values.ravel()[real]
        name = "max" if spec.op == "max" else "mean"
        if vals.size == 0:
            return (f"{head} = max() = {fmt(s.result)} (the window covers only padding, and "
                    "max pooling skips padding, as PyTorch does)")
        texts, decimals = _printed(vals)
        if (decimals < 0).any():
            rel, total = "≈", fmt(s.result, min_places=1)
        elif spec.op == "max":  # one of the printed values, written like a result
            rel, total = "=", fmt(s.result, min_places=1)
        else:
            rel, total = "=", _mean_text(texts, decimals)
        return f"{head} {rel} {name}({', '.join(_elide(texts))}) {rel} {total}"
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
    if not real and spec.op == "max":
        tail += f": only padding, which max pooling skips, so the output is {fmt(s.result)}"
    return f"{head}: {what} covers {covered}{tail}."


def _step_index(step: object, n: int) -> int:
    """A step number in -n..n-1 (negative counts from the end), or a ParameterError."""
    try:
        i = operator.index(step)
    except TypeError:
        raise ParameterError("step", f"step must be a Step or an integer, got {step!r}") from None
    if not -n <= i < n:
        raise ParameterError("step", f"step must be from 0 to {n - 1}, got {i}")
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


# -- the 1x1 convolution through depth, and the channels view --------------------------------


def depth_caption(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    index: int = 0,
    *,
    numerical: bool = True,
    max_terms: int = MAX_DEPTH_CAPTION_TERMS,
) -> str:
    """What frame ``index`` of the depth view (:mod:`conv_engine.render.depth`) computes, as
    text.

    Numerical: a heading, then one line per output channel (a Markdown list)::

        pixel (1,2):
        - out[0] = 0.3·1 + 1.5·(-2) + 0.5 = -2.2
        - out[1] = ...

    the products ``x[k, i, j]·w[c, k]`` then the bias, sums of more than ``max_terms``
    products elided in the middle (the result is still that of every term). Numbers and
    results follow this module's rules: each value with as many decimals as it has (up
    to four), the result exact at the decimals of its terms, at least one (``= 3.0``), or
    ``≈`` with four decimals when a value is printed rounded (``pointwise(x, w, b)[c, i, j]``).
    Otherwise a sentence counting the multiply-adds.

    Parameters
    ----------
    x : (C_in, H, W) feature stack
    w : (C_out, C_in) 1x1 weights
    b : (C_out,) biases or None
    index : the pixel ``divmod(index, W)``, 0 <= index < H*W
    """
    x, w, b = pointwise_arrays(x, w, b)
    c_in, h, wd = x.shape
    n = h * wd
    i = integer(index, "index", f"an integer from 0 to {n - 1} (H*W - 1)",
                lambda v: 0 <= v < n)
    r, col = divmod(i, wd)
    head = f"pixel ({r},{col})"
    c_out = w.shape[0]
    if not numerical:
        return (f"{head}: each of the {c_out} output channel{'s' if c_out > 1 else ''} is a "
                f"weighted sum of the pixel's {c_in} channel value{'s' if c_in > 1 else ''}"
                f"{' plus a bias' if b is not None else ''}: {c_out * c_in} multiply-adds.")
    out = pointwise(x, w, b)[:, r, col]
    parts = []
    for j in range(c_out):
        terms, rel, total = dot_terms(x[:, r, col], w[j], None if b is None else b[j],
                                      result=out[j])
        bias = terms[c_in:]  # elide products only: the bias stays in view
        terms = terms[:c_in]
        if len(terms) > max(2, max_terms):
            keep = max(2, max_terms) - 1
            terms = [*terms[: keep - keep // 2], "…", *terms[c_in - keep // 2:]]
        parts.append(f"out[{j}] {rel} {' + '.join(terms + bias)} {rel} {total}")
    return f"{head}:\n" + "\n".join(f"- {part}" for part in parts)  # a list in Markdown


def _channels_arrays(x, w, layer: Conv) -> tuple[np.ndarray, np.ndarray]:
    """The input and weights of a channels case, checked against ``layer``."""
    x, w = array(x, "x", 3), array(w, "w", 4)
    check_channel_case(layer, x.shape)
    want = (layer.out_channels, x.shape[0] // layer.groups, layer.kernel, layer.kernel)
    if w.shape != want:
        raise ParameterError(
            "w", f"w must have shape {want} for this layer and input, got {w.shape}"
        )
    return x, w


def channels_caption(x: np.ndarray, w: np.ndarray, layer: Conv, filter: int, step: int) -> str:
    """What step ``step`` of filter ``filter`` of the channels view computes, as Markdown.

    A heading (the filter, its group and the input channels it reads, the window), then one
    line per channel of the group, ``channel c: x·w + ... = partial`` over the ``k x k``
    window (products ``x[c, ...]·w[filter, c - first, i, j]`` row-major, the middle elided
    beyond :data:`~conv_engine.limits.MAX_CHANNELS_CAPTION_TERMS`), then
    ``out[o, r, c] = partial + partial + ... = total``, where ``total`` is
    :func:`~conv_engine.ops.conv2d`'s value (printed as sums are printed here: exact with the
    decimals of its terms, at least one, or ``≈``), and the count of multiply-adds,
    ``(C_in / groups) k^2``.

    Parameters
    ----------
    x : (C_in, H, W) array
    w : (C_out, C_in / groups, k, k) array
    layer : Conv (no bias is added: the drawing's convolution has none), within the channels
        view's limits (:func:`~conv_engine.layers.check_channel_case`)
    filter : the filter (output channel), 0 <= filter < C_out
    step : the output cell ``divmod(step, W_out)``, row-major, 0 <= step < H_out * W_out;
        the kernel covers rows ``r*s .. r*s+k-1`` and columns ``c*s .. c*s+k-1`` of the
        padded input
    """
    x, w = _channels_arrays(x, w, layer)
    c_out, ho, wo = layer.output_shape(x.shape)
    o = integer(filter, "filter", f"an integer from 0 to {c_out - 1}", lambda v: 0 <= v < c_out)
    i = integer(step, "step", f"an integer from 0 to {ho * wo - 1}", lambda v: 0 <= v < ho * wo)
    r, col = divmod(i, wo)
    s, k, p = layer.stride, layer.kernel, layer.padding
    r0, c0, r1, c1 = r * s, col * s, r * s + k, col * s + k
    per_in, groups = x.shape[0] // layer.groups, layer.groups
    group = o // (c_out // groups)
    chans = range(group * per_in, (group + 1) * per_in)  # the input channels o sees
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    out = conv2d(x, w, stride=s, padding=p, groups=groups)[o, r, col]
    lines, totals, exact, places = [], [], True, 1
    for g, ch in enumerate(chans):
        vals, wts = xp[ch, r0:r1, c0:c1], w[o, g]
        partial = float(np.sum(vals * wts))
        terms, rel, total = dot_terms(vals, wts, result=partial)
        if len(terms) > MAX_CHANNELS_CAPTION_TERMS:
            keep = MAX_CHANNELS_CAPTION_TERMS - 1
            terms = [*terms[: keep - keep // 2], "…", *terms[len(terms) - keep // 2:]]
        lines.append(f"channel {ch}: {' + '.join(terms)} {rel} {total}")
        totals.append(total)
        exact = exact and rel == "="
        places = max(places, len(total.split(".")[1]) if "." in total else 0)
    if exact:
        result = round_text(sum(map(Fraction, totals), Fraction(0)), places, 1)
        rel = "="
    else:
        result, rel = fmt(out, min_places=1), "≈"
    sums = " + ".join([totals[0], *map(factor_text, totals[1:])])
    in_group = "" if groups == 1 else f" (group {group} of {groups})"
    head = (f"**Filter {o}**{in_group} reads input channel{'s' if per_in > 1 else ''} "
            f"{_span(list(chans))}, rows {r0}–{r1 - 1} and columns "
            f"{c0}–{c1 - 1} of the padded input, for output cell ({r}, {col}):")
    last = (f"out[{o}, {r}, {col}] {rel} {sums} {rel} {result}" if per_in > 1
            else f"out[{o}, {r}, {col}] {rel} {result}")
    mults = f"{per_in}·{k}·{k} = {per_in * k * k} multiply-adds"
    return "\n".join([head, *(f"- {line}" for line in lines), f"- {last}: {mults}"])


def export_name(spec: ConvSpec, ext: str, *, step: int | None = None) -> str:
    """A file name that states the parameters, e.g. ``conv_i5x5_k3x3_s2_p1_d1.gif``.

    Parameters
    ----------
    spec : the case
    ext : the file extension, letters and digits after an optional dot (``"gif"``, ``".png"``)
    step : None for the whole animation, else the step as users count it, from 1 to
        ``spec.steps`` (the slider's "Step 1" is ``step=1`` and names ``..._step1.png``)

    Built only from the spec's numbers, never from user text.
    """
    require(spec, ConvSpec, "spec")
    if not isinstance(ext, str) or not re.fullmatch(r"\.?[A-Za-z0-9]{1,10}", ext):
        raise ParameterError("ext", f"ext must be a file extension such as 'gif', got {ext!r}")
    if step is not None and (isinstance(step, bool) or not isinstance(step, Integral)
                             or not 1 <= step <= spec.steps):
        raise ParameterError("step", f"step must be None or an integer from 1 to {spec.steps} "
                             f"(steps count from 1), got {step!r}")

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


# -- PyTorch ----------------------------------------------------------------------------------


def _hw(v: tuple[int, int]) -> str:
    """A PyTorch size argument: one int when both axes agree, else an (h, w) tuple."""
    return str(v[0]) if v[0] == v[1] else f"({v[0]}, {v[1]})"


def _torch_pads(spec: ConvSpec) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) padding by PyTorch's rules, not the engine's: modes are
    PyTorch's ("same" pads ``(k_eff - 1) // 2`` before and the rest after, as its
    ``_convolution_same`` does), so that :func:`pytorch_shapes` can check the engine."""
    if not isinstance(spec.padding, str):
        (ph, pw) = spec.padding
        return (ph, ph, pw, pw)
    total = [effective_kernel(k, d) - 1
             for k, d in zip(spec.kernel_size, spec.dilation, strict=True)]
    if spec.padding == "valid":
        return (0, 0, 0, 0)
    if spec.padding == "full":
        return (total[0], total[0], total[1], total[1])
    before = [t // 2 for t in total]
    return (before[0], total[0] - before[0], before[1], total[1] - before[1])


def _torch_plan(spec: ConvSpec) -> tuple[str, list[str]]:
    """(the PyTorch module's constructor, comment lines saying each choice made)."""
    k, s, d = spec.kernel_size, spec.stride, spec.dilation
    t, b, left, right = _torch_pads(spec)
    notes = []
    if spec.padding == "valid":
        notes.append('# padding="valid" is no padding: padding=0')
    elif spec.padding == "full":
        keff = _hw(tuple(effective_kernel(kk, dd) for kk, dd in zip(k, d, strict=True)))
        notes.append(f'# padding="full" is k_eff - 1 on each side (k_eff = {keff}): '
                     f"padding={_hw((t, left))}")
    args = [f"kernel_size={_hw(k)}", f"stride={_hw(s)}"]
    pad_layer = None
    if (t, left) == (b, right):
        args.append(f"padding={_hw((t, left))}")
        if spec.padding == "same":
            notes.append(f'# padding="same" at stride 1 is {_hw((t, left))} on each side, '
                         "written as a number")
    elif spec.op == "conv":
        # An even k_eff pads one more at the bottom/right. PyTorch's own "same" does exactly
        # that, and exists only for stride 1, which "same" requires here too.
        args.append('padding="same"')
        notes.append(f'# padding="same" pads {t} above, {b} below, {left} left, {right} '
                     "right (the extra at the bottom/right, as PyTorch does)")
    else:
        # Pooling layers pad both sides of an axis alike: pad first, then pool unpadded.
        fill = 'float("-inf")' if spec.op == "max" else "0.0"
        pad_layer = f"torch.nn.ConstantPad2d(({left}, {right}, {t}, {b}), {fill})"
        args.append("padding=0")
        notes.append(f'# padding="same" pads {t} above, {b} below, {left} left, {right} '
                     "right: pooling layers pad both sides alike, so a padding layer goes first")
    if spec.op != "avg" and d != (1, 1):
        args.append(f"dilation={_hw(d)}")
    if spec.op == "conv":
        if spec.transposed and spec.output_padding != (0, 0):
            args.append(f"output_padding={_hw(spec.output_padding)}")
        args.append("bias=False")
        notes.append("# bias=False: the animation adds no bias")
        name = "ConvTranspose2d" if spec.transposed else "Conv2d"
        expr = f"torch.nn.{name}(1, 1, {', '.join(args)})"
    else:
        name = "MaxPool2d" if spec.op == "max" else "AvgPool2d"
        expr = f"torch.nn.{name}({', '.join(args)})"
        if spec.op == "avg" and pad_layer is None and max(t, left) > 0:
            notes.append("# AvgPool2d counts the padding zeros (count_include_pad=True, "
                         "its default), as the animation does")
    if pad_layer is not None:
        expr = f"torch.nn.Sequential({pad_layer}, {expr})"
    return expr, notes


def pytorch_shapes(spec: ConvSpec) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(input, output) shapes (N, C, H, W) of :func:`pytorch_code`'s layer, by PyTorch's own
    size formulas applied to the arguments written there.

    Conv2d and MaxPool2d: ``floor((i + p_top + p_bottom - d (k - 1) - 1) / s) + 1``;
    AvgPool2d the same with ``d = 1``; ConvTranspose2d:
    ``(i - 1) s - 2p + d (k - 1) + output_padding + 1``.
    """
    require(spec, ConvSpec, "spec")
    t, b, left, right = _torch_pads(spec)
    out = []
    for i, k, s, d, before, after, a in zip(
        spec.input_size, spec.kernel_size, spec.stride, spec.dilation, (t, left), (b, right),
        spec.output_padding, strict=True,
    ):
        if spec.transposed:
            out.append((i - 1) * s - 2 * before + d * (k - 1) + a + 1)
        else:
            out.append((i + before + after - d * (k - 1) - 1) // s + 1)
    return (1, 1, *spec.input_size), (1, 1, *out)


def pytorch_code(spec: ConvSpec) -> str:
    """The PyTorch layer that computes ``spec``, with its shapes, as copyable lines.

    ``torch.nn.Conv2d``, ``ConvTranspose2d``, ``MaxPool2d`` or ``AvgPool2d`` on one channel
    (``bias=False``: the animation adds none), then a comment with the input and output
    shapes PyTorch gives, e.g.::

        torch.nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)
        # input (1, 1, 5, 5) → output (1, 1, 3, 3)

    Padding modes become numbers: "valid" is 0, "full" is ``k_eff - 1``, "same" (stride 1
    only) is ``(k_eff - 1) / 2``. An even ``k_eff`` pads one more at the bottom/right: a
    convolution then says ``padding="same"`` (PyTorch pads the same way, and only at stride
    1); pooling layers, which cannot pad unevenly, get a ``ConstantPad2d`` first (``-inf``
    for max pooling, 0 for average pooling). Comment lines say each choice.
    """
    require(spec, ConvSpec, "spec")
    expr, notes = _torch_plan(spec)
    shape_in, shape_out = pytorch_shapes(spec)
    return "\n".join([expr, f"# input {shape_in} → output {shape_out}", *notes])


# Counts and their ratios: one format for every page.
_PREFIXES = ("", "k", "M", "G", "T", "P", "E")


def si(n: float, digits: int = 1) -> str:
    """A count with a decimal (SI) prefix: ``"120.4 M"``, ``"1.6 G"``, ``"2.1 T"``.

    Below 1000 the number itself (``"950"``; a float with ``digits`` decimals); above, the
    largest prefix of k, M, G, T, P, E (powers of 1000) that leaves less than 1000 after
    rounding, so 999,960 is ``"1.0 M"``, never ``"1000.0 k"``.

    Parameters
    ----------
    n : int or float, finite
        Negative numbers keep their sign.
    digits : int, 0..6
        Decimals after the point.
    """
    x = real(n, "n")
    d = integer(digits, "digits")
    if not 0 <= d <= 6:
        raise ParameterError("digits", f"digits must be from 0 to 6, got {d}")
    sign, x = ("-" if x < 0 else ""), abs(x)
    if round(x, d) < 1000:
        if float(n).is_integer():
            return f"{sign}{int(x)}"
        return f"{sign}{x:.{d}f}"
    for i, prefix in enumerate(_PREFIXES[1:], start=1):
        v = x / 1000**i
        if round(v, d) < 1000 or prefix == _PREFIXES[-1]:
            return f"{sign}{v:,.{d}f} {prefix}"
    raise AssertionError("unreachable")  # pragma: no cover


def ratio_phrase(a: float, b: float) -> str:
    """How ``a`` compares with ``b``: ``"4.0x fewer"``, ``"1.25x more"``, ``"the same"``.

    The ratio is always >= 1 (``b / a`` "fewer", ``a / b`` "more"), with two decimals below
    2x, one below 100x, none above; a ratio that rounds to 1.00 is ``"about the same"``.

    Parameters
    ----------
    a, b : int or float, > 0
    """
    x, y = real(a, "a"), real(b, "b")
    for v, name in ((x, "a"), (y, "b")):
        if v <= 0:
            raise ParameterError(name, f"{name} must be > 0, got {v!r}")
    if x == y:
        return "the same"
    r, word = (y / x, "fewer") if x < y else (x / y, "more")
    text = f"{r:.2f}" if r < 2 else f"{r:.1f}" if r < 100 else f"{r:,.0f}"
    return "about the same" if text == "1.00" else f"{text}x {word}"


__all__ = [
    "MAX_PLACES",
    "channels_caption",
    "depth_caption",
    "dot_terms",
    "export_name",
    "factor_text",
    "fmt",
    "printed_decimals",
    "ratio_phrase",
    "pytorch_code",
    "pytorch_shapes",
    "round_text",
    "si",
    "step_caption",
]
