"""Settings in the URL: a copied link opens the same case.

Streamlit's own ``bind="query-params"`` writes display labels into the URL, misses values
written through session state (a button that edits the case), silently drops a value it
cannot use, and crashes on some (``?ih=inf``). So the app keeps the URL itself:

- ``begin()`` (app.py, before the page) notices when the URL was not written by the app (a
  link opened, a hand edit): the page's controls are then *seeded* from it, each value
  checked against its control's range or options; a value that cannot be used leaves a note.
- Each control is created through one of the wrappers below, which seeds, clamps and
  registers it under a short stable slug (``preset=dilation``, ``op=max``, ``ih=7``).
- ``finish()`` (app.py, after the page, also after ``st.stop()``) writes every registered
  value that differs from its default into the URL and shows the notes; a part of a page
  wrapped in :func:`fragment` does the same when it reruns alone.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import streamlit as st

_RUN = "_links_run"  # key -> (default, slug) of the controls registered in this run
_SEED = "_links_seed"  # the URL to seed from in this run, or None
_LAST = "_links_last"  # what finish() last wrote, to tell our URL from a link
_NOTES = "_links_notes"
_FULL = "_links_full"  # True while a whole page runs (False: only a fragment reruns)
MAX_LEN = 4096  # longest value read from a link (a 32x32 grid of numbers fits)
_INT = re.compile(r"[+-]?\d{1,9}")


def begin() -> None:
    """Start a run: seed from the URL if it is not the one the app wrote last."""
    ss = st.session_state
    url = st.query_params.to_dict()
    ss[_SEED] = url if url != ss.get(_LAST) else None
    ss[_FULL] = True
    ss[_RUN] = {}
    ss[_NOTES] = []


def seeding() -> bool:
    """True while this run takes its settings from a link."""
    return st.session_state.get(_SEED) is not None


def raw(slug: str) -> str | None:
    """The link's text for ``slug`` while seeding (None otherwise or if absent)."""
    seed = st.session_state.get(_SEED)
    return None if seed is None else seed.get(slug)


def note(text: str) -> None:
    """A message shown at the top of the page about a link value that was not used as is."""
    st.session_state[_NOTES].append(text)


def register(key: str, default: Any, slug: str | None = None) -> None:
    """Keep session-state ``key`` in the URL as ``slug`` (default: the key) unless at default."""
    st.session_state[_RUN][key] = (default, slug or key)


def _publish() -> None:
    """Write every registered setting that differs from its default into the URL."""
    ss = st.session_state
    params = {}
    for key, (default, slug) in ss[_RUN].items():
        value = ss.get(key, default)
        if value != default:
            params[slug] = encode(value)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    ss[_LAST] = params


def finish(notes_container: Any) -> None:
    """Write the registered settings into the URL and show the notes of this run."""
    ss = st.session_state
    if _RUN not in ss:
        return
    _publish()
    ss[_SEED] = None  # a fragment's rerun that follows takes nothing from the link
    ss[_FULL] = False
    for text in ss[_NOTES]:
        notes_container.warning(text, icon=":material/link_off:")


def fragment(fn: Callable[..., None]) -> Callable[..., None]:
    """``st.fragment`` for a part of a page with its own controls: changing one reruns only
    that part, and the URL still follows (a fragment's rerun skips app.py's ``finish``)."""

    @st.fragment
    @functools.wraps(fn)
    def part(*args: Any, **kwargs: Any) -> None:
        fn(*args, **kwargs)
        if not st.session_state.get(_FULL, True):
            _publish()

    return part


def encode(value: Any) -> str:
    """A setting as URL text: booleans as 1/0, numbers without a trailing '.0'."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _seed(key: str, default: Any, slug: str, parse: Callable[[str], Any]) -> None:
    """Put the link's value (or the default, when the link has none) into session state."""
    ss = st.session_state
    if seeding():
        text = raw(slug)
        value = default
        if text is not None and len(text) > MAX_LEN:
            note(f"The link's {slug} value is too long ({len(text):,} characters) and was "
                 f"not used. Showing {encode(default)} instead.")
        elif text is not None:
            try:
                value = parse(text)
            except ValueError as e:
                note(f"The link's {slug}={_shown(text)} was not used: {e}. "
                     f"Showing {encode(default)} instead.")
        ss[key] = value
    elif key not in ss:
        ss[key] = default
    register(key, default, slug)


def _shown(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "…"


def parse_int(text: str, lo: int, hi: int, slug: str) -> int:
    """An integer from a link, clamped to lo..hi with a note; ValueError if not an integer."""
    if not _INT.fullmatch(text.strip()):
        raise ValueError("not a whole number")
    v = int(text)
    if not lo <= v <= hi:
        c = min(max(v, lo), hi)
        note(f"The link's {slug}={v} is outside {lo}–{hi}: showing {c}.")
        return c
    return v


def _clamp(key: str, lo: int, hi: int) -> None:
    """Keep a kept value inside a range that other controls just changed."""
    v = st.session_state.get(key)
    if isinstance(v, int | float) and not lo <= v <= hi:
        st.session_state[key] = min(max(v, lo), hi)


def number(where: Any, label: str, lo: int, hi: int, default: int, key: str, *,
           slug: str | None = None, **kw: Any) -> int:
    """An integer ``st.number_input`` kept in the URL."""
    slug = slug or key
    _seed(key, default, slug, lambda t: parse_int(t, lo, hi, slug))
    _clamp(key, lo, hi)
    return int(where.number_input(label, lo, hi, key=key, step=1, **kw))


def slider(where: Any, label: str, lo: int, hi: int, default: int, key: str, *,
           slug: str | None = None, **kw: Any) -> int:
    """An integer ``st.slider`` kept in the URL (no slider when lo == hi)."""
    slug = slug or key
    default = min(max(default, lo), hi)
    _seed(key, default, slug, lambda t: parse_int(t, lo, hi, slug))
    _clamp(key, lo, hi)
    if lo == hi:  # Streamlit refuses a slider with one value
        return lo
    return int(where.slider(label, lo, hi, key=key, **kw))


def choice(widget: Callable[..., Any], label: str, options: Sequence[Any], default: Any,
           key: str, *, slug: str | None = None, **kw: Any) -> Any:
    """A selectbox, select_slider or segmented_control over ``options``, kept in the URL by
    each option's text (so options are short slugs; ``format_func`` gives their labels)."""
    options = list(options)
    slug = slug or key
    by_text = {encode(o): o for o in options}
    fmt = kw.get("format_func")
    if fmt is not None:  # older links carried the labels: still understood
        by_text.update({str(fmt(o)): o for o in options if str(fmt(o)) not in by_text})

    def parse(text: str) -> Any:
        if text not in by_text:
            raise ValueError("not one of " + ", ".join(map(encode, options[:12])))
        return by_text[text]

    _seed(key, default, slug, parse)
    if st.session_state[key] not in options:  # the options changed under a kept value
        st.session_state[key] = default
    return widget(label, options, key=key, **kw)


def flag(widget: Callable[..., Any], label: str, default: bool, key: str, *,
         slug: str | None = None, **kw: Any) -> bool:
    """A toggle or checkbox kept in the URL as 1/0."""
    slug = slug or key

    def parse(text: str) -> bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("not 1 or 0")

    _seed(key, default, slug, parse)
    return bool(widget(label, key=key, **kw))


def finite(text: str) -> float:
    """A finite float from a link (ValueError otherwise)."""
    if len(text) > 32:
        raise ValueError("too long")
    try:
        v = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(v):
        raise ValueError("not a finite number")
    return v


def _grid_text(a: np.ndarray) -> str:
    """A grid as compact URL text: rows split by ';', values by ','."""
    return ";".join(",".join(f"{v:.12g}" for v in row) for row in np.asarray(a, dtype=float))


def _parse_grid(text: str, shape: tuple[int, int]) -> np.ndarray:
    rows = [r.split(",") for r in text.split(";")]
    if len(rows) != shape[0] or any(len(r) != shape[1] for r in rows):
        raise ValueError(f"not a {shape[0]} x {shape[1]} grid of numbers")
    a = np.array([[finite(v) for v in r] for r in rows])
    if np.abs(a).max() > 1e6:
        raise ValueError("numbers must lie within ±1,000,000")
    return a


def grid(slug: str, shape: tuple[int, int], case: object) -> np.ndarray | None:
    """The numbers a link carried as ``slug`` for ``case`` (None if it carried none).

    Read while seeding, then kept for the session, but only for the same case: numbers
    edited on one case never leak into another.
    """
    store = st.session_state.setdefault("_links_grids", {})
    if seeding():
        store.pop(slug, None)
        text = raw(slug)
        if text is not None and len(text) > MAX_LEN:
            note(f"The link's {slug} numbers are too long and were not used.")
        elif text is not None:
            try:
                store[slug] = (case, _parse_grid(text, shape))
            except ValueError as e:
                note(f"The link's {slug} numbers were not used: {e}.")
    got = store.get(slug)
    return got[1] if got is not None and got[0] == case else None


def forget_grid(slug: str) -> None:
    """Drop the numbers a link carried (back to the case's own numbers)."""
    st.session_state.setdefault("_links_grids", {}).pop(slug, None)


def keep_grid(slug: str, a: np.ndarray, default: np.ndarray) -> None:
    """Put ``a`` into the URL as ``slug`` when it differs from ``default``."""
    key = f"_links_grid_{slug}"
    st.session_state[key] = "" if np.array_equal(a, default) else _grid_text(a)
    register(key, "", slug)
