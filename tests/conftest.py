"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def fresh_caches():
    """Empty Streamlit's caches: they outlive AppTest instances within one process."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def server(request):
    """A real app server for the browser tests of one module, stopped after them; its log is
    test-output/server-<module>.log (the latest run of each module's tests is kept)."""
    from tests.browser_support import ROOT, streamlit_server

    (ROOT / "test-output").mkdir(exist_ok=True)
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with streamlit_server(name) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, one per test module."""
    from tests.browser_support import CHROMIUM_FLAGS, SHOTS, chromium_path

    exe = chromium_path()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()
