"""The player in a real browser: a real server, Debian's Chromium driven by Playwright.

Every expectation is recomputed from the engine (its trace, ops and captions); the player's
promise that it sends the server nothing while the learner plays is checked on the
websocket itself.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

import conv_engine as ce
from conv_engine.captions import depth_caption
from conv_engine.render.depth import depth_animation
from tests.browser_support import (
    SHOTS,
    wait_ready,
)
from ui.depth_cache import depth_data

pytestmark = pytest.mark.browser

PLAYER = "[data-testid='conv-player']"
CAPTION = "[data-testid='conv-player-caption']"


class Session:
    """A page with the player open, counting the websocket frames the page sends."""

    def __init__(self, browser, server, path: str, width: int = 1280, height: int = 900):
        self.ctx = browser.new_context(viewport={"width": width, "height": height},
                                       accept_downloads=True)
        self.page = self.ctx.new_page()
        self.sent: list = []
        self.page.on("websocket",
                     lambda ws: ws.on("framesent", lambda payload: self.sent.append(payload)))
        self.page.goto(f"{server}{path}")
        wait_ready(self.page)
        self.page.wait_for_selector(f"{PLAYER}[data-ready='true'][data-shown]", timeout=60_000)
        assert self.page.locator("[data-testid='stException']").count() == 0
        self.player = self.page.locator(PLAYER)
        self.player.scroll_into_view_if_needed()
        self.ready_frames = len(self.sent)
        assert self.ready_frames > 0  # the counter sees the page's websocket

    def step(self) -> int:
        return int(self.player.get_attribute("data-step"))

    def wait_step(self, i: int) -> None:
        self.page.wait_for_selector(f"{PLAYER}[data-step='{i}'][data-shown='{i}']",
                                    timeout=10_000)

    def caption(self) -> str:
        return self.page.locator(CAPTION).inner_text().strip()

    def marked(self) -> set[tuple[int, int]]:
        names = self.page.locator("[data-out][data-reads='true']").evaluate_all(
            "els => els.map(e => e.getAttribute('data-out'))")
        return {tuple(map(int, n.split(","))) for n in names}

    def hittable_inputs(self) -> dict[tuple[int, int], tuple[float, float]]:
        """Input cells whose centre the pointer reaches (the slanted output plane hides some),
        with that centre in page coordinates."""
        got = self.page.locator(f"{PLAYER} svg").evaluate("""svg => {
            const root = svg.getRootNode();
            const out = {};
            for (const p of svg.querySelectorAll('[data-in]')) {
                const b = p.getBoundingClientRect();
                const x = b.left + b.width / 2, y = b.top + b.height / 2;
                if (root.elementFromPoint(x, y) === p) out[p.getAttribute('data-in')] = [x, y];
            }
            return out;
        }""")
        return {tuple(map(int, k.split(","))): tuple(v) for k, v in got.items()}

    def quiet(self) -> None:
        """Nothing went to the server since the player was ready."""
        assert len(self.sent) == self.ready_frames, self.sent[self.ready_frames:]

    def close(self) -> None:
        self.ctx.close()


def _readers(t: ce.Trace) -> dict[tuple[int, int], set[tuple[int, int]]]:
    """Oracle: for each input cell, the output cells whose window reads it (the trace)."""
    out: dict[tuple[int, int], set[tuple[int, int]]] = {}
    for s in t.steps:
        for gr, gc in s.cells:
            cell = t.layout.input_index(gr, gc)
            if cell is not None:
                out.setdefault(cell, set()).add(s.out_pos)
    return out


def test_click_the_last_output_cell_shows_its_sum_and_keys_step(browser, server):
    name = "numerical_padding_strides"
    spec = ce.PRESETS[name]
    t = ce.trace(spec)
    s = Session(browser, server, f"/arithmetic?preset={name}")
    try:
        assert s.step() == 0 and s.caption() == ce.step_caption(t, 0)
        ho, wo = spec.output_shape
        s.page.locator(f"[data-out='{ho - 1},{wo - 1}']").click()
        s.wait_step(spec.steps - 1)
        # The sum, recomputed by the engine's own convolution (not the trace).
        total = ce.conv2d(t.x[None], t.w[None, None], stride=spec.stride,
                          padding=spec.padding)[0, -1, -1]
        text = s.caption()
        assert text.startswith(f"output[{ho - 1},{wo - 1}] = ")
        assert text.endswith(f"= {ce.fmt(total, min_places=1)}")
        assert text == ce.step_caption(t, spec.steps - 1)
        s.page.keyboard.press("Home")
        s.wait_step(0)
        s.page.keyboard.press("ArrowRight")
        s.wait_step(1)
        assert s.caption() == ce.step_caption(t, 1)
        s.page.keyboard.press("ArrowDown")  # a row further: the cell below
        s.wait_step(1 + wo)
        s.page.keyboard.press("End")
        s.wait_step(spec.steps - 1)
        s.page.keyboard.press("ArrowLeft")
        s.wait_step(spec.steps - 2)
        assert s.caption() == ce.step_caption(t, spec.steps - 2)
        s.page.get_by_role("button", name="First step").click()
        s.wait_step(0)
        s.page.get_by_role("button", name="Next step").click()
        s.wait_step(1)
        s.page.get_by_role("button", name="Last step").click()
        s.wait_step(spec.steps - 1)
        s.page.get_by_role("button", name="Previous step").click()
        s.wait_step(spec.steps - 2)
        s.quiet()
    finally:
        s.close()


def test_play_advances_and_space_pauses(browser, server):
    s = Session(browser, server, "/arithmetic?preset=padding_strides")
    try:
        s.page.locator(f"{PLAYER} select").select_option("250")
        s.page.get_by_role("button", name="Play").click()
        s.page.wait_for_selector(f"{PLAYER}[data-step='2']", timeout=5_000)
        assert s.page.get_by_role("button", name="Pause").count() == 1
        s.player.focus()
        s.page.keyboard.press(" ")
        s.page.wait_for_selector(f"{PLAYER}[data-playing='false']", timeout=5_000)
        stopped = s.step()
        s.page.wait_for_timeout(800)  # three steps' worth: it stays put
        assert s.step() == stopped
        assert s.page.get_by_role("button", name="Play").count() == 1
        s.quiet()
    finally:
        s.close()


@pytest.mark.parametrize("name", ["arbitrary_padding_no_strides", "no_padding_strides",
                                  "dilation", "padding_strides_transposed"])
def test_hover_an_input_cell_marks_the_outputs_that_read_it(browser, server, name):
    t = ce.trace(ce.PRESETS[name])
    want = _readers(t)
    s = Session(browser, server, f"/arithmetic?preset={name}")
    try:
        cells = s.hittable_inputs()
        ih, iw = t.spec.input_size
        assert len(cells) >= 0.5 * ih * iw  # most of the input plane is in view
        for cell, (x, y) in sorted(cells.items()):
            s.page.mouse.move(x, y)
            readers = want.get(cell, set())
            n = len(readers)
            hint = s.page.locator("[data-testid='conv-player-hint']")
            expect(hint).to_contain_text(
                f"input[{cell[0]},{cell[1]}] is read by {n} output cell", timeout=5_000)
            assert s.marked() == readers, cell
        s.page.mouse.move(1, 1)  # away: the marks go
        expect(s.page.locator("[data-reads]")).to_have_count(0, timeout=5_000)
        s.quiet()
    finally:
        s.close()


def test_hover_an_output_cell_shows_its_step_until_the_pointer_leaves(browser, server):
    name = "padding_strides_transposed"
    t = ce.trace(ce.PRESETS[name])
    s = Session(browser, server, f"/arithmetic?preset={name}")
    try:
        s.page.locator("[data-out='2,3']").hover()
        i = 2 * t.spec.output_shape[1] + 3
        s.page.wait_for_selector(f"{PLAYER}[data-shown='{i}']", timeout=5_000)
        assert s.caption() == ce.step_caption(t, i) and s.step() == 0
        s.page.mouse.move(1, 1)
        s.page.wait_for_selector(f"{PLAYER}[data-shown='0']", timeout=5_000)
        assert s.caption() == ce.step_caption(t, 0)
        s.quiet()
    finally:
        s.close()


def test_depth_player_click_and_hover(browser, server):
    c_in, c_out, h, w, seed = 6, 3, 4, 4, 0  # the page's defaults
    x, wt = depth_data.__wrapped__(c_in, c_out, h, w, seed)
    s = Session(browser, server, "/depth?dnum=1")
    try:
        assert s.caption().startswith("pixel (0,0):")
        s.page.locator(f"[data-out='{h - 1},{w - 1}']").click()
        s.wait_step(h * w - 1)
        out = ce.pointwise(x, wt)[:, h - 1, w - 1]  # the engine's 1x1 convolution
        text = s.caption()
        want = depth_caption(x, wt, None, h * w - 1, numerical=True)
        assert text.split("\n") == [want.split("\n")[0]] + [
            line[2:] for line in want.split("\n")[1:]]  # the list's items, one a line
        for j in range(c_out):
            assert text.split("\n")[1 + j].endswith(f"= {ce.fmt(out[j], min_places=1)}")
        s.page.keyboard.press("Home")
        s.wait_step(0)
        s.page.keyboard.press("ArrowRight")
        s.wait_step(1)
        cells = s.hittable_inputs()
        assert len(cells) == h * w  # the piles of sheets hide no pixel of the top sheet
        for cell, (px, py) in sorted(cells.items())[:5]:
            s.page.mouse.move(px, py)
            s.page.wait_for_timeout(100)
            assert s.marked() == {cell}  # a 1x1 convolution: each pixel feeds its own output
        s.quiet()
    finally:
        s.close()


def _digit_scale(s: Session) -> float:
    natural = int(s.player.get_attribute("data-natural-width"))
    shown = s.page.locator(f"{PLAYER} .cp-stage").bounding_box()["width"]
    return shown / natural


@pytest.mark.parametrize("width", [1280, 390])
def test_numbers_read_comfortably(browser, server, width):
    name = "numerical_padding_strides"
    t = ce.trace(ce.PRESETS[name])
    px = ce.animation(t, ce.player_style()).number_px  # the engine's font sizes
    s = Session(browser, server, f"/arithmetic?preset={name}", width=width, height=900)
    try:
        scale = _digit_scale(s)
        assert scale * min(px.values()) >= 14 - 0.01, (scale, px)
        # Nothing wider than the window: the view scrolls sideways inside the player instead.
        assert s.page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert s.page.locator("[data-testid='stMain']").evaluate("e => e.scrollWidth") <= width + 1
        s.player.screenshot(path=str(SHOTS / f"player-numerical-{width}.png"))
        s.page.screenshot(path=str(SHOTS / f"arithmetic-player-{width}.png"))
        fit = s.page.get_by_role("button", name="Fit it to the width")
        scroll = s.page.locator(f"{PLAYER} .cp-scroll")
        stage = s.page.locator(f"{PLAYER} .cp-stage")
        if width >= 1280:  # room enough: no note, no button
            assert fit.count() == 0 or not fit.is_visible()
            return
        # A phone: the view keeps its numbers readable and scrolls sideways, or fits on asking.
        assert stage.bounding_box()["width"] > scroll.bounding_box()["width"]
        fit.click()
        expect(s.page.get_by_role("button", name="Show the numbers at a readable size")
               ).to_be_visible()
        assert stage.bounding_box()["width"] <= scroll.bounding_box()["width"] + 0.5
        s.player.screenshot(path=str(SHOTS / f"player-numerical-{width}-fitted.png"))
        s.quiet()
    finally:
        s.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_depth_numbers_read_comfortably(browser, server, width):
    x, wt = depth_data.__wrapped__(6, 3, 4, 4, 0)
    px = depth_animation(x, wt, numerical=True).number_px
    s = Session(browser, server, "/depth?dnum=1", width=width)
    try:
        assert _digit_scale(s) * min(px.values()) >= 14 - 0.01
        assert s.page.evaluate("document.documentElement.scrollWidth") <= width + 1
        s.player.screenshot(path=str(SHOTS / f"player-depth-{width}.png"))
    finally:
        s.close()


def test_present_fills_the_window(browser, server):
    s = Session(browser, server, "/arithmetic?preset=padding_strides_transposed")
    try:
        button = s.page.get_by_role("button", name="Present")
        assert button.get_attribute("aria-pressed") == "false"
        button.click()
        box = s.player.bounding_box()
        assert box["width"] >= 1280 - 1 and box["x"] <= 1
        assert button.get_attribute("aria-pressed") == "true"
        size = s.page.locator(CAPTION).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 28  # large text for the back of the room
        s.page.keyboard.press("ArrowRight")
        s.wait_step(1)
        s.page.screenshot(path=str(SHOTS / "player-present.png"))
        s.page.keyboard.press("Escape")
        assert button.get_attribute("aria-pressed") == "false"
        s.quiet()
    finally:
        s.close()


def test_download_this_frame_is_the_engine_frame(browser, server):
    name = "dilation"
    spec = ce.PRESETS[name]
    t = ce.trace(spec)
    s = Session(browser, server, f"/arithmetic?preset={name}")
    try:
        s.page.locator("[data-out='1,2']").click()
        s.wait_step(5)
        with s.page.expect_download() as dl:
            s.page.get_by_role("button", name="Download this frame (PNG)").click()
        assert dl.value.suggested_filename == ce.export_name(spec, "png", step=6)
        from PIL import Image

        got = np.asarray(Image.open(dl.value.path()).convert("RGB"))
        want = np.asarray(ce.animation(t, ce.player_style()).frame(5))
        assert got.shape == want.shape
        assert np.abs(got.astype(int) - want).max() <= 1  # canvas compositing may round
        s.quiet()
    finally:
        s.close()


def test_accessible_names_and_live_caption(browser, server):
    s = Session(browser, server, "/arithmetic?preset=dilation")
    try:
        for name in ("Play", "Next step", "Previous step", "First step", "Last step",
                     "Present"):
            assert s.page.get_by_role("button", name=name, exact=True).count() == 1, name
        assert s.player.get_attribute("tabindex") == "0"
        assert s.page.locator(CAPTION).get_attribute("aria-live") == "polite"
        alt = s.page.locator(f"{PLAYER} img.cp-bg").get_attribute("alt")
        assert alt.startswith("Convolution of a 7x7 input") and "step 1 of 9" in alt
    finally:
        s.close()


def test_your_image_click_chooses_the_crop_the_depth_view_shows(browser, server):
    # The page's defaults: the first sample, 4 orientations, 2 scales, k = 3 by PCA on
    # standardised channels; the crop is 4x4 and the drawing takes up to 16 channels.
    img = ce.load_sample(next(iter(ce.SAMPLES)), work_side=512)
    fs = ce.feature_stack(img.rgb, orientations=4, scales=2)
    c, h, w = fs.shape
    wt, bias = ce.reduction_weights(fs, 3, "pca", seed=0, standardize=True)
    wt, bias = np.asarray(wt, np.float32), np.asarray(bias, np.float32)
    top, left = 120, 300
    s = Session(browser, server, "/your_image")
    try:
        picker = s.page.locator("[data-testid='crop-picker']")
        picker.scroll_into_view_if_needed()
        box = s.page.locator(".cp-picker-img").bounding_box()
        # The centre of the wanted crop: a click centres the crop on the pointer.
        s.page.mouse.click(box["x"] + (left + 2) * box["width"] / w,
                           box["y"] + (top + 2) * box["height"] / h)
        s.page.wait_for_url("**ct=*", timeout=30_000)
        wait_ready(s.page)
        # A CSS pixel spans about two image pixels here: the crop lands within one of the aim.
        got = parse_qs(urlparse(s.page.url).query)
        top, left = int(got["ct"][0]), int(got["cl"][0])
        assert abs(top - 120) <= 1 and abs(left - 300) <= 1, (top, left)
        assert s.page.get_by_role("spinbutton", name="Crop row").input_value() == str(top)
        assert s.page.get_by_role("spinbutton", name="Crop column").input_value() == str(left)
        crop = np.ascontiguousarray(fs.maps[:min(c, 16), top:top + 4, left:left + 4])
        want = depth_caption(crop, wt[:, :min(c, 16)], bias, 0, numerical=True)
        expect(s.page.locator(CAPTION)).to_contain_text(want.split("\n")[1][2:], timeout=30_000)
        # Playing with the new crop's player sends nothing more.
        s.page.wait_for_selector(f"{PLAYER}[data-ready='true']", timeout=30_000)
        s.ready_frames = len(s.sent)
        s.page.locator("[data-out='3,3']").click()
        s.wait_step(15)
        want = depth_caption(crop, wt[:, :min(c, 16)], bias, 15, numerical=True)
        assert s.caption().split("\n")[0] == want.split("\n")[0]
        s.quiet()
        s.page.screenshot(path=str(SHOTS / "your-image-crop.png"))
        # The link keeps the crop: opened afresh, it shows the same one.
        fresh = s.page.context.browser.new_context()
        copy = fresh.new_page()
        copy.goto(s.page.url)
        wait_ready(copy)
        assert copy.get_by_role("spinbutton", name="Crop row").input_value() == str(top)
        assert copy.locator("[data-testid='crop-picker']").get_attribute(
            "data-crop") == f"{top},{left}"
        fresh.close()
    finally:
        s.close()


def test_depth_gif_download(browser, server):
    s = Session(browser, server, "/depth")
    try:
        with s.page.expect_download() as dl:
            s.page.get_by_role("button", name="Download GIF").click()
        assert dl.value.suggested_filename == "1x1_depth_4x4x6_to_3.gif"
        from PIL import Image, ImageSequence

        gif = Image.open(dl.value.path())
        assert gif.format == "GIF"
        assert sum(f.info["duration"] for f in ImageSequence.Iterator(gif)) == 16 * 1000
    finally:
        s.close()


# WCAG contrast of each element's text on the colour behind it (alpha and opacity included).
CONTRAST_JS = """els => els.map(e => {
  const rgba = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = [255, 255, 255];
  for (let p = e; p; p = p.parentElement || (p.getRootNode() && p.getRootNode().host)) {
    const c = rgba(getComputedStyle(p).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c.slice(0, 3); break; }
  }
  let alpha = 1;
  for (let p = e; p; p = p.parentElement) alpha *= parseFloat(getComputedStyle(p).opacity);
  const c = rgba(getComputedStyle(e).color);
  const a = (c.length > 3 ? c[3] : 1) * alpha;
  const fg = c.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
  const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return [(hi + 0.05) / (lo + 0.05), e.textContent.slice(0, 40)];
})"""


@pytest.mark.parametrize("path", ["/arithmetic", "/depth?dnum=1", "/your_image"])
def test_figure_captions_and_player_text_have_contrast(browser, server, path):
    s = Session(browser, server, path)
    try:
        # Figure captions are small body text; Streamlit's own (faded to 60 %) read 3.9:1.
        assert s.page.locator("[data-testid='stImageCaption']").count() == 0
        if path != "/your_image":  # whose image notes and radio captions are not figures'
            assert s.page.locator("[data-testid='stCaptionContainer']").count() == 0
        sel = (f"[data-testid='stMarkdownContainer'] small, {CAPTION}, {PLAYER} .cp-help, "
               f"{PLAYER} .cp-stepno, {PLAYER} button")
        found = s.page.locator(sel).evaluate_all(CONTRAST_JS)
        assert len(found) >= 8
        low = [(round(r, 2), t) for r, t in found if r < 4.5]
        assert not low, low
    finally:
        s.close()
