"""A light load run: a few concurrent Chromium sessions against one real server.

The full run (10 sessions, 3 rounds, memory across rounds) is ``benchmarks/load.py``.
"""

from __future__ import annotations

import pytest

from tests.browser_support import ROOT, chromium_path, streamlit_server

pytestmark = pytest.mark.browser

SESSIONS = 3


def test_concurrent_sessions_are_all_served(monkeypatch):
    exe = chromium_path()
    # the server must not reload modules if a source file is saved during the run
    monkeypatch.setenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")
    from benchmarks.load import STEPS, run_load

    (ROOT / "test-output").mkdir(exist_ok=True)
    with streamlit_server("load-test") as url:
        result = run_load(url, exe, sessions=SESSIONS, rounds=1, round_timeout=150,
                          image_size=(640, 480), log=lambda _: None)
    sessions = result.sessions
    assert len(sessions) == SESSIONS
    assert not result.failures, result.failures
    # every session went through every step, and both downloads were checked files
    assert all(list(s.times) == list(STEPS) for s in sessions), [s.times for s in sessions]
    assert all(s.gif_bytes > 1000 for s in sessions), [s.gif_bytes for s in sessions]
    assert all(s.png_bytes > 1000 for s in sessions), [s.png_bytes for s in sessions]
    assert result.rounds[0].peak_rss > result.start_rss > 0
