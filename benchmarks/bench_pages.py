"""Page run times with AppTest (no browser), and the 12-megapixel upload's time and memory.

- Every page: a first run with cold caches (the first visitor after a start), a first run with
  warm caches (any later visitor), a rerun after each of a few widget changes at the defaults
  (values not cached yet), and a rerun with nothing changed. Medians of several repetitions;
  ratios to the warm first run. Goal: a widget change at the defaults well under 1 s.
- "Your image" with a generated 4000x3000 JPEG, through the page's file uploader: the time
  from the uploaded bytes to the output maps, and the peak extra memory, as resident memory
  (the process's high-water mark above its resident size before the upload) and as the peak
  traced by tracemalloc (NumPy and Python allocations; not Pillow's decoder buffers).
  Goal: under 2 s and under 600 MB. The engine alone on the same bytes (load_image,
  feature_stack, reduction_weights, pointwise at the page's defaults) is measured as its peer:
  the difference is what Streamlit and the page's figures add. Each upload measurement runs
  in a fresh process, so memory freed by earlier work cannot hide the peak.

AppTest runs the script in this process: the times leave out the browser and the network
(see ``load.py`` for those). Run as ``python benchmarks/bench_pages.py [--repeat N]`` from the
repository root.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
import streamlit.logger  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

streamlit.logger.set_log_level("ERROR")  # AppTest's bare-mode warnings are expected

import conv_engine as ce  # noqa: E402
from ui.common import PAGES  # noqa: E402
from ui.image_input import UPLOAD  # noqa: E402

TIMEOUT = 120
RERUN_GOAL = 1.0  # s: a widget change at the defaults
UPLOAD_GOAL = 2.0  # s: 12 megapixels from upload to maps
UPLOAD_MEM_GOAL = 600  # MB of extra memory for it
WORK_SIDE = 512  # what the page asks ui.image_input.pick_image for
ORIENTATIONS, SCALES, K = 4, 2, 3  # the page's defaults

Change = Callable[[AppTest], object]
# Page -> widget changes at the defaults, applied one after the other. Pages not listed here
# (every page of ui.common.PAGES is measured) get the runs without a change.
CHANGES: dict[str, list[tuple[str, Change]]] = {
    "app_pages/arithmetic.py": [
        ("preset -> padding_strides",
         lambda at: at.selectbox(key="preset").set_value("padding_strides")),
        ("labels off", lambda at: at.toggle(key="labels").set_value(False)),
        # Stepping happens in the browser's player (no rerun); a new case draws all its steps.
        ("preset -> numerical_padding_strides",
         lambda at: at.selectbox(key="preset").set_value("numerical_padding_strides")),
    ],
    "app_pages/depth.py": [
        ("filters C_out 3 -> 4", lambda at: at.number_input(key="cout").set_value(4)),
        ("show the numbers", lambda at: at.toggle(key="dnum").set_value(True)),
    ],
    "app_pages/your_image.py": [
        ("k 3 -> 5", lambda at: at.slider(key="k").set_value(5)),
        ("weights -> random", lambda at: at.selectbox(key="method").set_value("random")),
        ("ReLU on", lambda at: at.toggle(key="relu").set_value(True)),
    ],
    "app_pages/network_in_network.py": [
        ("hidden units 8 -> 4", lambda at: at.slider(key="hidden").set_value(4)),
        ("blocks 2 -> 3", lambda at: at.slider(key="blocks").set_value(3)),
    ],
    "app_pages/inception.py": [
        ("module -> 4a", lambda at: at.selectbox(key="module").set_value("4a")),
    ],
}


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def _app(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(page)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def _timed_run(at: AppTest, what: str) -> float:
    t0 = time.perf_counter()
    at.run()
    t = time.perf_counter() - t0
    if at.exception or at.error:
        msgs = [e.value for e in at.exception] + [e.value for e in at.error]
        raise RuntimeError(f"{what}: the page showed an error: {msgs[0]!s:.300}")
    return t


def page_times(page: str, repeat: int) -> dict[str, float]:
    """Median seconds of each kind of run of one page (first repetition discarded)."""
    times: dict[str, list[float]] = {}
    for i in range(repeat + 1):
        _clear_caches()
        gc.collect()
        row = {"first run, cold caches": _timed_run(_app(page), f"{page} cold")}
        at = _app(page)
        row["first run, warm caches"] = _timed_run(at, f"{page} warm")
        for label, change in CHANGES.get(page, []):
            change(at)
            row[f"change: {label}"] = _timed_run(at, f"{page} {label}")
        row["rerun, nothing changed"] = _timed_run(at, f"{page} rerun")
        if i:  # the first repetition pays for imports and one-off set-up
            for k, v in row.items():
                times.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in times.items()}


def bench_pages(repeat: int) -> None:
    print(f"Page runs (AppTest, median of {repeat}; ratios to the same page's warm first run)")
    worst_change = 0.0
    for page in [path for path, *_ in PAGES]:
        t = page_times(page, repeat)
        warm = t["first run, warm caches"]
        print(f"  {page.removeprefix('app_pages/')}")
        for label, v in t.items():
            ratio = "" if label == "first run, warm caches" else f"{v / warm:7.2f} x warm"
            print(f"    {label:<36}{v * 1e3:8.0f} ms {ratio}")
            if label.startswith("change"):
                worst_change = max(worst_change, v)
    verdict = "met" if worst_change < RERUN_GOAL else "NOT met"
    print(f"  slowest change at the defaults, any page: {worst_change * 1e3:.0f} ms "
          f"(goal < {RERUN_GOAL * 1e3:.0f} ms: {verdict})")


# --------------------------------------------------------------------------- 12 megapixels


def photo(width: int, height: int, seed: int, fmt: str = "JPEG") -> bytes:
    """A photograph-like image (smooth shapes, stripes, fine texture) encoded as fmt.

    PNGs get less grain, so that a 12-megapixel one stays under the app's 20 MB upload limit.
    """
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    grain = 8 if fmt == "JPEG" else 2
    a = np.empty((height, width, 3), np.uint8)
    for c in range(3):
        f1, f2, f3 = rng.uniform(3, 40, 3)
        v = 128 + 50 * np.sin(f1 * x + c) * np.cos(f2 * y) + 30 * np.sin(f3 * (x + y) * 8)
        v += rng.normal(0, grain, (height, width)).astype(np.float32)
        a[..., c] = np.clip(v, 0, 255)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def _status_mib(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    """Reset the kernel's resident high-water mark of this process (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _measure(fn: Callable[[], object]) -> dict[str, float]:
    """Seconds and peak extra resident MiB of one call, then peak traced MiB of a second one."""
    gc.collect()
    base = _status_mib("VmRSS")
    resettable = _reset_peak()
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    rss = _status_mib("VmHWM") - base if resettable else float("nan")
    return {"seconds": seconds, "rss_mib": rss}


def _traced(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _read_images() -> tuple[bytes, bytes]:
    """Two images sent by the parent on stdin (8-byte big-endian length before each), so that
    generating them does not leave freed memory behind in the measuring process."""
    data = sys.stdin.buffer.read()
    n = int.from_bytes(data[:8], "big")
    return data[8 : 8 + n], data[16 + n :]


def child_page(fmt: str) -> dict[str, float]:
    """In a fresh process: upload two new 12 MP images through the page (time+RSS, traced)."""
    ext, mime = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}[fmt]
    first, second = _read_images()
    at = _app("app_pages/your_image.py", **{"img-image": UPLOAD})
    at.run()
    small = photo(640, 480, 0, fmt)  # warm-up: imports, fonts, figures, caches
    at.file_uploader(key="img-upload").set_value((f"small.{ext}", small, mime)).run()

    def upload(data: bytes) -> Callable[[], object]:
        def run() -> None:
            at.file_uploader(key="img-upload").set_value((f"photo.{ext}", data, mime))
            _timed_run(at, "12 MP upload")
            # Figure captions and notes are small body text (``:small[...]``).
            text = " ".join(m.value for m in at.markdown if m.value.startswith(":small["))
            if "output maps" not in text or "from 3000 x 4000" not in text:
                raise RuntimeError(f"no output maps of the upload: {text!r:.300}")
        return run

    out = _measure(upload(first))
    out["traced_mib"] = _traced(upload(second))
    return out


def child_engine(fmt: str) -> dict[str, float]:
    """In a fresh process: the engine alone on two new 12 MP images (time+RSS, traced)."""
    first, second = _read_images()

    def pipeline(data: bytes) -> Callable[[], object]:
        def run() -> np.ndarray:
            img = ce.load_image(data, work_side=WORK_SIDE)
            fs = ce.feature_stack(img.rgb, orientations=ORIENTATIONS, scales=SCALES)
            w, b = ce.reduction_weights(fs, K, "pca")
            return ce.pointwise(fs.maps, w, b)
        return run

    pipeline(photo(640, 480, 0, fmt))()  # warm-up
    out = _measure(pipeline(first))
    out["traced_mib"] = _traced(pipeline(second))
    return out


def _in_child(kind: str, fmt: str, images: tuple[bytes, bytes]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    payload = b"".join(len(d).to_bytes(8, "big") + d for d in images)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--format", fmt], input=payload,
        cwd=ROOT, env=env, capture_output=True, timeout=600,
    )
    if proc.returncode:
        raise RuntimeError(f"{kind} child failed:\n{proc.stderr.decode()[-2000:]}")
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def bench_upload(repeat: int, fmt: str, goal: bool) -> None:
    images = photo(4000, 3000, 1, fmt), photo(4000, 3000, 2, fmt)
    runs = {kind: [_in_child(kind, fmt, images) for _ in range(repeat)]
            for kind in ("page", "engine")}
    med = {kind: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for kind, rs in runs.items()}
    page, engine = med["page"], med["engine"]
    print(f"12-megapixel upload: 4000x3000 {fmt} ({len(images[0]) / 1e6:.1f} MB), working "
          f"size 512x384, {ORIENTATIONS} orientations x {SCALES} scales, PCA k={K} "
          f"(median of {repeat} fresh processes)")
    print(f"  {'':<30}{'time':>10}{'extra RSS':>12}{'traced peak':>13}")
    for label, m in (("page: upload bytes -> maps", page), ("engine only", engine)):
        print(f"  {label:<30}{m['seconds'] * 1e3:7.0f} ms{m['rss_mib']:8.0f} MiB"
              f"{m['traced_mib']:9.0f} MiB")
    print(f"  page / engine: {page['seconds'] / engine['seconds']:.2f} x time, "
          f"{page['traced_mib'] / engine['traced_mib']:.2f} x traced peak")
    if goal:
        mb = page["rss_mib"] * 2**20 / 1e6
        ok_t, ok_m = page["seconds"] < UPLOAD_GOAL, mb < UPLOAD_MEM_GOAL
        print(f"  12 MP {fmt} upload goal: < {UPLOAD_GOAL:g} s ({'met' if ok_t else 'NOT met'}: "
              f"{page['seconds'] / UPLOAD_GOAL:.2f} of it) and < {UPLOAD_MEM_GOAL} MB extra "
              f"({'met' if ok_m else 'NOT met'}: {mb:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per page (median)")
    parser.add_argument("--upload-repeat", type=int, default=3,
                        help="fresh processes per 12 MP measurement (median)")
    parser.add_argument("--child", choices=["page", "engine"], help=argparse.SUPPRESS)
    parser.add_argument("--format", default="JPEG", choices=["JPEG", "PNG"],
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fn = child_page if args.child == "page" else child_engine
        print(json.dumps(fn(args.format)))
        return
    print(f"streamlit {st.__version__}, numpy {np.__version__}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    bench_pages(args.repeat)
    bench_upload(args.upload_repeat, "JPEG", goal=True)
    bench_upload(args.upload_repeat, "PNG", goal=False)


if __name__ == "__main__":
    main()
