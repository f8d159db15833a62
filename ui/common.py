"""Small pieces every page uses: a guard that turns bad input into a message, page links."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

# (file, title, icon) of every page, in navigation order; app.py and the home page read it.
PAGES = [
    ("app_pages/home.py", "Home", ":material/home:"),
    ("app_pages/arithmetic.py", "Convolution arithmetic", ":material/animation:"),
    ("app_pages/depth.py", "1x1 through depth", ":material/layers:"),
    ("app_pages/your_image.py", "Your image", ":material/image:"),
    ("app_pages/network_in_network.py", "Network in Network", ":material/hub:"),
    ("app_pages/inception.py", "Inception bottlenecks", ":material/calculate:"),
    ("app_pages/channels.py", "Channels, groups and depthwise", ":material/view_in_ar:"),
]


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Show the message of a ValueError (the engine's word for bad *input*) and carry on.

    Anything else is a programming or Streamlit error: it propagates, so tests see it, and the
    browser shows only a generic message (``client.showErrorDetails = "none"``).
    """
    try:
        yield
    except ValueError as e:
        st.error(f"{what}: {e}", icon="⚠️")


def index_slider(label: str, n: int, key: str, *, start: int = 0, one_based: bool = False,
                 help: str | None = None) -> int:
    """A slider over 0..n-1 (shown 1..n when ``one_based``); no slider when there is one choice.

    Streamlit refuses a slider whose minimum equals its maximum, which a one-pixel image or a
    one-step animation would ask for.
    """
    if n <= 1:
        return 0
    lo = 1 if one_based else 0
    return st.slider(label, lo, n - 1 + lo, min(start, n - 1) + lo, key=key, help=help) - lo


def show_png(data: bytes, *, alt: str, where=st) -> None:
    """PNG bytes shown as they are. (st.image's "auto" format re-encodes a PNG without alpha
    as JPEG on every run: CPU on each rerun, and blurred edges on crisp grids.)"""
    where.image(data, output_format="PNG", alt=alt)


def small(text: str, where=st) -> None:
    """A figure's caption or a side note as small body text. (``st.caption`` fades the text
    colour to 60 %: 3.9:1 on white, below the 4.5:1 that small text needs.)"""
    where.markdown(f":small[{text}]")
