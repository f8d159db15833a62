"""Many users at once: concurrent headless-Chromium sessions on a real server (or nginx and
replicas), several rounds.

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
Python has freed it, which grows with the number of threads that allocated and with glibc's
mmap threshold (raised as large buffers are freed, after which they stay in its heap). The
server runs with ``MALLOC_ARENA_MAX=2`` and ``MALLOC_MMAP_THRESHOLD_=1048576``, as ``make run``
starts it, unless this script's environment sets them (``MALLOC_ARENA_MAX=16 python
benchmarks/load.py`` shows glibc's default number of arenas on 2 cores).

Through a balancer: ``--replicas N`` starts nginx and N replicas (deploy/serve_replicas.py)
for the run and sends every browser through nginx; ``--url URL`` drives a deployment that is
already running (``make serve-replicas``) and measures its replicas if their supervisor,
serve_replicas.py, runs on this machine (found in /proc by the port of URL). Each round then
also opens a few copied "Convolution arithmetic" links (``--links``), each in a fresh browser,
and checks that the page shows that link's case. The server figures are summed over the
replicas, and the memory is also given per replica.

After each round the caches' contents are read from every server's ``/_stcore/metrics``
(Python-level sizes of each st.cache_data and st.cache_resource function, session state,
media files and uploads), to tell data that is kept from memory the allocator holds.

Unless ``--url`` is given, all traffic goes to servers on 127.0.0.1 started for the run and
stopped after it. Run from the repository root as
``python benchmarks/load.py [--sessions 10] [--rounds 3]`` (one server) or
``python benchmarks/load.py --replicas 2 --sessions 6 --rounds 2`` (nginx and 2 replicas).
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
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy.serve_replicas import MALLOC_ENV  # noqa: E402
from tests.browser_support import (  # noqa: E402
    CHROMIUM_FLAGS,
    READY,
    ROOT,
    free_port,
    streamlit_server,
)

STEPS = ("open arithmetic", "change a setting", "open your image", "upload to maps")
LINK_STEP = "open a link"
# Copied "Convolution arithmetic" links and a line of the output-size formula that only that
# case shows (the page prints it in its first code block).
LINKS = (
    ("arithmetic?preset=dilation", "k_eff = 2·(3-1)+1 = 5; o = ⌊(i + 2p - k_eff)/s⌋ + 1 = "
                                   "⌊(7 + 2·0 - 5)/1⌋ + 1 = 3"),
    ("arithmetic?mode=custom&ih=9&stride=2", "⌊(9 + 2·1 - 3)/2⌋ + 1 = 5"),
    ("arithmetic?preset=padding_strides_transposed", "(3-1)·2 - 2·1 + 3 + 0 = 5"),
    ("arithmetic?mode=custom&ih=11&dil=2&stride=3", "⌊(11 + 2·1 - 5)/3⌋ + 1 = 3"),
)
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
    link: str | None = None  # a link opening rather than a student's whole visit
    gif_bytes: int = 0
    png_bytes: int = 0  # the output maps downloaded after the upload
    error: str | None = None
    missing_media: list[str] = field(default_factory=list)  # /media/ files answered 404


@dataclass
class Round:
    """A round's sessions, the servers' memory (MiB, summed) and the CPU time spent (s)."""

    number: int
    sessions: list[Session]
    seconds: float
    peak_rss: float
    end_rss: float
    settled_rss: float | None
    server_cpu: float
    machine_cpu: float
    probe_error: str | None = None  # the visit that lets expired sessions go, if it failed
    links: list[Session] = field(default_factory=list)
    replica_rss: list[float] = field(default_factory=list)  # per server, settled or at end
    caches: dict[str, int] | None = None  # bytes per cache, from /_stcore/metrics


@dataclass
class LoadResult:
    rounds: list[Round]
    start_rss: float
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)

    @property
    def sessions(self) -> list[Session]:
        return [s for r in self.rounds for s in r.sessions]

    @property
    def links(self) -> list[Session]:
        return [s for r in self.rounds for s in r.links]

    @property
    def failures(self) -> list[str]:
        """What went wrong: failed sessions, links and memory probes, one line each."""
        return ([f"round {s.round} session {s.sid}: {s.error}"
                 for s in self.sessions if s.error is not None]
                + [f"round {s.round} link {s.link}: {s.error}"
                   for s in self.links if s.error is not None]
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


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").split("\0")
    except OSError:
        return []


def server_pid() -> int:
    """The streamlit server started by streamlit_server(): our child running streamlit."""
    for pid in _children(os.getpid()):
        if any("streamlit" in a for a in _cmdline(pid)):
            return pid
    raise RuntimeError("the streamlit server process was not found among our children")


@dataclass
class Servers:
    """The processes that serve the run: one streamlit server, or a deployment's replicas.

    ``roots`` gives one PID per server (a replica restarted by its supervisor gets a new one:
    hence a function); its children count too. ``direct`` gives each server's own address,
    for the probe that lets expired sessions go and for /_stcore/metrics (nginx closes it).
    """

    roots: Callable[[], list[int]]
    direct: Callable[[], list[str]]

    def rss_each(self) -> list[int]:
        """Current RSS of each server's process tree in KiB."""
        return [sum(_status_kib(p, "VmRSS") for p in _tree(r)) for r in self.roots()]

    def rss(self) -> int:
        return sum(self.rss_each())

    def cpu(self) -> float:
        return sum(cpu_seconds(r) for r in self.roots())


def one_server(url: str) -> Servers:
    pid = server_pid()
    return Servers(lambda: [pid], lambda: [url])


def _port_of(args: list[str]) -> int | None:
    """The value of ``--server.port`` in a streamlit command line."""
    for i, a in enumerate(args):
        if a == "--server.port" and i + 1 < len(args):
            return int(args[i + 1])
        if a.startswith("--server.port="):
            return int(a.split("=", 1)[1])
    return None


def deployment(url: str) -> Servers:
    """The replicas behind ``url``: the ``streamlit`` children of the serve_replicas.py process
    whose ``--port`` is the port of ``url`` (Linux /proc; none when it runs elsewhere)."""
    from deploy.serve_replicas import make_parser

    port = urllib.parse.urlsplit(url).port or 80
    found: list[int] = []  # the supervisor's PID once found; looked for again if it exits

    def supervisor() -> int | None:
        if found and _cmdline(found[0]):
            return found[0]
        found.clear()
        for name in filter(str.isdigit, os.listdir("/proc")):
            args = _cmdline(int(name))
            at = next((i for i, a in enumerate(args) if a.endswith("serve_replicas.py")
                       or a == "deploy.serve_replicas"), None)
            if at is None:
                continue
            known, _ = make_parser().parse_known_args([a for a in args[at + 1:] if a])
            if known.port == port:
                found.append(int(name))
                return found[0]
        return None

    def replicas() -> list[int]:
        sup = supervisor()
        return [] if sup is None else [
            c for c in _children(sup) if any("streamlit" in a for a in _cmdline(c))]

    def direct() -> list[str]:
        ports = [_port_of(_cmdline(pid)) for pid in replicas()]
        return [f"http://127.0.0.1:{p}" for p in ports if p]  # replicas listen on loopback

    return Servers(replicas, direct)


def cache_bytes(urls: list[str]) -> dict[str, int]:
    """Bytes held per cache, summed over the servers at ``urls``, from /_stcore/metrics:
    "st_cache_data:<function>", "st_cache_resource:<function>", "st_session_state", media
    files, uploads (Python-level sizes, not RSS). st.cache_resource and session state are
    entry counts unless the server sets ``server.enableExpensiveMemoryStats``."""
    line = re.compile(r'cache_memory_bytes\{cache_type="([^"]*)",cache="([^"]*)"\} (\d+)')
    total: dict[str, int] = {}
    for url in urls:
        with urllib.request.urlopen(f"{url}/_stcore/metrics?families=cache_memory_bytes",
                                    timeout=120) as r:
            text = r.read().decode()
        for kind, name, n in line.findall(text):
            key = f"{kind}:{name}" if name else kind
            total[key] = total.get(key, 0) + int(n)
    return total


class MemorySampler:
    """Samples the resident memory of the servers in a thread; ``peak()`` since ``reset()``."""

    def __init__(self, servers: Servers, every: float = 0.1) -> None:
        self.servers, self.every = servers, every
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        """Current RSS of the servers in KiB."""
        return self.servers.rss()

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
        s.error = f"{step}: {_failure(e)}"
    finally:
        await ctx.close()
    return s


def _failure(e: Exception) -> str:
    """An exception as one short line for the report: its type and first line."""
    first = (str(e).strip().splitlines() or [""])[0]
    return f"{type(e).__name__}: {first[:200]}"


async def link_visitor(browser, url: str, sid: int, rnd: int, link: str, expected: str,
                       timeout: float = 120_000) -> Session:
    """A copied link opened in a fresh browser: the page must show that case (a line of its
    output-size formula) and keep it in its URL; never raises."""
    s = Session(sid, rnd, link=link)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = await ctx.new_page()
        page.set_default_timeout(timeout)
        t0 = time.perf_counter()
        await page.goto(f"{url}/{link}")
        await page.locator("[data-testid='stCode']", has_text=expected).first.wait_for()
        await _ready(page, timeout)
        s.times[LINK_STEP] = time.perf_counter() - t0
        await _settle(page, timeout)
        await _no_errors(page, LINK_STEP)
        query = urllib.parse.urlsplit(page.url).query.split("&")
        lost = [kv for kv in link.split("?", 1)[1].split("&") if kv not in query]
        if lost:
            raise AssertionError(f"the URL {page.url} lost {'&'.join(lost)}")
    except Exception as e:  # a failed opening is a finding, not a crash of the run
        s.error = _failure(e)
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


async def _round(browser, url: str, rnd: int, sessions: int, links: int, mem: MemorySampler,
                 round_timeout: float, settle: float | None, size: tuple[int, int]) -> Round:
    pngs = [photo_png(1000 * rnd + i, *size) for i in range(sessions)]
    opened = [LINKS[(rnd * links + j) % len(LINKS)] for j in range(links)]
    servers = mem.servers
    mem.reset()
    cpu0, busy0, t0 = servers.cpu(), machine_busy_seconds(), time.perf_counter()
    tasks = [visitor(browser, url, i, rnd, pngs[i]) for i in range(sessions)]
    tasks += [link_visitor(browser, url, j, rnd, *case) for j, case in enumerate(opened)]
    try:
        done = list(await asyncio.wait_for(asyncio.gather(*tasks), round_timeout))
    except TimeoutError:
        why = f"round timed out after {round_timeout:.0f} s"
        done = ([Session(i, rnd, error=why) for i in range(sessions)]
                + [Session(j, rnd, link=case[0], error=why) for j, case in enumerate(opened)])
    seconds = time.perf_counter() - t0
    # A replica restarted during the round starts its count again: never below zero.
    cpu, busy = max(0.0, servers.cpu() - cpu0), machine_busy_seconds() - busy0
    await asyncio.sleep(2)  # let the server finish what the last sessions started
    peak, end = mib(mem.peak()), mib(mem.rss())
    each = [mib(k) for k in servers.rss_each()]
    settled = probe_error = None
    if settle is not None:
        await asyncio.sleep(settle)
        try:  # every server: expired sessions go when a session of that process closes
            for direct in servers.direct():
                await probe(browser, direct)
        except Exception as e:  # the reading is still taken, but the probe's failure shows
            probe_error = f"{type(e).__name__}: {e}"[:200]
        await asyncio.sleep(3)
        each = [mib(k) for k in servers.rss_each()]
        settled = sum(each)
    caches = None
    try:
        if urls := servers.direct():
            caches = await asyncio.to_thread(cache_bytes, urls)
    except OSError:  # a figure for the report, not a finding about the app
        pass
    return Round(rnd, done[:sessions], seconds, peak, end, settled, cpu, busy, probe_error,
                 links=done[sessions:], replica_rss=each, caches=caches)


async def _run(url: str, exe: str, sessions: int, links: int, rounds: int, mem: MemorySampler,
               round_timeout: float, settle: float | None, size: tuple[int, int],
               log) -> LoadResult:
    from playwright.async_api import async_playwright

    result = LoadResult([], mib(mem.rss()))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS,
                                          headless=True)
        try:
            for rnd in range(1, rounds + 1):
                r = await _round(browser, url, rnd, sessions, links, mem, round_timeout,
                                 settle, size)
                result.rounds.append(r)
                ok = sum(s.error is None for s in r.sessions + r.links)
                log(f"  round {rnd}: {ok}/{sessions + links} ok in {r.seconds:.1f} s; server "
                    f"RSS peak {r.peak_rss:.0f} MiB, at end {r.end_rss:.0f} MiB"
                    + (f", settled {r.settled_rss:.0f} MiB" if r.settled_rss else ""))
        finally:
            await browser.close()
    return result


def run_load(url: str, exe: str, *, sessions: int, rounds: int, links: int = 0,
             servers: Servers | None = None, round_timeout: float = 900,
             settle: float | None = None, image_size: tuple[int, int] = (1024, 768),
             log=print) -> LoadResult:
    """Drive ``sessions`` concurrent visitors, and ``links`` link openings, for ``rounds``
    rounds against the app at url; each visitor uploads a generated PNG of ``image_size``
    (width, height). ``servers``: the processes to measure (default: our child streamlit).

    With ``settle``, wait that long after each round (longer than the server's session TTL),
    make one short visit to each server so that expired sessions are dropped, and read the
    memory again.
    """
    with MemorySampler(servers or one_server(url)) as mem:
        return asyncio.run(_run(url, exe, sessions, links, rounds, mem, round_timeout, settle,
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
    times = [t for s in all_s + result.links for t in s.times.values()]
    print(f"sessions served without error: {len(ok)}/{len(all_s)}, failed: "
          f"{len(all_s) - len(ok)} ({sessions} concurrent x {len(result.rounds)} rounds; "
          "goal: all)")
    if result.links:
        shown = sum(s.error is None for s in result.links)
        print(f"copied links opened in a fresh browser, case shown: {shown}/"
              f"{len(result.links)}, failed: {len(result.links) - shown} (goal: all)")
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
        for step in (*STEPS, LINK_STEP):
            ts = [s.times[step] for s in all_s + result.links if step in s.times]
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
    if not any(r.replica_rss for r in result.rounds):
        print("server CPU and memory: not measured (no server process of this run found on "
              "this machine)")
        return not result.failures
    links = f" ({len(result.rounds[0].links)} link openings included)" if result.links else ""
    print(f"CPU time per round (s; {result.cores} cores): the server's, and the whole "
          "machine's (browsers, server, anything else running)")
    for r in result.rounds:
        cap = r.seconds * result.cores
        print(f"  round {r.number}: server {r.server_cpu:6.1f} ({r.server_cpu / cap:4.0%} of "
              f"the cores), machine {r.machine_cpu:6.1f} ({r.machine_cpu / cap:4.0%}); server "
              f"{r.server_cpu / sessions:.1f} s per session{links}")
    replicas = max(len(r.replica_rss) for r in result.rounds)
    print(f"server memory (RSS of the streamlit process tree{'s' if replicas > 1 else ''}, "
          f"MiB{', summed over the replicas' if replicas > 1 else ''}); before round 1: "
          f"{result.start_rss:.0f}")
    each = "  per replica" if replicas > 1 else ""
    print(f"  {'round':<7}{'peak':>8}{'at end':>9}{'settled':>9}{each}")
    for r in result.rounds:
        settled = f"{r.settled_rss:9.0f}" if r.settled_rss is not None else f"{'-':>9}"
        per = f"  {' / '.join(f'{m:.0f}' for m in r.replica_rss)}" if each else ""
        print(f"  {r.number:<7}{r.peak_rss:8.0f}{r.end_rss:9.0f}{settled}{per}")
    print("  (peak: sampled every 0.1 s during the round; at end: with the round's closed "
          "sessions still kept; settled: after they expired"
          + ("; per replica: settled, or at end without settling" if each else "") + ")")
    _report_caches(result)
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


def _report_caches(result: LoadResult, top: int = 6) -> None:
    rounds = [r for r in result.rounds if r.caches is not None]
    if not rounds:
        return
    print("cache contents after each round (MiB, Python-level sizes from /_stcore/metrics, "
          "summed over the servers): " + ", ".join(
              f"round {r.number} {mib(sum(r.caches.values()) // 1024):.0f}" for r in rounds))
    first, last = rounds[min(1, len(rounds) - 1)], rounds[-1]
    names = sorted(set(first.caches) | set(last.caches),
                   key=lambda n: -last.caches.get(n, 0))[:top]
    print(f"  {'largest at the end':<52}" + "".join(f"{f'round {r.number}':>9}" for r in rounds))
    for name in names:
        print(f"  {name[:52]:<52}" + "".join(
            f"{mib(r.caches.get(name, 0) // 1024):9.1f}" for r in rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (3+ to judge growth)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--replicas", type=int, default=0,
                       help="start nginx and this many replicas (deploy/serve_replicas.py) and "
                       "go through nginx; 0 (default): one server, no proxy")
    where.add_argument("--url", help="drive an already-running deployment at URL (e.g. "
                       "http://127.0.0.1:8080 from make serve-replicas) instead of starting one")
    parser.add_argument("--links", type=int, default=None,
                        help="copied Convolution arithmetic links opened per round, each in a "
                        "fresh browser (default: 3 through a balancer, 0 for one server)")
    parser.add_argument("--session-ttl", type=int, default=None,
                        help=f"seconds a server keeps a closed session; the servers started "
                        f"here are set to it (default {SESSION_TTL}; Streamlit's: 120). With "
                        "--url, the deployment's: memory is then read again that long after "
                        "each round (default: not)")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.rounds <= 10:
        parser.error("sessions must be 1..50 and rounds 1..10")
    if not 0 <= args.replicas <= 8:
        parser.error("replicas must be 0..8")
    balanced = bool(args.replicas or args.url)
    links = args.links if args.links is not None else 3 if balanced else 0
    if not 0 <= links <= 20:
        parser.error("links must be 0..20")
    ttl = args.session_ttl if args.session_ttl is not None or args.url else SESSION_TTL
    if ttl is not None and not 1 <= ttl <= 300:
        parser.error("session-ttl must be 1..300 s")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("Chromium is not installed (Debian package 'chromium'); the load run needs it")
    (ROOT / "test-output").mkdir(exist_ok=True)
    # As in production: no watching of source files (which reloads changed modules in the
    # middle of a run). Closed sessions expire sooner, so that memory can settle every round.
    os.environ["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    for name, value in MALLOC_ENV.items():  # the allocator as `make run` sets it
        os.environ.setdefault(name, value)
    if not args.url:
        os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(ttl)
        # Sizes, not entry counts, for st.cache_resource and session state in the metrics:
        # computed only when the metrics are read, once a round.
        os.environ["STREAMLIT_SERVER_ENABLE_EXPENSIVE_MEMORY_STATS"] = "true"
    against = (f"the deployment at {args.url}" if args.url else
               f"nginx and {args.replicas} local replicas" if args.replicas else
               "one local server")
    kept = f"closed sessions kept {ttl} s" if ttl else "memory not settled between rounds"
    print(f"{args.sessions} concurrent headless-Chromium sessions x {args.rounds} rounds "
          f"against {against}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start; {kept}")
    print("each session: arithmetic page -> custom case, change input height -> download GIF "
          "-> Your image -> upload a 1024x768 PNG -> output maps -> download them as PNG"
          + (f"; and {links} copied links a round, each in a fresh browser" if links else ""))
    run = dict(sessions=args.sessions, rounds=args.rounds, links=links,
               settle=ttl + 5 if ttl else None, log=lambda m: print(m, flush=True))
    t0 = time.perf_counter()
    if args.url:
        servers = deployment(args.url)
        if not servers.roots():
            print(f"no serve_replicas.py for port {urllib.parse.urlsplit(args.url).port} on "
                  "this machine: sessions only, no server figures")
        result = run_load(args.url.rstrip("/"), exe, servers=servers, **run)
    elif args.replicas:
        from deploy.serve_replicas import serve

        with serve(args.replicas, free_port(), run_dir=ROOT / "test-output" / "load-replicas"
                   ) as cluster:
            servers = Servers(lambda: [p.pid for p in cluster.replicas.values()],
                              lambda: [cluster.replica_url(p) for p in cluster.ports])
            result = run_load(cluster.url, exe, servers=servers, **run)
    else:
        with streamlit_server("load-benchmark") as url:
            result = run_load(url, exe, **run)
    print(f"total {time.perf_counter() - t0:.0f} s")
    ok = report(result, args.sessions)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
