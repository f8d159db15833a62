"""The installable package: the wheel carries the engine, its samples and the conv-engine
command; installed into a fresh venv it works from any folder; the declared dependencies
are exactly what the code imports, and requirements.txt agrees with pyproject.toml.

The wheel is built without build isolation and installed without an index, against the
packages of the interpreter running the tests: fast, and no network needed.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

import conv_engine as ce

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
# Needed at run time without being imported: imageio's MP4 writer finds ffmpeg through it.
USED_THROUGH_IMAGEIO = {"imageio-ffmpeg"}
# The code that is run: the installable engine, and the app that runs from the checkout.
ENGINE = [ROOT / "conv_engine"]
APP = [ROOT / "ui", ROOT / "app_pages", ROOT / "app.py"]


def _name(requirement: str) -> str:
    """The normalised project name of a requirement such as 'Pillow>=12.2,<14'."""
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _normalised(requirement: str) -> str:
    """A requirement with its name normalised and its version clauses sorted."""
    name = _name(requirement)
    rest = requirement.strip()[len(name):].replace(" ", "")
    return name + ",".join(sorted(rest.split(",")))


def _requirements(path: Path) -> tuple[set[str], list[str]]:
    """(requirements, included files) of a requirements file; comments dropped."""
    reqs, included = set(), []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            included.append(line[2:].strip())
        elif line:
            reqs.add(_normalised(line))
    return reqs, included


def _third_party_imports(paths: list[Path]) -> set[str]:
    """Distributions of the modules imported anywhere in ``paths`` (also inside functions),
    besides the standard library and the project's own packages."""
    own = {"conv_engine", "ui", "app_pages"}
    found = set()
    for base in paths:
        for path in [base] if base.is_file() else sorted(base.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    modules = found - set(sys.stdlib_module_names) - own - {"__future__"}
    dists = packages_distributions()
    missing = sorted(m for m in modules if m not in dists)
    assert not missing, f"imported but not installed: {missing}"
    return {_name(dists[m][0]) for m in modules}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package's wheel, built from a copy of what it is made of (the checkout stays
    free of build/ and *.egg-info, and the build needs nothing else)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "conv_engine", src / "conv_engine",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "--wheel-dir", str(base / "dist"), str(src)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (built,) = (base / "dist").glob("*.whl")
    return built


def test_wheel_holds_the_engine_its_samples_and_the_command(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = z.read(f"{info}/entry_points.txt").decode()
        metadata = z.read(f"{info}/METADATA").decode()
    for path in [*ce.SAMPLES.values(), ce.images.ASSETS / "README.md"]:
        assert f"conv_engine/samples/{path.name}" in names
    assert {"conv_engine/__main__.py", "conv_engine/render/scene.py"} <= names
    assert {n.split("/")[0] for n in names} == {"conv_engine", info}  # no app, no tests
    assert re.search(r"^\[console_scripts\]\s*^conv-engine = conv_engine\.__main__:main$",
                     entry_points, re.M)
    required = {_normalised(line.split(":", 1)[1]) for line in metadata.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert required == {_normalised(r) for r in PROJECT["dependencies"]}


def test_installed_package_works_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    # The venv sees this interpreter's packages (NumPy, Pillow, imageio...) after its own, so
    # nothing is downloaded; only the wheel is installed into it.
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        text=True).strip())
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "outer.pth").write_text("\n".join(paths) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def run(*argv) -> str:
        done = subprocess.run([*argv], cwd=work, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    out = run(env_dir / "bin" / "conv-engine", "gallery", "--out", "g")
    assert out.splitlines()[-1].startswith("wrote 19 GIFs")
    assert sorted(p.name for p in (work / "g").iterdir()) == sorted(f"{n}.gif"
                                                                     for n in ce.PRESETS)
    assert "(4 frames of " in run(env_dir / "bin" / "conv-engine", "render", "--input", "4",
                                  "--out", "a.mp4")
    assert (work / "a.mp4").read_bytes()[4:8] == b"ftyp"
    out = run(python, "-c", "import conv_engine as ce; print(ce.__file__); "
                            "print(ce.load_sample('Coffee cup').working_size)")
    where, size = out.splitlines()
    assert Path(where).is_relative_to(site)  # the installed copy, not the checkout
    assert size == "(600, 400)"


def test_requirements_agree_with_pyproject():
    extras = PROJECT["optional-dependencies"]
    app, app_included = _requirements(ROOT / "requirements.txt")
    assert app == {_normalised(r) for r in [*PROJECT["dependencies"], *extras["app"]]}
    assert app_included == []
    dev, dev_included = _requirements(ROOT / "requirements-dev.txt")
    assert dev == {_normalised(r) for r in extras["dev"]}
    assert dev_included == ["requirements.txt"]


def test_every_runtime_dependency_is_bounded():
    for requirement in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["app"]]:
        assert re.search(r">=?\s*\d", requirement) and "<" in requirement, requirement


def test_declared_dependencies_are_exactly_what_the_code_imports():
    engine = {_name(r) for r in PROJECT["dependencies"]}
    app = {_name(r) for r in PROJECT["optional-dependencies"]["app"]}
    assert _third_party_imports(ENGINE) == engine - USED_THROUGH_IMAGEIO
    assert _third_party_imports(ENGINE + APP) == (engine | app) - USED_THROUGH_IMAGEIO

