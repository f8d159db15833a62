"""The engine never imports streamlit, so it runs (and exports GIFs) without a server; its
modules share only public names."""

from __future__ import annotations

import ast
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


# Private names still imported from another module, each waiting for its home to make it
# public (none now).
PENDING: set[tuple[str, str, str]] = set()


def _private_imports() -> set[tuple[str, str, str]]:
    """(importing module, imported module, name) of every private name one engine module
    imports from another."""
    found = set()
    for path in sorted((ROOT / "conv_engine").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = ".".join(parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if source.split(".")[0] != "conv_engine":
                continue
            found |= {(module, source, a.name) for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")}
    return found


def test_no_engine_module_imports_another_ones_private_names():
    # A name another module needs is public in one place (conv_engine.checks for the
    # argument checks), not reached into.
    assert _private_imports() <= PENDING
