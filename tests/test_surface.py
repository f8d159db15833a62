"""The package's public surface is what the app, the command line and the benchmarks use from
it, no more: every other name is imported from its module (tests do so too), so the surface
cannot silently regrow. ``conv_engine.trace`` is the function; the module is ``traces``."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType

import conv_engine as ce
from conv_engine import traces

ROOT = Path(__file__).resolve().parents[1]
# Code that reaches the engine through ``import conv_engine as ce``.
USERS = [ROOT / "app.py", ROOT / "app_pages", ROOT / "ui", ROOT / "benchmarks", ROOT / "deploy"]
CLI = ROOT / "conv_engine" / "__main__.py"


def _used_as_ce() -> set[str]:
    """Every NAME of a ``ce.NAME`` in the users' source."""
    found = set()
    for base in USERS:
        for path in [base] if base.is_file() else sorted(base.rglob("*.py")):
            found |= set(re.findall(r"\bce\.([A-Za-z_]\w*)", path.read_text(encoding="utf-8")))
    return found


def _imported_by_cli() -> set[str]:
    """The engine names the command line imports (it lives in the package, so it imports them
    from their modules)."""
    tree = ast.parse(CLI.read_text(encoding="utf-8"))
    return {a.asname or a.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level for a in node.names}


def test_every_public_name_resolves_once():
    assert len(ce.__all__) == len(set(ce.__all__))
    missing = [name for name in ce.__all__ if not hasattr(ce, name)]
    assert missing == []


def test_every_public_name_is_used_by_the_app_the_cli_or_the_benchmarks():
    unused = sorted(set(ce.__all__) - _used_as_ce() - _imported_by_cli())
    assert unused == []


def test_everything_the_app_and_the_benchmarks_use_is_there():
    used = _used_as_ce()
    assert sorted(name for name in used if not hasattr(ce, name)) == []
    modules = {name for name in used if isinstance(getattr(ce, name), ModuleType)}
    assert sorted(used - modules - set(ce.__all__)) == []


def test_modules_read_as_attributes():
    assert isinstance(ce.images, ModuleType)


def test_trace_is_the_function_and_no_module_shadows_it():
    assert inspect.isfunction(ce.trace) and ce.trace is traces.trace
    assert importlib.util.find_spec("conv_engine.trace") is None
