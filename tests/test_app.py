"""AppTest smoke and behaviour tests of the pages (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import conv_engine as ce
from ui.common import PAGES
from ui.controls import OP_LABELS, preset_label
from ui.player import unpack_header

ROOT = Path(__file__).resolve().parent.parent

TIMEOUT = 60


pytestmark = pytest.mark.usefixtures("fresh_caches")


def _app(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if page is not None:
        at.switch_page(page)
    for k, v in query.items():  # after switch_page, which starts from a clean URL
        at.query_params[k] = v
    return at.run()


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_home_page_runs_and_shows_gallery():
    at = _app()
    _no_errors(at)
    assert at.title[0].value == "See how convolutions work"
    assert len(at.image) >= 4
    assert "1x1 convolution useful" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("path", [p for p, *_ in PAGES])
def test_every_page_runs(path):
    at = _app(path)
    _no_errors(at)
    assert at.title


def _player(at: AppTest) -> dict:
    """The header of the page's player payload: its captions, steps and sizes."""
    (el,) = at.get("bidi_component")
    return unpack_header(el.proto.bytes)


def test_arithmetic_defaults_show_animation_formula_and_caption():
    at = _app("app_pages/arithmetic.py")
    _no_errors(at)
    spec = ce.PRESETS["no_padding_no_strides"]
    assert at.code[0].value == ce.describe(spec)
    assert at.code[1].value == ce.pytorch_code(spec)
    head = _player(at)
    t = ce.trace(spec)
    assert head["captions"] == [ce.step_caption(t, i) for i in range(spec.steps)]
    assert [b.label for b in at.get("download_button")] == ["Download GIF", "Download MP4"]


@pytest.mark.parametrize("name", list(ce.PRESETS))
def test_each_preset_renders(name):
    at = _app("app_pages/arithmetic.py", preset=preset_label(name))
    _no_errors(at)
    assert at.selectbox(key="preset").value == name
    assert at.code[0].value == ce.describe(ce.PRESETS[name])
    assert _player(at)["steps"] == ce.PRESETS[name].steps


def test_numerical_preset_shows_output_table():
    at = _app("app_pages/arithmetic.py", preset=preset_label("numerical_no_padding_no_strides"))
    _no_errors(at)
    table = at.dataframe[-1].value.to_numpy()
    assert table.tolist() == [[12.0, 12.0, 17.0], [10.0, 17.0, 19.0], [9.0, 6.0, 14.0]]
    # 3*0 + 3*1 + 2*2 + 0*2 + 0*2 + 1*0 + 3*0 + 1*1 + 2*2 = 12
    text = _player(at)["captions"][0]
    assert text == "output[0,0] = 3·0 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2 = 12.0"


def test_beyond_the_player_a_scrubber_moves_the_caption():
    # 21x21 = 441 steps: more than the player takes, so the page steps on the server.
    at = _app("app_pages/arithmetic.py", mode="custom", ih="21", iw="21", kh="1", kw="1",
              pad="0")
    _no_errors(at)
    assert not at.get("bidi_component")
    assert "too many for the player" in at.info[0].value
    at.slider(key="step").set_value(441).run()
    _no_errors(at)
    assert "output[20,20]" in " ".join(m.value for m in at.markdown)
    assert at.image[0].proto.imgs[0].alt.startswith("Convolution of a 21x21 input")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"ih": "3", "iw": "3", "kh": "5", "kw": "5", "pad": "0"}, "larger than the padded input"),
        ({"op": OP_LABELS["max"], "pad": "3"}, "at most half the pooling kernel"),
        ({"pad_mode": "same", "stride": "2"}, "needs stride 1"),
        ({"transposed": "true", "stride": "2", "opad": "3"}, "output_padding"),
    ],
)
def test_impossible_custom_combinations_show_a_message(query, message):
    at = _app("app_pages/arithmetic.py", mode="Custom", **query)
    assert not at.exception
    assert message in at.warning[0].value


def test_url_parameters_restore_custom_settings():
    at = _app("app_pages/arithmetic.py", mode="Custom", ih="7", iw="6", kh="3", kw="2",
              stride="2", pad="1", dil="2")
    _no_errors(at)
    assert at.number_input(key="ih").value == 7
    assert at.number_input(key="kw").value == 2
    spec = ce.ConvSpec((7, 6), (3, 2), 2, 1, 2)
    assert at.code[0].value == ce.describe(spec)


def test_custom_numerical_uses_seeded_data():
    at = _app("app_pages/arithmetic.py", mode="Custom", numerical="true", pad="0")
    _no_errors(at)
    # seed 1234 on a 5x5 input and 3x3 kernel is the guide's numerical example
    assert at.dataframe[-1].value.to_numpy()[0].tolist() == [12.0, 12.0, 17.0]


def test_edit_preset_as_custom_copies_parameters():
    at = _app("app_pages/arithmetic.py", preset=preset_label("dilation"))
    at.button[0].click().run()
    _no_errors(at)
    assert at.segmented_control(key="mode").value == "custom"
    assert at.number_input(key="ih").value == 7
    assert at.number_input(key="dil").value == 2
    assert at.code[0].value == ce.describe(ce.PRESETS["dilation"])


def test_depth_page_numbers_and_classic_example():
    at = _app("app_pages/depth.py", dnum="true")
    _no_errors(at)
    metrics = [m.value for m in at.metric]
    # 200x200x50 through 20 1x1 filters: 20*50 + 20 weights, 200*200*50*20 multiply-adds
    assert metrics[:2] == [f"{20 * 50 + 20:,}", f"{200 * 200 * 50 * 20:,}"]
    assert metrics[2:] == [f"{9 * 20 * 50 + 20:,}", f"{200 * 200 * 9 * 50 * 20:,}"]
    assert _player(at)["captions"][0].startswith("pixel (0,0):\n- out[0] =")


def test_depth_page_too_large_for_numbers_says_why():
    # The inputs offer only what the numbers view draws; a link asking for more is lowered.
    at = _app("app_pages/depth.py", dnum="true", cin="12")
    _no_errors(at)
    assert at.number_input(key="cin").value == 8
    assert "cin=12 is outside 1–8: showing 8" in at.warning[0].value
