"""Every cost a student checks adds up: one cost model, stride-aware multiply-adds, biases
counted the same way everywhere, GoogLeNet's Table 1 as printed, one way to write counts."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import conv_engine as ce
from conv_engine.costs import GOOGLENET_PRINTED, PAPER_K
from conv_engine.limits import MAX_DEPTH_NUMERICAL, MAX_DEPTH_SCHEMATIC
from conv_engine.reductions import reduction_cost
from tests.test_app import _app, _no_errors
from ui.player import unpack_header

pytestmark = pytest.mark.usefixtures("fresh_caches")

# ---------------------------------------------------------------------------------------------
# The cost model


def test_conv_cost_counts_weights_biases_and_multiplications():
    c = ce.conv_cost(192, 32, 5, 28)
    assert c.weights == 5 * 5 * 192 * 32 == 153_600
    assert c.biases == 32
    assert c.params == 153_632
    assert c.mult_adds == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400  # biases are not multiplied
    plain = ce.conv_cost(192, 32, 5, 28, bias=False)
    assert (plain.weights, plain.biases, plain.params) == (153_600, 0, 153_600)
    assert plain.mult_adds == 120_422_400


def test_conv_cost_counts_only_the_outputs_a_stride_computes():
    # 200x200x50 through twenty 1x1 filters: 40,000,000 at stride 1, a quarter at stride 2.
    assert ce.conv_cost(50, 20, 1, (200, 200)).mult_adds == 40_000_000
    s2 = ce.conv_cost(50, 20, 1, (200, 200), stride=2)
    assert s2.size == (100, 100) and s2.mult_adds == 10_000_000
    assert s2.params == 20 * 50 + 20  # a stride changes the work, never the parameters
    # Odd sides round up: a 1x1 at stride 3 over 341 rows reads rows 0, 3, ..., 339: 114 rows.
    s3 = ce.conv_cost(11, 3, 1, (341, 512), stride=3)
    assert s3.size == (114, 171) and s3.mult_adds == 114 * 171 * 11 * 3 == 643_302
    # A "same" 3x3 at stride 2 over 7 pixels: outputs at 0, 2, 4, 6.
    assert ce.conv_cost(8, 16, 3, 7, stride=2).size == (4, 4)
    assert ce.conv_cost(8, 16, 3, (7, 9), stride=(2, 3)).size == (4, 3)


def test_reduction_cost_is_the_same_model():
    assert reduction_cost(50, 20, 200, 200, stride=2) == (1020, 10_000_000)
    assert reduction_cost(50, 20, 200, 200, kernel_size=3, stride=2) == (9020, 90_000_000)


def test_max_pool_comparisons_by_hand():
    assert ce.max_pool_comparisons(64, 28) == 64 * 14 * 14 * 3 == 37_632  # 2x2, stride 2
    assert ce.max_pool_comparisons(1, 5, 3, 1) == 3 * 3 * 8  # the guide's max-pool animation
    assert ce.max_pool_comparisons(3, (341, 512)) == 3 * 170 * 256 * 3  # floor mode
    with pytest.raises(ValueError, match="kernel must be at most size"):
        ce.max_pool_comparisons(1, (1, 5))
    with pytest.raises(ValueError, match="channels must be >= 1"):
        ce.max_pool_comparisons(0, 4)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ce.conv_cost(3, 4, 3, 8, bias=1), "bias must be True or False"),
        (lambda: ce.conv_cost(3, 4, 3, 8, stride=0), "stride must be >= 1"),
        (lambda: reduction_cost(3, 4, 8, 8, stride=0), "stride must be >= 1"),
        (lambda: ce.inception_cost(*ce.GOOGLENET_INCEPTION["3a"], bias="yes"),
         "bias must be True or False"),
        (lambda: ce.googlenet_table(-0.1), "tolerance must be"),
    ],
)
def test_cost_functions_name_the_bad_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_inception_3a_parameters_include_biases_and_weights_do_not():
    cost = ce.inception_cost(*ce.GOOGLENET_INCEPTION["3a"])
    weights = 192 * 64 + 192 * 96 + 96 * 128 * 9 + 192 * 16 + 16 * 32 * 25 + 192 * 32
    assert weights == 163_328
    assert cost.weights == weights
    assert cost.params == weights + (64 + 96 + 128 + 16 + 32 + 32) == 163_696
    assert cost.mult_adds == 28 * 28 * weights == 128_049_152
    naive_weights = 192 * 64 + 192 * 128 * 9 + 192 * 32 * 25 + 192 * 32
    assert cost.naive_weights == naive_weights
    assert cost.naive_params == naive_weights + 64 + 128 + 32 + 32
    no_bias = ce.inception_cost(*ce.GOOGLENET_INCEPTION["3a"], bias=False)
    assert no_bias.params == no_bias.weights == weights


# ---------------------------------------------------------------------------------------------
# GoogLeNet's Table 1 as printed


def test_googlenet_printed_figures_are_the_papers():
    # Szegedy et al. 2015, Table 1, the inception rows' "params" and "ops" columns.
    assert GOOGLENET_PRINTED == {
        "3a": (159, 128), "3b": (380, 304), "4a": (364, 73), "4b": (437, 88),
        "4c": (463, 100), "4d": (580, 119), "4e": (840, 170), "5a": (1072, 54),
        "5b": (1388, 71),
    }
    assert list(GOOGLENET_PRINTED) == list(ce.GOOGLENET_INCEPTION)
    assert (PAPER_K, ce.PAPER_M) == (1024, 10**6)


def test_googlenet_table_flags_exactly_the_known_misprints():
    rows = {r["module"]: r for r in ce.googlenet_table()}
    assert rows["3a"]["weights_k"] == 163_328 / 1024 == 159.5
    assert rows["3a"]["ops_m"] == 128.049152
    # 4c's own columns: 512*128 + 512*128 + 128*256*9 + 512*24 + 24*64*25 + 512*64 weights.
    assert rows["4c"]["weights"] == 509_440 and rows["4c"]["weights_k"] == 497.5
    # 5a: 832*256 + 832*160 + 160*320*9 + 832*32 + 32*128*25 + 832*128 weights on a 7x7 map.
    assert rows["5a"]["weights"] == 1_042_432 and rows["5a"]["weights_k"] == 1018.0
    assert rows["5a"]["mult_adds"] == 49 * 1_042_432 == 51_079_168
    flagged = {(m, what) for m, r in rows.items() for what in ("params", "ops")
               if not r[f"{what}_agree"]}
    assert flagged == {("4c", "params"), ("5a", "params"), ("5a", "ops")}
    assert rows["4c"]["params_diff"] == pytest.approx(463 / 497.5 - 1)
    assert rows["5a"]["ops_diff"] == pytest.approx(54 / 51.079168 - 1)
    for m, r in rows.items():  # the other printed figures are within 2 % of the columns
        if (m, "params") not in flagged:
            assert abs(r["paper_params_k"] * 1024 / r["weights"] - 1) <= 0.02, m
        if (m, "ops") not in flagged:
            assert abs(r["paper_ops_m"] * 10**6 / r["mult_adds"] - 1) <= 0.02, m
    assert all(r["params_agree"] and r["ops_agree"] for r in ce.googlenet_table(0.1))


# ---------------------------------------------------------------------------------------------
# Writing counts and ratios


@pytest.mark.parametrize(
    ("n", "digits", "text"),
    [
        (120_422_400, 1, "120.4 M"),
        (1_600_000_000, 1, "1.6 G"),
        (2_100_000_000_000, 1, "2.1 T"),
        (950, 1, "950"),
        (0, 1, "0"),
        (999_949, 1, "999.9 k"),
        (999_960, 1, "1.0 M"),  # never "1000.0 k"
        (-5_761_536, 1, "-5.8 M"),
        (1_129_000_000, 2, "1.13 G"),
        (12.5, 1, "12.5"),
        # A custom Inception module with 4096 of everything: 4096^2 positions x 637 M weights.
        (4096 * 4096 * 4096 * 4096 * 38, 1, "10.7 P"),
    ],
)
def test_si_known_answers(n, digits, text):
    assert ce.si(n, digits) == text


@given(st.integers(0, 10**20))
def test_si_is_short_and_reads_back(n):
    text = ce.si(n)
    number, _, prefix = text.partition(" ")
    scale = 1000 ** " kMGTPE".index(prefix or " ")
    assert float(number) < 1000 and len(text) <= 7
    assert abs(float(number) * scale - n) <= 0.05 * scale * (1 + 1e-9)  # half the last digit


@pytest.mark.parametrize(
    ("a", "b", "text"),
    [
        (1, 4, "4.0x fewer"),
        (1.25, 1, "1.25x more"),
        (1, 1.25, "1.25x fewer"),
        (3, 3, "the same"),
        (1000, 1001, "about the same"),
        (12_443_648, 120_422_400, "9.7x fewer"),
        (250, 1, "250x more"),
    ],
)
def test_ratio_phrase_known_answers(a, b, text):
    assert ce.ratio_phrase(a, b) == text


@given(st.integers(1, 10**9), st.integers(1, 10**9))
def test_ratio_phrase_never_says_a_ratio_below_one(a, b):
    text = ce.ratio_phrase(a, b)
    if text.endswith(("fewer", "more")):
        assert float(text.split("x ")[0].replace(",", "")) >= 1
        assert text.endswith("fewer") == (a < b)


@pytest.mark.parametrize(("a", "b", "match"), [(0, 1, "a must be > 0"), (1, -2, "b must be"),
                                               (1, float("nan"), "b must be a finite")])
def test_ratio_phrase_rejects_bad_inputs(a, b, match):
    with pytest.raises(ValueError, match=match):
        ce.ratio_phrase(a, b)


@pytest.mark.parametrize(("n", "digits", "match"), [(float("inf"), 1, "n must be a finite"),
                                                    (True, 1, "n must be"),
                                                    (5, 7, "digits must be from 0 to 6")])
def test_si_rejects_bad_inputs(n, digits, match):
    with pytest.raises(ValueError, match=match):
        ce.si(n, digits)


# ---------------------------------------------------------------------------------------------
# The pages

MAX_LABEL, MAX_VALUE = 28, 14  # what a metric shows uncut at 1280 px, 1440 px and on a phone


def _fits(at) -> None:
    assert at.metric, "no metrics on the page"
    for m in at.metric:
        assert len(m.label) <= MAX_LABEL, m.label
        assert len(m.value) <= MAX_VALUE, (m.label, m.value)


def _metrics(at) -> dict:
    return {m.label: m for m in at.metric}


def _shapes(at) -> tuple[int, ...]:
    """(H, W, C, H', W', k) from the Your image page's heading."""
    for m in at.markdown:
        found = re.search(r"(\d+) x (\d+) x (\d+) → (\d+) x (\d+) x (\d+)", m.value)
        if found:
            return tuple(int(g) for g in found.groups())
    raise AssertionError("no shape heading")


@pytest.mark.parametrize("spatial", ["none", "s2", "s3", "pool"])
def test_your_image_multiply_adds_count_the_work_done(spatial):
    from ui.features_cache import SPATIAL

    at = _app("app_pages/your_image.py", spatial=SPATIAL[spatial])
    _no_errors(at)
    h, w, c, _, _, k = _shapes(at)
    s = {"s2": 2, "s3": 3}.get(spatial, 1)
    work = math.ceil(h / s) * math.ceil(w / s) * c * k  # the 1x1's output pixels only
    m = _metrics(at)
    assert f"{work:,}" in m["Multiply-adds"].help
    assert m["Multiply-adds"].value == ce.si(work)
    pool = f"{(h // 2) * (w // 2) * k * 3:,} comparisons for the max pool"
    assert (pool in m["Multiply-adds"].help) == (spatial == "pool")
    params = m["Parameters (k·C + k)"]
    assert params.value == f"{k * c + k:,}" and "biases" in params.help
    _fits(at)


def _player_steps(at) -> int:
    """Steps of the page's player (its payload's header), or fail when there is none."""
    (el,) = at.get("bidi_component")
    return unpack_header(el.proto.bytes)["steps"]


def test_depth_page_offers_only_what_the_numbers_view_draws():
    lim = MAX_DEPTH_NUMERICAL
    at = _app("app_pages/depth.py", dnum="true", cin=str(lim["C_in"]), cout=str(lim["C_out"]),
              dh=str(lim["H"]), dw=str(lim["W"]))
    _no_errors(at)
    for key, name in (("cin", "C_in"), ("cout", "C_out"), ("dh", "H"), ("dw", "W")):
        assert at.number_input(key=key).max == lim[name]
        assert at.number_input(key=key).value == lim[name]
    assert _player_steps(at) == lim["H"] * lim["W"]  # the player, drawn: one step a pixel


def test_depth_page_lowers_sizes_when_the_numbers_are_turned_on():
    at = _app("app_pages/depth.py")
    big = MAX_DEPTH_SCHEMATIC
    at.number_input(key="cin").set_value(big["C_in"]).run()
    at.number_input(key="cout").set_value(big["C_out"]).run()
    _no_errors(at)
    at.toggle(key="dnum").set_value(True).run()
    _no_errors(at)
    lim = MAX_DEPTH_NUMERICAL
    assert at.number_input(key="cin").value == lim["C_in"]
    assert at.number_input(key="cout").value == lim["C_out"]
    notes = " ".join(i.value for i in at.info)
    assert f"C_in {big['C_in']} → {lim['C_in']}" in notes
    assert f"C_out {big['C_out']} → {lim['C_out']}" in notes
    assert _player_steps(at) == 4 * 4  # drawn at the default height and width


def test_depth_classic_example_says_biases_are_in():
    at = _app("app_pages/depth.py")
    _no_errors(at)
    m = _metrics(at)
    # 200x200x50 through twenty filters: 20*50 weights + 20 biases; 3x3: 9*20*50 + 20.
    assert m["Parameters (k·C + k)"].value == "1,020"
    assert m["Parameters (9·k·C + k)"].value == "9,020"
    assert "1,000 weights + 20 biases" in m["Parameters (k·C + k)"].help
    assert "9.0x fewer" in " ".join(m.value for m in at.markdown)
    _fits(at)


def test_inception_figures_by_hand_and_labelled():
    at = _app("app_pages/inception.py")
    _no_errors(at)
    m = _metrics(at)
    assert m["Mult-adds, 5x5 directly"].value == "120.4 M"
    assert "120,422,400" in m["Mult-adds, 5x5 directly"].help
    assert m["Mult-adds, 1x1 then 5x5"].value == "12.4 M"  # 2,408,448 + 10,035,200
    assert "12,443,648" in m["Mult-adds, 1x1 then 5x5"].help
    assert m["Bottleneck mult-adds"].value == "9.7x fewer"
    captions = " ".join(m.value for m in at.markdown if m.value.startswith(":small["))
    # 5x5 directly: 153,600 weights + 32 biases; 1x1 then 5x5: 3,072 + 16 and 12,800 + 32.
    assert "153,632 without the bottleneck" in captions and "15,920 with it" in captions
    # inception (3a): 163,328 weights + 368 biases; 28*28*163,328 multiply-adds.
    assert m["Params (weights + biases)"].value == "163,696"
    assert m["Multiply-adds"].value == "128.0 M"
    assert m["Output channels"].value == "256"
    assert "fewer" in m["Mult-adds vs unreduced"].value
    _fits(at)


CUSTOM = {"cin": 100, "size": 10, "n1": 10, "r3": 20, "n3": 30, "r5": 5, "n5": 8, "pp": 7}


def test_inception_custom_module_is_restored_from_its_link():
    at = _app("app_pages/inception.py", module="custom", **{k: str(v) for k, v in CUSTOM.items()})
    _no_errors(at)
    # 100*10 + (100*20 + 20*30*9) + (100*5 + 5*8*25) + 100*7 weights, one bias per channel.
    weights = 1000 + 2000 + 5400 + 500 + 1000 + 700
    assert weights == 10_600
    m = _metrics(at)
    assert m["Params (weights + biases)"].value == f"{weights + 10 + 20 + 30 + 5 + 8 + 7:,}"
    assert m["Output channels"].value == "55"
    assert "1,060,000" in m["Multiply-adds"].help  # 10*10 positions x 10,600 weights
    assert m["Multiply-adds"].value == "1.1 M"


def test_inception_custom_module_that_costs_more_says_more():
    # "Reducing" 192 channels to 400 before a 3x3 to 100 costs more than the 3x3 alone.
    at = _app("app_pages/inception.py", module="custom", r3="400", n3="100")
    _no_errors(at)
    ratio = _metrics(at)["Mult-adds vs unreduced"].value
    assert ratio.endswith("x more") and float(ratio.split("x")[0]) > 1


def test_inception_huge_custom_module_keeps_metrics_short():
    at = _app("app_pages/inception.py", module="custom", **{k: "4096" for k in CUSTOM})
    _no_errors(at)
    assert _metrics(at)["Multiply-adds"].value == "10.7 P"
    _fits(at)


def test_inception_table_shows_the_papers_figures_and_flags_misprints():
    at = _app("app_pages/inception.py")
    _no_errors(at)
    table = at.dataframe[0].value.set_index("module")
    assert table.loc["3a", "paper params (K)"] == 159 and table.loc["3a", "weights (K)"] == 159.5
    assert table.loc["5a", "paper ops (M)"] == 54 and table.loc["5a", "mult-adds (M)"] == 51.1
    flagged = table.index[table["paper vs computed"].str.startswith("⚠")].tolist()
    assert flagged == ["4c", "5a"]
    assert "463 K vs 497.5 K" in table.loc["4c", "paper vs computed"]
    assert "K = 1024" in " ".join(m.value for m in at.markdown if m.value.startswith(":small["))
