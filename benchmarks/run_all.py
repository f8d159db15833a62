"""Run every benchmark script and write BENCHMARKS.md: the machine, then each script's figures.

Every ``benchmarks/bench_*.py``, then ``load.py`` (one server, then through nginx and 2 replicas)
and ``ws_load.py``, runs in its own process with
this interpreter and the repository root on PYTHONPATH, one after the other so that they do
not compete for the CPU. Each script's printed figures go into the report verbatim, under the
command that produced them. A script that fails (non-zero exit or timeout) gets a section
saying so, with the end of its error output, and this script then exits with status 1.

Run as ``python benchmarks/run_all.py`` (``make bench``) from the repository root;
``--only NAME ...`` runs some scripts and writes their sections alone.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
LIBRARIES = ("numpy", "streamlit", "pillow", "imageio", "matplotlib", "scipy", "playwright")
TIMEOUT = 45 * 60  # s per script
TAIL = 40  # lines of a failed script's error output kept in the report
# Scripts run a second time with arguments, each in a section of its own:
# script -> (arguments, what that run shows instead of the docstring's first paragraph).
VARIANTS = {
    "load.py": (("--replicas", "2", "--sessions", "6", "--rounds", "2"),
                "The browser load run through nginx and 2 replicas (deploy/serve_replicas.py), "
                "plus copied Convolution arithmetic links opened in fresh browsers: fewer "
                "sessions than the one-server run, so that it ends in about 3 minutes on 2 "
                "cores."),
    "ws_load.py": (("--cases", "1"),
                   "The same lecture hall of light clients when everyone opens the teacher's one "
                   "link: what a session costs once its case is drawn."),
}


@dataclass
class Outcome:
    script: Path
    command: str
    seconds: float
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    args: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def name(self) -> str:
        return " ".join([self.script.name, *self.args])


def scripts() -> list[tuple[Path, tuple[str, ...]]]:
    """bench_*.py in name order, then the load runs: load.py (browsers, the longest; again
    with its VARIANTS arguments) and ws_load.py (a lecture hall of light clients through
    nginx). Each with the arguments to run it with."""
    found = [(p, ()) for p in sorted(HERE.glob("bench_*.py"))]
    for n in ("load.py", "ws_load.py"):
        if (HERE / n).exists():
            found.append((HERE / n, ()))
            if n in VARIANTS:
                found.append((HERE / n, VARIANTS[n][0]))
    return found


def summary(script: Path, args: tuple[str, ...] = ()) -> str:
    """The first paragraph of a script's docstring, on one line (a variant's own line)."""
    if args:
        return VARIANTS[script.name][1]
    try:
        doc = ast.get_docstring(ast.parse(script.read_text())) or ""
    except SyntaxError:
        return ""
    return " ".join(doc.split("\n\n")[0].split())


def run(script: Path, args: tuple[str, ...] = ()) -> Outcome:
    rel = script.relative_to(ROOT).as_posix()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, rel, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        code = None
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr
        err = (err or "") + f"\ntimed out after {TIMEOUT} s"
    return Outcome(script, " ".join(["python", rel, *args]), time.perf_counter() - t0, code,
                   out or "", err or "", args)


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _memory_gib() -> str:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        try:
            out = subprocess.run([name, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.split()
        except (OSError, subprocess.TimeoutExpired):
            continue
        return next((w for w in out if w[:1].isdigit()), "unknown version")
    return "absent"


def machine() -> list[str]:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    libs = [f"{name} {_version(name)}" for name in LIBRARIES]
    torch = _version("torch") if importlib.util.find_spec("torch") else "absent"
    libs.append(f"torch {torch}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return [
        f"- CPU cores: {cores} ({usable} usable by this process)",
        f"- Memory: {_memory_gib()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}",
        f"- Libraries: {', '.join(libs)}",
        f"- Chromium (for the load run): {_chromium()}",
        f"- Load average when the run started: {load:.1f} (figures are noisier above the "
        f"core count)",
    ]


def section(o: Outcome) -> list[str]:
    name = o.name
    lines = [f"## {name}", ""]
    if summary(o.script, o.args):
        lines += [summary(o.script, o.args), ""]
    status = ("ok" if o.ok else "timed out" if o.returncode is None
              else f"FAILED (exit status {o.returncode})")
    lines += [f"Command: `{o.command}` ({o.seconds:.0f} s, {status})", ""]
    if o.stdout.strip():
        lines += ["```text", o.stdout.rstrip(), "```", ""]
    if not o.ok:
        tail = o.stderr.rstrip().splitlines()[-TAIL:]
        if tail:
            lines += [f"**{name} failed.** The end of its error output:", "", "```text",
                      *tail, "```", ""]
        else:
            lines += [f"**{name} failed** without error output: its figures above say what "
                      "missed its goal.", ""]
    return lines


def goals(outcomes: list[Outcome]) -> list[str]:
    """Every printed line that states a goal, by script: the figures against their targets."""
    lines = []
    for o in outcomes:
        hits = [" ".join(ln.split()) for ln in o.stdout.splitlines() if "goal" in ln.lower()]
        if not o.ok:
            hits.append("the script FAILED: see its section")
        lines += [f"- {o.name}: {h}" for h in hits]
    return lines


def report(outcomes: list[Outcome], started: dt.datetime, partial: bool = False) -> str:
    failed = [o.name for o in outcomes if not o.ok]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`python benchmarks/run_all.py`) on "
        f"{started:%Y-%m-%d %H:%M} UTC; do not edit by hand, run it again when figures move. "
        "Times are medians; ratios compare with a peer measured in the same run (PyTorch when "
        "importable, NumPy's own bandwidth, the guide's GIF bytes, a warm page run, the engine "
        "alone), so they travel between machines better than the absolute figures.",
        "",
        "## Machine",
        "",
        *machine(),
        "",
    ]
    if partial:
        lines += ["Partial run: only " + ", ".join(o.name for o in outcomes) + ".", ""]
    if failed:
        lines += [f"**Failed: {', '.join(failed)}.**", ""]
    lines += ["## Goals at a glance", "", *(goals(outcomes) or ["(no goals printed)"]), ""]
    for o in outcomes:
        lines += section(o)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="script names to run (e.g. bench_pages.py); default: all")
    parser.add_argument("--out", default="BENCHMARKS.md", help="report file, relative to the "
                        "repository root")
    args = parser.parse_args()
    todo = scripts()
    if args.only:
        wanted = {n if n.endswith(".py") else f"{n}.py" for n in args.only}
        unknown = wanted - {s.name for s, _ in todo}
        if unknown:
            parser.error(f"unknown scripts: {', '.join(sorted(unknown))}")
        todo = [(s, a) for s, a in todo if s.name in wanted]
    started = dt.datetime.now(dt.UTC)
    outcomes = []
    for script, script_args in todo:
        print(f"running {' '.join([script.name, *script_args])} ...", flush=True)
        o = run(script, script_args)
        print(f"  {'ok' if o.ok else 'FAILED'} in {o.seconds:.0f} s", flush=True)
        outcomes.append(o)
    out = ROOT / args.out
    out.write_text(report(outcomes, started, partial=bool(args.only)))
    failed = [o.name for o in outcomes if not o.ok]
    print(f"wrote {out.relative_to(ROOT)}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
