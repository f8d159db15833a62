"""Many users at once: one real server, concurrent headless-Chromium sessions, several rounds.

Every round, each of N sessions (a fresh browser context: a new visitor) does what a student
in a class would do:

1. opens the convolution-arithmetic page on a guide preset;
2. turns it into a custom case and changes the input height (a different height per session,
   so the sessions do not all hit one cached GIF);
3. downloads the GIF and checks that the bytes are a GIF;
4. goes to "Your image" through the navigation, picks "Upload your own..." and uploads a PNG
   generated for that session and round (so every upload is new to the server's caches),
   and waits for the output maps;
5. downloads the output maps as a PNG and checks its bytes.

A step counts as ready when its content is on the page and the script has finished running;
browsers and server share this machine's cores, so the times include the browsers' own work.
Any exception box or error alert, a download that fails or is not what it claims to be, or a
timeout fails the session.

Memory: the server's resident memory (its process and any children, from /proc) is sampled
during each round (peak), read when the round ends, and read again once the round's closed
sessions have expired (settled). The server keeps a closed session (its state, uploads and
media) for ``server.disconnectedSessionTTL`` seconds, 120 by default; this run shortens that
to ``--session-ttl`` so that the settled reading after every round is affordable. Settled
memory must not keep growing from round to round: caches are bounded and nothing large
outlives a session. Resident memory also counts what the C allocator keeps for reuse after
Python has freed it, which grows with the number of threads that allocated. The server runs
with ``MALLOC_ARENA_MAX=2``, as ``make run`` starts it, unless this script's environment sets
it: ``MALLOC_ARENA_MAX=16 python benchmarks/load.py`` shows glibc's default on 2 cores.

All traffic goes to a server on 127.0.0.1 started for the run and stopped after it.
Run as ``python benchmarks/load.py [--sessions 10] [--rounds 3]`` from the repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import shutil
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser_support import CHROMIUM_FLAGS, READY, ROOT, streamlit_server  # noqa: E402

STEPS = ("open arithmetic", "change a setting", "open your image", "upload to maps")
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
MAPS = re.compile(r"The \d+ output maps")
PRESET = "padding_strides"  # i=5, k=3, p=1, s=2: the formula shows the input height
# Settled memory may rise by this much from the second round to the last and still count as
# flat: caches filling their last entries, allocator noise.
GROWTH_TOLERANCE = 0.10
SESSION_TTL = 15  # s; Streamlit's default is 120
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Session:
    """One visitor's run through the steps: ready times (s), GIF size, or what went wrong."""

    sid: int
    round: int
    times: dict[str, float] = field(default_factory=dict)
    gif_bytes: int = 0
    png_bytes: int = 0  # the output maps downloaded after the upload
    error: str | None = None
    missing_media: list[str] = field(default_factory=list)  # /media/ files answered 404


@dataclass
class Round:
    """A round's sessions, the server's memory (MiB) and the CPU time spent (s)."""

    number: int
    sessions: list[Session]
    seconds: float
    peak_rss: float
    end_rss: float
    settled_rss: float | None
    server_cpu: float
    machine_cpu: float
    probe_error: str | None = None  # the visit that lets expired sessions go, if it failed


@dataclass
class LoadResult:
    rounds: list[Round]
    start_rss: float
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)

    @property
    def sessions(self) -> list[Session]:
        return [s for r in self.rounds for s in r.sessions]

    @property
    def failures(self) -> list[str]:
        """What went wrong: failed sessions and failed memory probes, one line each."""
        return ([f"round {s.round} session {s.sid}: {s.error}"
                 for s in self.sessions if s.error is not None]
                + [f"round {r.number} memory probe: {r.probe_error}"
                   for r in self.rounds if r.probe_error])


# --------------------------------------------------------------------------- server memory


def _children(pid: int) -> list[int]:
    """Direct children of a process, from /proc/<pid>/task/*/children or a scan of /proc."""
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(c) for c in f.read().split()]
        return kids
    except OSError:
        pass
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(name))
    return kids


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def _status_kib(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in KiB (VmRSS, VmHWM); 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_pid() -> int:
    """The streamlit server started by streamlit_server(): our child running streamlit."""
    for pid in _children(os.getpid()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"streamlit" in f.read():
                    return pid
        except OSError:
            continue
    raise RuntimeError("the streamlit server process was not found among our children")


class MemorySampler:
    """Samples the resident memory of a process tree in a thread; ``peak()`` since ``reset()``."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        """Current RSS of the tree in KiB."""
        return sum(_status_kib(p, "VmRSS") for p in _tree(self.pid))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._peak = max(self._peak, self.rss())

    def reset(self) -> None:
        self._peak = self.rss()

    def peak(self) -> int:
        return max(self._peak, self.rss())

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def mib(kib: int) -> float:
    return kib / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process tree so far, in seconds."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time spent not idle by the whole machine so far, over all cores, in seconds."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


# --------------------------------------------------------------------------- one visitor


def photo_png(seed: int, width: int = 1024, height: int = 768) -> bytes:
    """A photograph-like PNG (smooth shapes, stripes, a little noise), different per seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    a = np.empty((height, width, 3), np.float32)
    for c in range(3):
        fx, fy, ph = rng.uniform(0.005, 0.05, 2).tolist() + [rng.uniform(0, 6.3)]
        a[..., c] = 128 + 60 * np.sin(fx * x + ph) * np.cos(fy * y) + 40 * (x / width - 0.5)
    cx, cy, r = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height, height / 4
    a[(x - cx) ** 2 + (y - cy) ** 2 < r * r] *= 0.5
    a += rng.normal(0, 6, a.shape).astype(np.float32)
    buf = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


async def _ready(page, timeout: float) -> None:
    await page.wait_for_selector(READY, timeout=timeout)


async def _settle(page, timeout: float) -> None:
    """Let a rerun triggered by the last widget start, then wait for it to finish."""
    await page.wait_for_timeout(300)
    await page.wait_for_selector(READY, timeout=timeout)


async def _no_errors(page, step: str) -> None:
    n = await page.locator(ERRORS).count()
    if n:
        text = " ".join((await page.locator(ERRORS).first.inner_text()).split())
        raise AssertionError(f"{n} error box(es) after {step!r}: {text[:300]}")


async def _download(page, button: str, magic: bytes, suffix: str) -> int:
    """Click a download button; the file's size once its bytes and name are checked."""
    async with page.expect_download() as info:
        await page.get_by_role("button", name=button).click()
    download = await info.value
    failure = await download.failure()
    if failure:  # Chromium reports an HTTP error (a 404 from /media/) as "canceled"
        raise AssertionError(f"the browser reports the download {failure}: the server "
                             "answered with an error, e.g. 404 for a media file it no "
                             "longer keeps")
    data = Path(await download.path()).read_bytes()
    if not data.startswith(magic):
        raise AssertionError(f"the download does not start {magic!r}: {data[:8]!r}")
    if not download.suggested_filename.endswith(suffix):
        raise AssertionError(f"the download is named {download.suggested_filename!r}")
    return len(data)


async def visitor(browser, url: str, sid: int, rnd: int, png: bytes,
                  timeout: float = 120_000) -> Session:
    """One session through the four steps; never raises, records the failure instead."""
    s = Session(sid, rnd)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800},
                                    accept_downloads=True)
    step = "start"
    try:
        page = await ctx.new_page()
        page.set_default_timeout(timeout)
        page.on("response", lambda r: s.missing_media.append(r.url.rsplit("/", 1)[-1])
                if r.status == 404 and "/media/" in r.url else None)

        step = STEPS[0]
        t0 = time.perf_counter()
        await page.goto(f"{url}/arithmetic?preset={PRESET}")
        await page.get_by_role("button", name="Download GIF").wait_for()
        await _ready(page, timeout)
        s.times[step] = time.perf_counter() - t0
        await _settle(page, timeout)
        await _no_errors(page, step)

        step = STEPS[1]
        await page.get_by_role("button", name="Edit as a custom case").click()
        await page.wait_for_url(re.compile("mode=custom"))
        await _settle(page, timeout)
        ih = 6 + (sid + 3 * rnd) % 10
        expected = f"⌊({ih} + 2·1 - 3)/2⌋ + 1 = {(ih - 1) // 2 + 1}"
        height = page.get_by_label("Input height")
        t0 = time.perf_counter()
        await height.fill(str(ih))
        await height.press("Enter")
        await page.locator("[data-testid='stCode']", has_text=expected).first.wait_for()
        await _ready(page, timeout)
        s.times[step] = time.perf_counter() - t0
        await _settle(page, timeout)
        await _no_errors(page, step)
        if f"ih={ih}" not in page.url:
            raise AssertionError(f"input height {ih} is not in the URL {page.url}")

        step = "download the GIF"
        s.gif_bytes = await _download(page, "Download GIF", b"GIF89a", ".gif")

        step = STEPS[2]
        t0 = time.perf_counter()
        await page.locator("[data-testid='stSidebarNav'] a", has_text="Your image").first.click()
        await page.get_by_text(MAPS).first.wait_for()
        await _ready(page, timeout)
        s.times[step] = time.perf_counter() - t0
        await _settle(page, timeout)
        await _no_errors(page, step)

        step = STEPS[3]
        await page.get_by_role("combobox", name="Image").click()
        await page.get_by_role("option", name="Upload your own…").click()
        await page.locator("input[type=file]").wait_for(state="attached")
        await _settle(page, timeout)
        if await page.get_by_text(MAPS).count():
            raise AssertionError("output maps still shown before anything was uploaded")
        t0 = time.perf_counter()
        await page.locator("input[type=file]").set_input_files(
            {"name": f"photo-{rnd}-{sid}.png", "mimeType": "image/png", "buffer": png})
        await page.get_by_text("your image:").first.wait_for()
        await page.get_by_text(MAPS).first.wait_for()
        await _ready(page, timeout)
        s.times[step] = time.perf_counter() - t0
        await _settle(page, timeout)
        await _no_errors(page, step)

        step = "download the maps"
        s.png_bytes = await _download(page, "Download the output maps (PNG)", PNG_MAGIC, ".png")
    except Exception as e:  # a failed session is a finding, not a crash of the run
        first = (str(e).strip().splitlines() or [""])[0]
        s.error = f"{step}: {type(e).__name__}: {first[:200]}"
    finally:
        await ctx.close()
    return s


async def probe(browser, url: str, timeout: float = 60_000) -> None:
    """A short visit to the home page: a session closing makes the server drop expired ones."""
    ctx = await browser.new_context()
    try:
        page = await ctx.new_page()
        await page.goto(url)
        await page.wait_for_selector(READY, timeout=timeout)
    finally:
        await ctx.close()


# --------------------------------------------------------------------------- the run


async def _round(browser, url: str, rnd: int, sessions: int, mem: MemorySampler,
                 round_timeout: float, settle: float | None, size: tuple[int, int]) -> Round:
    pngs = [photo_png(1000 * rnd + i, *size) for i in range(sessions)]
    mem.reset()
    cpu0, busy0, t0 = cpu_seconds(mem.pid), machine_busy_seconds(), time.perf_counter()
    tasks = [visitor(browser, url, i, rnd, pngs[i]) for i in range(sessions)]
    try:
        done = list(await asyncio.wait_for(asyncio.gather(*tasks), round_timeout))
    except TimeoutError:
        done = [Session(i, rnd, error=f"round timed out after {round_timeout:.0f} s")
                for i in range(sessions)]
    seconds = time.perf_counter() - t0
    cpu, busy = cpu_seconds(mem.pid) - cpu0, machine_busy_seconds() - busy0
    await asyncio.sleep(2)  # let the server finish what the last sessions started
    peak, end = mib(mem.peak()), mib(mem.rss())
    settled = probe_error = None
    if settle is not None:
        await asyncio.sleep(settle)
        try:
            await probe(browser, url)
        except Exception as e:  # the reading is still taken, but the probe's failure shows
            probe_error = f"{type(e).__name__}: {e}"[:200]
        await asyncio.sleep(3)
        settled = mib(mem.rss())
    return Round(rnd, done, seconds, peak, end, settled, cpu, busy, probe_error)


async def _run(url: str, exe: str, sessions: int, rounds: int, mem: MemorySampler,
               round_timeout: float, settle: float | None, size: tuple[int, int],
               log) -> LoadResult:
    from playwright.async_api import async_playwright

    result = LoadResult([], mib(mem.rss()))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS,
                                          headless=True)
        try:
            for rnd in range(1, rounds + 1):
                r = await _round(browser, url, rnd, sessions, mem, round_timeout, settle, size)
                result.rounds.append(r)
                ok = sum(s.error is None for s in r.sessions)
                log(f"  round {rnd}: {ok}/{sessions} ok in {r.seconds:.1f} s; server RSS "
                    f"peak {r.peak_rss:.0f} MiB, at end {r.end_rss:.0f} MiB"
                    + (f", settled {r.settled_rss:.0f} MiB" if r.settled_rss else ""))
        finally:
            await browser.close()
    return result


def run_load(url: str, exe: str, *, sessions: int, rounds: int, round_timeout: float = 900,
             settle: float | None = None, image_size: tuple[int, int] = (1024, 768),
             log=print) -> LoadResult:
    """Drive ``sessions`` concurrent visitors for ``rounds`` rounds against the server at url;
    each uploads a generated PNG of ``image_size`` (width, height).

    With ``settle``, wait that long after each round (longer than the server's session TTL),
    make one short visit so that expired sessions are dropped, and read the memory again.
    """
    with MemorySampler(server_pid()) as mem:
        return asyncio.run(_run(url, exe, sessions, rounds, mem, round_timeout, settle,
                                image_size, log))


def growth(result: LoadResult) -> tuple[float, float] | None:
    """Settled RSS change from the second round to the last (MiB, fraction); None without
    settled readings or with fewer than three rounds (round 1 includes the warm-up: imports,
    first cache entries)."""
    rs = result.rounds
    if len(rs) < 3 or rs[1].settled_rss is None or rs[-1].settled_rss is None:
        return None
    a, b = rs[1].settled_rss, rs[-1].settled_rss
    return b - a, (b - a) / a


def report(result: LoadResult, sessions: int) -> bool:
    """Print the figures; True when every session was served without error and memory is flat."""
    all_s = result.sessions
    ok = [s for s in all_s if s.error is None]
    times = [t for s in all_s for t in s.times.values()]
    print(f"sessions served without error: {len(ok)}/{len(all_s)} "
          f"({sessions} concurrent x {len(result.rounds)} rounds; goal: all)")
    for r in result.rounds:
        n = sum(s.error is None for s in r.sessions)
        ts = [t for s in r.sessions for t in s.times.values()]
        spread = (f"; page-ready median {statistics.median(ts):.2f} s, worst {max(ts):.2f} s"
                  if ts else "")
        print(f"  round {r.number}: {n}/{sessions} in {r.seconds:.1f} s{spread}")
    for failure in result.failures:
        print(f"  FAILED {failure}")
    if times:
        print(f"page-ready time, all steps: median {statistics.median(times):.2f} s, "
              f"worst {max(times):.2f} s  ({len(times)} page loads and reruns)")
        print(f"  {'step':<18}{'median':>9}{'worst':>9}{'n':>5}")
        for step in STEPS:
            ts = [s.times[step] for s in all_s if step in s.times]
            if ts:
                print(f"  {step:<18}{statistics.median(ts):8.2f}s{max(ts):8.2f}s{len(ts):5d}")
    missing = [m for s in all_s for m in s.missing_media]
    if missing:
        print(f"media files (images) answered 404 to the browsers: {len(missing)} "
              f"({len(set(missing))} distinct; a rerun may replace an image being fetched)")
    for kind, sizes in (("GIF", [s.gif_bytes for s in all_s if s.gif_bytes]),
                        ("maps PNG", [s.png_bytes for s in all_s if s.png_bytes])):
        if sizes:
            print(f"{kind} downloads: {len(sizes)}, each checked (magic bytes, file name), "
                  f"{min(sizes):,}..{max(sizes):,} bytes")
    print(f"CPU time per round (s; {result.cores} cores): the server's, and the whole "
          "machine's (browsers, server, anything else running)")
    for r in result.rounds:
        cap = r.seconds * result.cores
        print(f"  round {r.number}: server {r.server_cpu:6.1f} ({r.server_cpu / cap:4.0%} of "
              f"the cores), machine {r.machine_cpu:6.1f} ({r.machine_cpu / cap:4.0%}); server "
              f"{r.server_cpu / sessions:.1f} s per session")
    print(f"server memory (RSS of the streamlit process tree, MiB); before round 1: "
          f"{result.start_rss:.0f}")
    print(f"  {'round':<7}{'peak':>8}{'at end':>9}{'settled':>9}")
    for r in result.rounds:
        settled = f"{r.settled_rss:9.0f}" if r.settled_rss is not None else f"{'-':>9}"
        print(f"  {r.number:<7}{r.peak_rss:8.0f}{r.end_rss:9.0f}{settled}")
    print("  (peak: sampled every 0.1 s during the round; at end: with the round's closed "
          "sessions still kept; settled: after they expired)")
    g = growth(result)
    flat = True
    if g is None:
        print("memory growth: needs 3 rounds or more with settled readings to judge")
    else:
        flat = g[1] <= GROWTH_TOLERANCE
        print(f"memory growth, settled, round 2 -> round {len(result.rounds)}: {g[0]:+.0f} MiB "
              f"({g[1]:+.1%}); {'flat' if flat else 'GROWING'} "
              f"(goal: at most {GROWTH_TOLERANCE:+.0%})")
    return not result.failures and flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (3+ to judge growth)")
    parser.add_argument("--session-ttl", type=int, default=SESSION_TTL,
                        help="seconds the server keeps a closed session (its default: 120)")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.rounds <= 10:
        parser.error("sessions must be 1..50 and rounds 1..10")
    if not 1 <= args.session_ttl <= 300:
        parser.error("session-ttl must be 1..300 s")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("Chromium is not installed (Debian package 'chromium'); the load run needs it")
    (ROOT / "test-output").mkdir(exist_ok=True)
    # As in production: no watching of source files (which reloads changed modules in the
    # middle of a run). Closed sessions expire sooner, so that memory can settle every round.
    os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(args.session_ttl)
    print(f"{args.sessions} concurrent headless-Chromium sessions x {args.rounds} rounds "
          f"against one local server; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start; closed sessions kept {args.session_ttl} s")
    print("each session: arithmetic page -> custom case, change input height -> download GIF "
          "-> Your image -> upload a 1024x768 PNG -> output maps -> download them as PNG")
    t0 = time.perf_counter()
    with streamlit_server("load-benchmark") as url:
        result = run_load(url, exe, sessions=args.sessions, rounds=args.rounds,
                          settle=args.session_ttl + 5, log=lambda m: print(m, flush=True))
    print(f"total {time.perf_counter() - t0:.0f} s")
    ok = report(result, args.sessions)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
