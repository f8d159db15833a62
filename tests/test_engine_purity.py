"""The engine never imports streamlit, so it runs (and exports GIFs) without a server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import importlib, pkgutil, sys
import conv_engine
assert "streamlit" not in sys.modules, "import conv_engine pulled in streamlit"
for mod in pkgutil.walk_packages(conv_engine.__path__, "conv_engine."):
    if mod.name.rsplit(".", 1)[-1] != "__main__":  # running the CLI is not importing it
        importlib.import_module(mod.name)
        assert "streamlit" not in sys.modules, f"{mod.name} pulled in streamlit"
print("pure")
"""


def test_importing_the_engine_does_not_import_streamlit():
    # A fresh interpreter: this test process may already hold streamlit from other tests.
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pure"
