"""A lecture hall without browsers: many light WebSocket clients open a page at once.

A browser on this 2-core machine costs more CPU than the server's work for it, so the browser
load run (load.py) cannot reach a class of 200. Each client here does what a browser's first
visit does on the wire: it opens Streamlit's WebSocket, asks for one page with a query string
(a Convolution arithmetic case: by default one of 60, so the caches cannot serve everyone
the same answer; ``--cases 1``: everyone opens the teacher's one link), and waits for the
script-finished message. Exceptions in the page count as failures. It measures the time from
connecting to "finished", the server CPU seconds per session and the resident memory of each
replica.

Run from the repository root:

    python benchmarks/ws_load.py --replicas 2 --sessions 200        # nginx + 2 replicas
    python benchmarks/ws_load.py --replicas 0 --sessions 50         # one server, no proxy
    python benchmarks/ws_load.py --cases 1                          # one shared link

All traffic stays on 127.0.0.1: the servers are started for the run and stopped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets  # noqa: E402  (a dependency of Streamlit's server)
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from deploy.serve_replicas import serve  # noqa: E402
from tests.browser_support import free_port, streamlit_server  # noqa: E402

PAGE = "arithmetic"


@dataclass
class Visit:
    ok: bool
    seconds: float
    error: str = ""


CASES = 60  # heights 3..32 and two strides


def query(i: int, cases: int = CASES) -> str:
    """Client ``i``'s custom case, one of ``cases`` (at most 60): heights 3..32, then stride 2."""
    j = i % cases
    return f"mode=custom&ih={3 + j % 30}&stride={1 + (j // 30) % 2}"


async def visit(ws_url: str, i: int, timeout: float, cases: int = CASES) -> Visit:
    """Open the page as a new session and wait until its script has finished."""
    t0 = time.perf_counter()
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                      open_timeout=timeout) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = query(i, cases)
            msg.rerun_script.page_name = PAGE
            await ws.send(msg.SerializeToString())
            exceptions = 0
            async with asyncio.timeout(timeout):
                while True:
                    fwd = ForwardMsg()
                    fwd.ParseFromString(await ws.recv())
                    kind = fwd.WhichOneof("type")
                    if kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "exception":
                        exceptions += 1
                    if kind == "script_finished":
                        break
            if exceptions:
                return Visit(False, time.perf_counter() - t0, f"{exceptions} exception(s)")
            return Visit(True, time.perf_counter() - t0)
    except Exception as e:  # a refused, dropped or timed-out session is a failed visit
        return Visit(False, time.perf_counter() - t0, f"{type(e).__name__}: {e}")


async def run(ws_url: str, sessions: int, ramp: float, timeout: float,
              cases: int = CASES) -> list[Visit]:
    """``sessions`` visits, started evenly over ``ramp`` seconds, all in flight together."""

    async def later(i: int) -> Visit:
        await asyncio.sleep(ramp * i / max(1, sessions))
        return await visit(ws_url, i, timeout, cases)

    return list(await asyncio.gather(*(later(i) for i in range(sessions))))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of processes (from /proc)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def report(visits: list[Visit], wall: float, cpu: float, rss: list[float]) -> str:
    ok = [v.seconds for v in visits if v.ok]
    failed = [v for v in visits if not v.ok]
    lines = [f"sessions: {len(visits)}, served: {len(ok)}, failed: {len(failed)}, "
             f"wall {wall:.1f} s"]
    if ok:
        q = statistics.quantiles(ok, n=20) if len(ok) > 1 else [ok[0]] * 19
        lines.append(f"time to page ready: median {statistics.median(ok):.2f} s, "
                     f"p95 {q[18]:.2f} s, max {max(ok):.2f} s")
    lines.append(f"server CPU: {cpu:.1f} s in all, {cpu / max(1, len(visits)):.3f} s per "
                 "session")
    lines.append("resident memory per replica: " + ", ".join(f"{m:.0f} MiB" for m in rss))
    per = cpu / max(1, len(visits))
    lines.append(f"goal: every session served ({'met' if not failed else 'missed'}); server CPU "
                 f"per session <= 0.5 s ({'met' if per <= 0.5 else 'missed'})")
    for v in failed[:5]:
        lines.append(f"  failed after {v.seconds:.1f} s: {v.error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2,
                        help="replicas behind nginx; 0: one server without a proxy")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="seconds over which the sessions start")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--cases", type=int, default=CASES,
                        help=f"distinct cases the clients open (1..{CASES}); 1: one shared link")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 1000:
        parser.error("sessions must be 1..1000")
    if not 1 <= args.cases <= CASES:
        parser.error(f"cases must be 1..{CASES}")

    def measure(url: str, pids: list[int]) -> int:
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        asyncio.run(visit(ws_url, 0, args.timeout))  # warm: the first run imports the page
        cpu0, t0 = cpu_seconds(pids), time.perf_counter()
        visits = asyncio.run(run(ws_url, args.sessions, args.ramp, args.timeout, args.cases))
        wall = time.perf_counter() - t0
        print(f"{args.sessions} clients, {args.cases} distinct case(s), {len(pids)} server(s)")
        print(report(visits, wall, cpu_seconds(pids) - cpu0, [rss_mib(p) for p in pids]))
        return 0 if all(v.ok for v in visits) else 1

    if args.replicas == 0:
        with streamlit_server("ws-load") as url:
            import subprocess

            pid = int(subprocess.run(["pgrep", "-n", "-f", f"server.port {url.rsplit(':', 1)[1]}"],
                                     capture_output=True, text=True).stdout.split()[0])
            return measure(url, [pid])
    with serve(args.replicas, free_port()) as cluster:
        return measure(cluster.url, [p.pid for p in cluster.replicas.values()])


if __name__ == "__main__":
    sys.exit(main())
