"""End-to-end: a real server, Debian's Chromium driven by Playwright, every page."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import numpy as np
import pytest
from PIL import Image, ImageSequence

from conv_engine.render.maps import maps_grid
from tests.browser_support import (
    SHOTS,
    wait_ready,
)
from ui.common import PAGES
from ui.controls import preset_label

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    pg = ctx.new_page()
    yield pg
    ctx.close()


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


@pytest.mark.parametrize(("path", "title"), [(p, t) for p, t, _ in PAGES])
def test_each_page_opens_from_navigation(server, page, path, title):
    page.goto(server)
    wait_ready(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    _no_exception(page)
    assert page.locator("h1").first.is_visible()
    assert page.title() == f"{title} · Convolution visualiser"  # each tab its own title
    slug = path.removeprefix("app_pages/").removesuffix(".py")
    page.screenshot(path=str(SHOTS / f"{slug}.png"), full_page=True)


def _shows_formula(page, line: str) -> None:
    """Wait until a code block shows ``line`` of the output-size formula; fails after 30 s.
    (Under load the page can still be filling in when its script reports ready, so reading
    the first code block at once sometimes met the PyTorch block instead.)"""
    page.locator("[data-testid='stCode']", has_text=line).first.wait_for(timeout=30_000)


def test_playground_change_setting_and_download_gif(server, page):
    page.goto(f"{server}/arithmetic?preset=padding_strides")
    wait_ready(page)
    _shows_formula(page, "⌊(5 + 2·1 - 3)/2⌋ + 1 = 3")
    page.get_by_role("button", name="Edit as a custom case").click()
    wait_ready(page)
    assert "mode=custom" in page.url and "stride=2" in page.url
    # The copied link, opened in a fresh browser, shows the same case (stride 2).
    fresh = page.context.browser.new_context()
    copy = fresh.new_page()
    copy.goto(page.url)
    wait_ready(copy)
    _shows_formula(copy, "⌊(5 + 2·1 - 3)/2⌋ + 1 = 3")  # a copy without stride 2 times out
    fresh.close()
    height = page.get_by_label("Input height")
    height.fill("7")
    height.press("Enter")
    wait_ready(page)
    assert "ih=7" in page.url  # the setting is in the URL, so the link can be shared
    _no_exception(page)
    _shows_formula(page, "⌊(7 + 2·1 - 3)/2⌋ + 1 = 4")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download GIF").click()
    path = dl.value.path()
    data = open(path, "rb").read()
    assert data[:6] == b"GIF89a"
    assert dl.value.suggested_filename.endswith(".gif")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download MP4").click()
    data = open(dl.value.path(), "rb").read()
    assert data[4:8] == b"ftyp"  # an MP4 container
    assert dl.value.suggested_filename == "conv_i7x5_k3x3_s2_p1_d1.mp4"
    page.screenshot(path=str(SHOTS / "arithmetic-custom.png"), full_page=True)


def test_playground_on_a_phone_width(server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    pg = ctx.new_page()
    pg.goto(f"{server}/arithmetic?preset={quote(preset_label('numerical_padding_strides'))}")
    wait_ready(pg)
    _no_exception(pg)
    # nothing wider than the window: no horizontal scrolling of the page
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    pg.screenshot(path=str(SHOTS / "arithmetic-phone.png"), full_page=True)
    ctx.close()


def test_a_shared_deep_link_opens_inside_the_app(server, page):
    # A link straight to a page must still run app.py: its navigation, titles and wide layout.
    page.goto(f"{server}/inception")
    wait_ready(page)
    nav = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    assert [t.split("\n")[-1] for t in nav] == [title for _, title, _ in PAGES]
    assert page.locator("h1").first.inner_text() == "Inception bottlenecks"


def test_your_image_downloads_match_the_maps(server, page):
    page.goto(f"{server}/your_image?k=4&spatial=stride+2")
    wait_ready(page)
    _no_exception(page)
    heading = page.locator("h4", has_text="→").first.inner_text()
    h2, w2, k = map(int, re.search(r"→ (\d+) x (\d+) x (\d+)", heading).groups())
    assert k == 4

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download a GIF through the channels").click()
    assert dl.value.suggested_filename == "1x1_pca_k4_s2_channels.gif"
    gif = Image.open(dl.value.path())
    frames = list(ImageSequence.Iterator(gif))
    assert len(frames) == k and gif.size == (w2, h2)  # one frame a channel, at the maps' size

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download the output maps (PNG)").click()
    assert dl.value.suggested_filename == "1x1_pca_k4_s2.png"
    png = Image.open(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert png.format == "PNG"
    # the grid of k maps of the shown size, as the page lays it out
    names = [f"out {i}" for i in range(k)]
    assert png.size == maps_grid(np.zeros((k, h2, w2)), names, tile=320).size


def test_a_control_inside_a_fragment_keeps_the_link(server, page):
    """The MLP's controls rerun only their part of the page; the URL follows all the same."""
    page.goto(f"{server}/network_in_network")
    wait_ready(page)
    page.get_by_role("slider", name="Hidden units h").press("ArrowRight")
    page.wait_for_function("() => location.search.includes('hidden=9')", timeout=30_000)
    wait_ready(page)
    _no_exception(page)
    fresh = page.context.browser.new_context()
    copy = fresh.new_page()
    copy.goto(page.url)
    wait_ready(copy)
    assert "→ 9 →" in copy.locator("[data-testid='stMarkdown']", has_text="→").first.inner_text()
    fresh.close()
