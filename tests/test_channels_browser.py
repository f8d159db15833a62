"""End-to-end: the channels page in headless Chromium; changing groups redraws the figures."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import conv_engine as ce
from tests.browser_support import (
    SHOTS,
    wait_ready,
)

pytestmark = pytest.mark.browser


def _open(browser, url: str, width: int, height: int):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.goto(url)
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    return ctx, page


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


def _first_figure(page):
    """The first image of the page: the animation of the channels view."""
    return page.locator("[data-testid='stImage'] img").first


def _full_page_shot(page, name: str) -> None:
    """A screenshot of the whole page (its content scrolls inside the app's own container)."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('*')].map(e => e.scrollHeight))")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 16000)})
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_changing_groups_shows_the_new_figures(server, browser):
    ctx, page = _open(browser, f"{server}/channels", 1280, 900)
    try:
        _no_exception(page)
        fig = _first_figure(page)
        before = fig.get_attribute("src")
        assert "2 group(s)" in fig.get_attribute("alt")
        assert page.get_by_text("Filter 0 is 3×3×2").count() == 1
        # Groups 2 -> 4 (depthwise, with 4 input channels), with the keyboard as a user would.
        groups = page.locator("[data-testid='stSlider']", has_text="Groups g")
        groups.get_by_role("slider").focus()
        page.keyboard.press("ArrowRight")
        wait_ready(page)
        page.wait_for_load_state("networkidle")
        _no_exception(page)
        assert "g=4" in page.url
        assert page.get_by_text("Filter 0 is 3×3×1: it sees input channel 0 only").count() == 1
        fig = _first_figure(page)
        src = fig.get_attribute("src")
        assert src != before and "4 group(s)" in fig.get_attribute("alt")
        # The browser shows the engine's animation of the new case, frame for frame.
        data = page.request.get(src if src.startswith("http") else server + src).body()
        gif = Image.open(io.BytesIO(data))
        layer, shape = ce.Conv(4, 3, 1, 1, groups=4, bias=False), (4, 5, 5)
        anim = ce.channels_animation(layer, shape, 0)
        assert gif.size == anim.geometry.size and gif.n_frames == len(anim)
        gif.seek(7)
        shown = np.asarray(gif.convert("RGB"), dtype=int)
        want = np.asarray(anim.frame(7), dtype=int)
        # One shared palette: flat colours exact, the shades of smoothed edges a little off.
        flat = {tuple(c) for c in [*anim.colors.flat(), *anim.extra_colors]}
        is_flat = np.array([tuple(p) in flat for p in want.reshape(-1, 3).tolist()])
        diff = np.abs(shown - want).max(axis=2).reshape(-1)
        assert is_flat.mean() > 0.8 and diff[is_flat].max() == 0
        assert diff.max() <= 16
        _full_page_shot(page, "channels_depthwise_1280.png")
    finally:
        ctx.close()


def test_a_copied_link_opens_the_same_case_on_a_phone(server, browser):
    ctx, page = _open(browser, f"{server}/channels?cin=8&g=8&cout=8&side=7&f=5&step=10",
                      390, 844)
    try:
        _no_exception(page)
        assert page.get_by_text("Filter 5 is 3×3×1: it sees input channel 5 only").count() == 1
        assert "8 group(s)" in _first_figure(page).get_attribute("alt")
        # Metric values fit a phone: none is cut off with an ellipsis.
        for value in page.locator("[data-testid='stMetricValue']").all():
            assert value.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), value.inner_text()
        _full_page_shot(page, "channels_depthwise_390.png")
    finally:
        ctx.close()
