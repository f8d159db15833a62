"""Uploads arriving together are decoded at most two at a time (a decode can take a few
hundred MB for a moment)."""

from __future__ import annotations

import threading
import time

import pytest

from ui import image_input

pytestmark = pytest.mark.usefixtures("fresh_caches")


def test_at_most_two_decodes_at_once(monkeypatch):
    running, peak, lock = 0, 0, threading.Lock()

    def slow_load(data, *, work_side):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        return data

    monkeypatch.setattr(image_input.ce, "load_image", slow_load)
    threads = [threading.Thread(target=image_input._decode, args=(f"d{i}", b"x", 512))
               for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2
