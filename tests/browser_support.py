"""A real `streamlit run` server and Debian's headless Chromium, for the browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deploy.serve_replicas import MALLOC_ENV

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def chromium_path() -> str:
    """Debian's chromium; in CI its absence fails the run, elsewhere it skips with a reason."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    reason = "Chromium is not installed (Debian package 'chromium'); browser tests need it"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(name: str, timeout: float = 60) -> Iterator[str]:
    """Start the app on a free localhost port; yield its URL; stop it afterwards.

    The server's output goes to ``test-output/server-NAME.log``, replaced by the next run of
    that name: the latest log of each kind of run stays for a look after a failure.
    """
    port = free_port()
    log = open(ROOT / "test-output" / f"server-{name}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**MALLOC_ENV, **os.environ},  # the allocator as `make run` sets it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("streamlit did not become healthy in time")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_ready(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running and nothing is still loading."""
    page.wait_for_selector(READY, timeout=timeout)
    page.wait_for_timeout(300)  # let a rerun triggered by the last widget start
    page.wait_for_selector(READY, timeout=timeout)
