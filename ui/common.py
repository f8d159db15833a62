"""Small pieces every page uses: a guard that turns surprises into messages, page links."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

log = logging.getLogger(__name__)

# (file, title, icon) of every page, in navigation order; app.py and the home page read it.
PAGES = [
    ("app_pages/home.py", "Home", ":material/home:"),
    ("app_pages/arithmetic.py", "Convolution arithmetic", ":material/animation:"),
    ("app_pages/depth.py", "1x1 through depth", ":material/layers:"),
    ("app_pages/your_image.py", "Your image", ":material/image:"),
    ("app_pages/network_in_network.py", "Network in Network", ":material/hub:"),
    ("app_pages/inception.py", "Inception bottlenecks", ":material/calculate:"),
]


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Show a ValueError's message, and any other error as a short apology, never a traceback.

    Streamlit's own control-flow exceptions (rerun, stop) are not ``Exception``s and pass.
    """
    try:
        yield
    except ValueError as e:
        st.error(f"{what}: {e}", icon="⚠️")
    except Exception:  # the page must keep working for the next interaction
        log.exception("unexpected error while %s", what)
        st.error(f"Something went wrong while {what}. Try other settings.", icon="⚠️")


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
