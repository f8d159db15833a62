"""The engine's argument checks, and the one exception they raise.

Every public function of the engine refuses a bad argument with a :class:`ParameterError`, a
``ValueError`` whose message names the parameter and the rule it breaks ("stride must be >= 1,
got 0") and whose ``name`` says which parameter it is, so that callers (the command line, the
app) can point at the culprit without reading the message.

The checks below are the shared ones; a rule that only one function has is raised where it
is, as ``ParameterError(name, message)``. The module's functions are for the engine's own
modules; only :class:`ParameterError` is part of the package's API.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Integral, Real

import numpy as np

Pair = tuple[int, int]


class ParameterError(ValueError):
    """A bad argument: ``str(err)`` names it and the rule it breaks; ``err.name`` is its name.

    ``name`` is the parameter as the message names it: an entry of a sequence keeps its
    index (``"weights[1]"``), and a check on a whole case names that case (``"spec"``).
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name

    def __reduce__(self):
        # Rebuilt from (name, message), not from args alone: errors raised in worker
        # processes (the gallery's) are pickled back to the caller.
        return (type(self), (self.name, str(self)))


def require(value: object, cls: type, name: str) -> None:
    """Refuse ``value`` unless it is a ``cls``: the one type check of the engine's objects.

    Parameters
    ----------
    value : object
    cls : type
    name : str
        The parameter's name, for the message.

    Raises
    ------
    ParameterError
        ``"spec must be a ConvSpec, got str"``, rather than an AttributeError from deep inside.
    """
    if not isinstance(value, cls):
        a = "an" if cls.__name__[0] in "AEIOU" else "a"
        raise ParameterError(name, f"{name} must be {a} {cls.__name__}, got {type(value).__name__}")


def is_integer(v: object) -> bool:
    """Whether ``v`` is an integer (Python's or NumPy's), bools excepted: True is no count.

    Parameters
    ----------
    v : object

    Returns
    -------
    bool
    """
    return isinstance(v, Integral) and not isinstance(v, bool)


def integer(v: object, name: str, rule: str = "an integer",
            ok: Callable[[int], bool] | None = None) -> int:
    """An integer (not a bool), as an int, or ParameterError ``"{name} must be {rule}, got v"``.

    Parameters
    ----------
    v : object
    name : str
    rule : str
        What the message says ``v`` must be: ``"an integer"``, or, when ``ok`` narrows it,
        the whole rule (``"an integer from 1 to 8"``).
    ok : callable(int) -> bool, optional
        Further condition on the value.

    Returns
    -------
    int
    """
    if not is_integer(v) or (ok is not None and not ok(int(v))):
        raise ParameterError(name, f"{name} must be {rule}, got {v!r}")
    return int(v)


def at_least(v: object, lo: int, name: str) -> int:
    """An integer >= ``lo``: ``"{name} must be an integer, got v"`` or ``"... >= lo, got n"``.

    Parameters
    ----------
    v : object
    lo : int
    name : str

    Returns
    -------
    int
    """
    n = integer(v, name)
    if n < lo:
        raise ParameterError(name, f"{name} must be >= {lo}, got {n}")
    return n


def between(v: object, lo: int, hi: int, name: str) -> int:
    """An integer in ``[lo, hi]``: ``"{name} must be between lo and hi, got n"`` otherwise.

    Parameters
    ----------
    v : object
    lo, hi : int
        Both allowed.
    name : str

    Returns
    -------
    int
    """
    n = integer(v, name)
    if not lo <= n <= hi:
        raise ParameterError(name, f"{name} must be between {lo} and {hi}, got {n}")
    return n


def pair(v: int | Sequence[int], name: str, lo: int | None = None) -> Pair:
    """An int or an (h, w) pair of ints, as an (h, w) tuple; each at least ``lo`` if given.

    Parameters
    ----------
    v : int or (h, w) tuple or list
    name : str
    lo : int, optional
        Smallest value allowed on each axis.

    Returns
    -------
    (h, w) tuple of int
    """
    if isinstance(v, tuple | list):
        if len(v) != 2:
            raise ParameterError(name, f"{name} must be an int or an (h, w) pair, got {v!r}")
        p = (integer(v[0], name), integer(v[1], name))
    else:
        n = integer(v, name)
        p = (n, n)
    if lo is not None:
        for n in p:
            if n < lo:
                raise ParameterError(name, f"{name} must be >= {lo}, got {n}")
    return p


def map_shape(shape: object, name: str) -> tuple[int, int, int]:
    """A ``(C, H, W)`` triple (tuple or list) of integers >= 1, as a tuple.

    Parameters
    ----------
    shape : object
    name : str

    Returns
    -------
    (C, H, W) tuple of int
    """
    if isinstance(shape, str | bytes) or not isinstance(shape, tuple | list) or len(shape) != 3:
        raise ParameterError(name, f"{name} must be a (C, H, W) triple, got {shape!r}")
    out = tuple(integer(v, name) for v in shape)
    if min(out) < 1:
        raise ParameterError(name, f"{name} must have every entry >= 1, got {out}")
    return out  # type: ignore[return-value]


def flag(v: object, name: str) -> bool:
    """A bool (Python's or NumPy's), as a bool; 1, 0 and "no" are refused: they read like
    counts or words, not switches.

    Parameters
    ----------
    v : object
    name : str

    Returns
    -------
    bool
    """
    if not isinstance(v, bool | np.bool_):
        raise ParameterError(name, f"{name} must be True or False, got {v!r}")
    return bool(v)


def real(v: object, name: str, rule: str = "a finite number",
         ok: Callable[[float], bool] | None = None) -> float:
    """A finite real number (not a bool), as a float, or ParameterError
    ``"{name} must be {rule}, got v"``.

    Parameters
    ----------
    v : object
    name : str
    rule : str
        What the message says ``v`` must be; the whole rule when ``ok`` narrows it
        (``"a finite number > 0"``).
    ok : callable(float) -> bool, optional
        Further condition on the value.

    Returns
    -------
    float
    """
    x = math.nan
    if not isinstance(v, bool) and isinstance(v, Real):
        try:
            x = float(v)
        except OverflowError:  # an int past 1e308: no finite float
            pass
    if not math.isfinite(x) or (ok is not None and not ok(x)):
        raise ParameterError(name, f"{name} must be {rule}, got {v!r}")
    return x


def one_of(v: object, choices: tuple, name: str) -> object:
    """``v`` if it is one of ``choices``, or ``"{name} must be one of (...), got v"``.

    Parameters
    ----------
    v : object
    choices : tuple
    name : str

    Returns
    -------
    object
        ``v`` itself.
    """
    if v not in choices:
        raise ParameterError(name, f"{name} must be one of {choices}, got {v!r}")
    return v


def numeric(x: object, name: str) -> np.ndarray:
    """``x`` as an array of booleans, integers or floats, or ParameterError naming its dtype.

    Parameters
    ----------
    x : array_like
    name : str

    Returns
    -------
    numpy.ndarray
        ``np.asarray(x)``, not copied.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise ParameterError(name, f"{name} must be numeric, got dtype {a.dtype}")
    return a


def array(x: object, name: str, ndim: int) -> np.ndarray:
    """A non-empty numeric array with ``ndim`` dimensions (see :func:`numeric`).

    Parameters
    ----------
    x : array_like
    name : str
    ndim : int

    Returns
    -------
    numpy.ndarray
        ``np.asarray(x)``, not copied.
    """
    a = numeric(x, name)
    if a.ndim != ndim:
        raise ParameterError(name, f"{name} must have {ndim} dimensions, got shape {a.shape}")
    if a.size == 0:
        raise ParameterError(name, f"{name} must not be empty, got shape {a.shape}")
    return a


def bias_vector(bias: object, n: int) -> np.ndarray | None:
    """None, or a numeric (n,) array of one bias per output channel, named ``bias``.

    Parameters
    ----------
    bias : array_like or None
    n : int
        Output channels.

    Returns
    -------
    (n,) numpy.ndarray or None
        Not cast: callers cast it to their computation's dtype.
    """
    if bias is None:
        return None
    b = array(bias, "bias", 1)
    if b.shape[0] != n:
        raise ParameterError(
            "bias", f"bias must have {n} entries (one per output channel), got {b.shape[0]}"
        )
    return b


def pointwise_arrays(
    x: object, w: object, b: object,
    sizes: Callable[[int, int, int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The arrays of one 1x1 convolution ``w @ x[:, i, j] + b``, checked: numeric, finite,
    ``x`` (C_in, H, W) and ``w`` (C_out, C_in) none empty, ``b`` (C_out,) or None.

    Parameters
    ----------
    x, w, b : array_like (``b`` may be None)
    sizes : callable(C_in, C_out, H, W), optional
        Further limits on the sizes (a drawing's), checked as soon as the shapes are known,
        before ``w`` is matched against ``x``.

    Returns
    -------
    (x, w, b)
        As arrays (``np.asarray``, not copied); ``b`` None when it was.
    """
    arrays = []
    for name, a, ndim, shape in (("x", x, 3, "(C_in, H, W)"), ("w", w, 2, "(C_out, C_in)")):
        a = numeric(a, name)
        if a.ndim != ndim or a.size == 0:
            raise ParameterError(
                name, f"{name} must have shape {shape} (none empty), got shape {a.shape}"
            )
        arrays.append(a)
    x, w = arrays
    c_in, h, wd = x.shape
    if sizes is not None:
        sizes(c_in, w.shape[0], h, wd)
    if w.shape[1] != c_in:
        raise ParameterError(
            "w", f"w must have shape (C_out, C_in) = ({w.shape[0]}, {c_in}) to match the {c_in} "
            f"channels of x, got w.shape[1] = {w.shape[1]}"
        )
    if b is not None:
        b = np.asarray(b)
        if b.dtype.kind not in "biuf" or b.shape != (w.shape[0],):
            raise ParameterError("b", f"b must be a numeric array of shape (C_out,) = "
                                      f"({w.shape[0]},), got shape {b.shape} and dtype {b.dtype}")
    for name, a in (("x", x), ("w", w), ("b", b)):
        if a is not None and not np.isfinite(a).all():
            raise ParameterError(name, f"{name} must be finite (no NaN or infinity)")
    return x, w, b


__all__ = ["ParameterError"]
