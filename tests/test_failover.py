"""Two replicas behind nginx: a browser stays on one, and when that one dies it lands on the
other with the same case (the case lives in the URL)."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from deploy.serve_replicas import healthy, nginx_binary, nginx_config, serve
from tests.browser_support import CHROMIUM_FLAGS, ROOT, chromium_path, free_port, wait_ready

pytestmark = pytest.mark.browser

CASE = "arithmetic?mode=custom&ih=7&stride=2"
FORMULA = "⌊(7 + 2·1 - 3)/2⌋ + 1 = 4"  # the case's output height, as the page prints it
AFTER = "⌊(9 + 2·1 - 3)/2⌋ + 1 = 5"  # the same case with input height 9


def test_config_keeps_replicas_private_and_limits_uploads(tmp_path):
    conf = nginx_config("127.0.0.1:8080", [8081, 8082], tmp_path)
    assert "server 127.0.0.1:8081" in conf and "server 127.0.0.1:8082" in conf
    assert "hash $route consistent" in conf  # sticky by the proxy's own cookie
    assert "client_max_body_size 21m" in conf  # the app's 20 MB, plus the form's overhead
    assert "location = /_stcore/metrics" in conf
    assert "frame-ancestors 'self'" in conf
    assert "X-Replica" not in conf  # names internal ports: only with debug_headers
    assert not re.search(r"@[A-Z_]+@", conf)  # every field filled in


def _nginx() -> None:
    """nginx must be there in CI (.ci/run installs it); elsewhere its absence skips."""
    try:
        nginx_binary()
    except RuntimeError as e:
        if os.environ.get("CI"):
            pytest.fail(str(e))
        pytest.skip(str(e))


def test_failover_keeps_the_case():
    exe = chromium_path()
    _nginx()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    port = free_port()
    run_dir = ROOT / "test-output" / "replicas"
    with serve(2, port, run_dir=run_dir, debug_headers=True) as cluster, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(f"{cluster.url}/{CASE}")
        wait_ready(page)
        assert FORMULA in page.locator("[data-testid='stCode']").first.inner_text()

        # Every request of this browser reaches one replica ...
        seen = {page.request.get(f"{cluster.url}/_stcore/health").headers["x-replica"]
                for _ in range(6)}
        assert len(seen) == 1
        first = int(seen.pop().rsplit(":", 1)[1])
        # ... until it dies: the browser reconnects through nginx to the other one.
        cluster.stop_replica(first, signal.SIGKILL)
        # The page on screen is stale until a live replica answers: change a setting and wait
        # for the answer, which needs the rest of the case (stride 2) from the URL.
        height = page.get_by_label("Input height")
        deadline = time.monotonic() + 60
        while True:
            height.fill("9")
            height.press("Enter")
            try:
                page.wait_for_function(
                    "f => [...document.querySelectorAll(\"[data-testid='stCode']\")]"
                    ".some(e => e.innerText.includes(f))", arg=AFTER, timeout=5_000)
                break
            except PlaywrightTimeout:
                assert time.monotonic() < deadline, "no replica answered after the failover"
        wait_ready(page)
        other = page.request.get(f"{cluster.url}/_stcore/health").headers["x-replica"]
        assert int(other.rsplit(":", 1)[1]) != first
        assert "ih=9" in page.url and "stride=2" in page.url
        assert not page.locator("[data-testid='stException']").count()
        browser.close()
        # The supervisor brings the dead replica back.
        assert cluster.supervise_once() == [first]
        cluster.wait_healthy([first], 60)
        assert healthy(cluster.replica_url(first))
