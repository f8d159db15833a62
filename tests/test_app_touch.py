"""Touch every control twice: a rerun hits caches that a first run never does.

Each page is opened in a few starting states, rerun, then every control on it is changed
once (then the page is rerun again) and every button clicked; the page must stay free of
exceptions and error messages throughout. Controls that appear after a change are touched
too, so a switch to "Custom" or to "Learned by SGD" reaches the controls behind it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.state.common import TESTING_KEY
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("fresh_caches")

STARTS = [
    ("app_pages/home.py", {}),
    ("app_pages/arithmetic.py", {}),
    ("app_pages/arithmetic.py", {"mode": "custom", "numerical": "1", "op": "max"}),
    ("app_pages/arithmetic.py", {"mode": "custom", "transposed": "1", "stride": "2"}),
    ("app_pages/arithmetic.py", {"preset": "numerical_padding_strides"}),
    ("app_pages/depth.py", {}),
    ("app_pages/depth.py", {"dnum": "1"}),
    ("app_pages/your_image.py", {}),
    ("app_pages/your_image.py", {"method": "learned", "steps": "100"}),
    ("app_pages/your_image.py", {"method": "hand", "spatial": "pool"}),
    ("app_pages/network_in_network.py", {}),
    ("app_pages/inception.py", {}),
    ("app_pages/inception.py", {"module": "custom"}),
    ("app_pages/channels.py", {}),
]

# Controls whose shown options are labels, not values: a value to change them to.
OTHER_VALUE = {"speed": 500, "mode": "custom"}
KINDS = ("number_input", "slider", "select_slider", "selectbox", "toggle", "checkbox",
         "segmented_control")


def _clean(at: AppTest, what: str) -> None:
    assert not at.exception, (what, [e.value for e in at.exception])
    assert not at.error, (what, [e.value for e in at.error])


def _widgets(at: AppTest) -> dict[str, object]:
    return {w.key: w for kind in KINDS for w in getattr(at, kind) if w.key}


def _change(w) -> None:
    """Set ``w`` to another value a user could choose (a disabled control: none)."""
    if w.proto.disabled:
        return
    if w.key in OTHER_VALUE:
        w.set_value(OTHER_VALUE[w.key])
    elif w.type in ("number_input", "slider"):
        lo = w.min if w.min is not None else w.value - 1
        hi = w.max if w.max is not None else w.value + 1
        w.set_value(w.value + 1 if w.value + 1 <= hi else max(lo, w.value - 1))
    elif w.type == "selectbox":
        # As the browser does: send the shown label of another option (AppTest would format
        # the label again with the page's format_func, so format it as itself).
        i = (w.index + 1) % len(w.options)
        fmt, labels = w.format_func, set(w.options)
        w.root.session_state[TESTING_KEY][w.id] = lambda v: v if v in labels else fmt(v)
        w.select_index(i)
    elif w.type == "select_slider":
        # As for a selectbox: the next shown label, sent as the browser sends it.
        fmt, labels = w.format_func, list(w.options)
        i = (labels.index(str(fmt(w.value))) + 1) % len(labels)
        w.root.session_state[TESTING_KEY][w.id] = lambda v: v if v in labels else fmt(v)
        w.set_value(labels[i])
    elif w.type == "button_group":
        raise AssertionError(f"add {w.key!r} to OTHER_VALUE")
    else:  # toggle, checkbox
        w.set_value(not w.value)


@pytest.mark.parametrize(("page", "query"), STARTS, ids=lambda v: str(v))
def test_touch_every_control(page, query):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    _clean(at, "first run")
    at.run()
    _clean(at, "rerun")
    touched: set[str] = set()
    while True:
        todo = [k for k in _widgets(at) if k not in touched]
        if not todo:
            break
        key = todo[0]
        touched.add(key)
        _change(_widgets(at)[key])
        at.run()
        _clean(at, f"after changing {key}")
        at.run()
        _clean(at, f"rerun after changing {key}")
    clicked = 0
    for i in range(len(at.button)):
        if i < len(at.button):
            at.button[i].click().run()
            clicked += 1
            _clean(at, f"after clicking {at.button[i].label if i < len(at.button) else i}")
    assert touched or page.endswith("home.py"), "no control was touched"
