"""Links: every setting that shapes a picture is in the URL, as a short stable slug, and a
copied link (or a hostile one) opens the same case or says what it could not use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import conv_engine as ce
from ui.common import PAGES
from ui.player import unpack_header

ROOT = Path(__file__).resolve().parent.parent
ARITH = "app_pages/arithmetic.py"

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _app(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(page)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _reopen(at: AppTest, page: str) -> AppTest:
    """The page's current URL opened in a fresh session: a copied link."""
    return _app(page, **{k: at.query_params[k] for k in at.query_params})


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _notes(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_edit_as_custom_puts_the_case_in_the_link():
    at = _app(ARITH, preset="padding_strides")
    at.button[0].click().run()
    assert at.number_input(key="stride").value == 2
    assert at.query_params["mode"] == "custom"
    assert at.query_params["stride"] == "2"
    copy = _reopen(at, ARITH)
    _clean(copy)
    assert copy.number_input(key="stride").value == 2
    assert copy.code[0].value == ce.describe(ce.ConvSpec(5, 3, 2, 1))


def test_every_custom_setting_survives_a_copied_link():
    at = _app(ARITH, mode="custom")
    for key, value in [("ih", 7), ("iw", 6), ("kh", 2), ("kw", 3), ("stride", 2), ("dil", 2),
                       ("pad", 0)]:
        at.number_input(key=key).set_value(value).run()
    at.selectbox(key="op").set_value("max").run()
    at.toggle(key="numerical").set_value(True).run()
    _clean(at)
    assert at.query_params["op"] == "max"  # a slug, not the label "Max pooling"
    copy = _reopen(at, ARITH)
    _clean(copy)
    assert copy.code[0].value == at.code[0].value
    assert copy.code[0].value == ce.describe(ce.ConvSpec((7, 6), (2, 3), 2, 0, 2, op="max",
                                                         numerical=True))


def test_presets_are_named_by_slug_and_old_label_links_still_open():
    at = _app(ARITH, preset="dilation")
    _clean(at)
    assert at.selectbox(key="preset").value == "dilation"
    assert at.query_params["preset"] == "dilation"
    old = _app(ARITH, preset="Convolution · Dilation", mode="Custom", op="Max pooling")
    _clean(old)
    assert old.selectbox(key="op").value == "max"


def test_default_settings_leave_the_url_empty():
    at = _app(ARITH)
    _clean(at)
    assert len(at.query_params) == 0


@pytest.mark.parametrize(
    ("page", "query", "note"),
    [
        (ARITH, {"mode": "custom", "ih": "inf"}, "ih=inf"),
        (ARITH, {"mode": "custom", "ih": "1e309"}, "ih=1e309"),
        (ARITH, {"mode": "custom", "ih": "9" * 100_000}, "too long"),
        (ARITH, {"mode": "custom", "iw": "99"}, "outside 1–32: showing 32"),
        (ARITH, {"mode": "custom", "op": "sum"}, "op=sum"),
        (ARITH, {"preset": "nope"}, "preset=nope"),
        (ARITH, {"speed": "-1"}, "speed=-1"),
        (ARITH, {"mode": "custom", "numerical": "maybe"}, "numerical=maybe"),
        ("app_pages/network_in_network.py", {"mlpseed": "inf"}, "mlpseed=inf"),
        ("app_pages/network_in_network.py", {"hidden": "NaN"}, "hidden=NaN"),
    ],
)
def test_hostile_link_values_leave_a_note_not_a_traceback(page, query, note):
    at = _app(page, **query)
    _clean(at)
    assert note in _notes(at)
    assert at.title  # the page itself is there


def test_hostile_values_of_unknown_parameters_are_ignored():
    for path, *_ in PAGES:
        at = _app(path, zzz="inf", ih="1e309" if path != ARITH else "3")
        assert not at.exception, (path, [e.value for e in at.exception])


def test_edited_numbers_stay_with_their_case():
    at = _app(ARITH, preset="numerical_no_padding_no_strides")
    x = np.array(ce.trace(ce.PRESETS["numerical_no_padding_no_strides"]).x, dtype=float)
    x[0, 0] = 9
    _edit(at, "Input", x)
    assert "output[0,0] = 9·0" in _markdown(at)
    assert "edited numbers" in " ".join(i.value for i in at.info).lower()
    # Another preset shows its own (the guide's) numbers: the 9 does not leak.
    at.selectbox(key="preset").set_value("numerical_max_pooling").run()
    _clean(at)
    assert "max(3, 3, 2" in _markdown(at)
    assert "9" not in _markdown(at).split("=")[1]


def test_edited_numbers_travel_in_the_link_and_reset():
    at = _app(ARITH, preset="numerical_no_padding_no_strides")
    x = np.array(ce.trace(ce.PRESETS["numerical_no_padding_no_strides"]).x, dtype=float)
    x[0, 0] = 0.25
    _edit(at, "Input", x)
    assert at.query_params["x"].startswith("0.25,3,2,1,0;")
    copy = _reopen(at, ARITH)
    _clean(copy)
    assert "0.25·0" in _markdown(copy)
    reset = next(b for b in copy.button if "Reset" in b.label)
    reset.click().run()
    _clean(copy)
    assert "x" not in copy.query_params
    assert "output[0,0] = 3·0" in _markdown(copy)


def test_bad_numbers_in_a_link_are_refused_with_a_note():
    at = _app(ARITH, preset="numerical_no_padding_no_strides", x="1,2;3")
    _clean(at)
    assert "numbers were not used" in _notes(at)
    at = _app(ARITH, preset="numerical_no_padding_no_strides",
              x=";".join([",".join(["inf"] * 5)] * 5))
    _clean(at)
    assert "numbers were not used" in _notes(at)


def _markdown(at: AppTest) -> str:
    """The page's text, with the player's first step's caption (the player shows it)."""
    shown = [m.value for m in at.markdown]
    shown += [unpack_header(el.proto.bytes)["captions"][0] for el in at.get("bidi_component")]
    return " ".join(shown)


def _edit(at: AppTest, name: str, values: np.ndarray) -> None:
    """Type ``values`` into the data editor ``name`` ("Input" or "Kernel"), as a user would."""
    ed = at.data_editor[0 if name == "Input" else 1]
    base = ed.value.to_numpy(dtype=float)
    rows: dict = {}
    for r, c in zip(*np.nonzero(base != values), strict=True):
        rows.setdefault(int(r), {})[str(c)] = float(values[r, c])
    at.session_state[ed.key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    _clean(at)


def test_home_gallery_links_open_their_presets():
    at = _app("app_pages/home.py")
    _clean(at)
    links_ = [e.proto for e in at.get("page_link") if e.proto.query_string]
    assert [p.query_string for p in links_] == [
        "preset=same_padding_no_strides", "preset=padding_strides", "preset=dilation",
        "preset=padding_strides_transposed"]
    for p in links_:  # each opens that preset, by the URL it carries
        name = p.query_string.split("=")[1]
        target = _app(ARITH, preset=name)
        _clean(target)
        assert target.code[0].value == ce.describe(ce.PRESETS[name])


def test_legend_names_the_colours_of_the_palette_in_use():
    assert "cyan: the output" in _app(ARITH).markdown[0].value
    high = _app(ARITH, palette="high-contrast").markdown[0].value
    assert "yellow: the output" in high and "cyan" not in high
