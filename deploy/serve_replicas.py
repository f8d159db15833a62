"""Serve the app from N Streamlit processes behind nginx: one address for a lecture hall.

    python deploy/serve_replicas.py --replicas 4 --port 8080     (or: make serve-replicas N=4)

Each replica is ``streamlit run app.py`` on a loopback port (never reachable from outside);
nginx (Debian's ``nginx`` package) listens on ``--port`` and keeps each browser on one replica
with a cookie (see nginx.conf.template). A supervisor loop restarts a replica that exits;
meanwhile nginx sends its browsers to another replica,
where they reconnect and, since every setting of a case is in its URL, see the same case (an
uploaded image is the exception: it lived in the lost process and must be uploaded again).
Ctrl-C (or SIGTERM) stops nginx and every replica.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
# glibc's allocator as `make run` sets it (see the Makefile): two arenas, and buffers of
# 1 MiB or more mapped on their own so that freeing them gives the memory back.
MALLOC_ENV = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "1048576"}


def healthy(url: str, timeout: float = 2) -> bool:
    """True when ``url``/_stcore/health answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def nginx_config(listen: str, ports: list[int], run_dir: Path, *,
                 debug_headers: bool = False) -> str:
    """The nginx configuration for replicas on 127.0.0.1:``ports``, listening on ``listen``."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"
                        for p in ports)
    # Which replica answered: for the failover test only, it names loopback ports.
    extra = "        add_header X-Replica $upstream_addr always;" if debug_headers else ""
    text = TEMPLATE.read_text()
    for name, value in {"@SERVERS@": servers, "@LISTEN@": listen, "@RUN_DIR@": str(run_dir),
                        "@EXTRA_HEADERS@": extra}.items():
        text = text.replace(name, value)
    return text


@dataclass
class Cluster:
    """Replicas and nginx started by :func:`serve`; ``url`` is nginx's address."""

    url: str
    ports: list[int]
    run_dir: Path
    replicas: dict[int, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None

    def replica_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def start_replica(self, port: int) -> None:
        log = open(self.run_dir / f"replica-{port}.log", "ab")  # noqa: SIM115 - the process's
        self.replicas[port] = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**MALLOC_ENV, **os.environ},
        )

    def stop_replica(self, port: int, sig: int = signal.SIGTERM) -> None:
        """Stop one replica (the failover test kills one with SIGKILL)."""
        proc = self.replicas[port]
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def wait_healthy(self, ports: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for port in ports:
            while not healthy(self.replica_url(port)):
                if self.replicas[port].poll() is not None:
                    raise RuntimeError(f"replica on port {port} exited; see {self.run_dir}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica on port {port} did not become healthy")
                time.sleep(0.3)

    def supervise_once(self) -> list[int]:
        """Restart replicas that exited; the ports restarted."""
        restarted = []
        for port, proc in self.replicas.items():
            if proc.poll() is not None:
                self.start_replica(port)
                restarted.append(port)
        return restarted

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for port in list(self.replicas):
            self.stop_replica(port)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str:
    path = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)
    if path is None:
        raise RuntimeError("nginx is not installed (Debian package 'nginx')")
    return path


@contextmanager
def serve(replicas: int, port: int, *, host: str = "127.0.0.1",
          first_replica_port: int | None = None, run_dir: Path | None = None,
          debug_headers: bool = False, timeout: float = 90) -> Iterator[Cluster]:
    """Start ``replicas`` Streamlit processes and nginx on ``host:port``; stop all on exit."""
    if not 1 <= replicas <= 32:
        raise ValueError(f"replicas must be from 1 to 32, got {replicas}")
    if first_replica_port is None:
        ports = [_free_port() for _ in range(replicas)]
    else:
        ports = list(range(first_replica_port, first_replica_port + replicas))
    tmp = None
    if run_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="conv-replicas-")
        run_dir = Path(tmp.name)
    run_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # nginx started by root runs its workers as "nobody": they write request bodies (every
        # upload) and large responses to temp dirs in run_dir, so they must be able to enter it
        # (a temporary directory is private to its owner: uploads failed with 500).
        run_dir.chmod(run_dir.stat().st_mode | 0o011)
    cluster = Cluster(f"http://{host}:{port}", ports, run_dir)
    try:
        for p in ports:
            cluster.start_replica(p)
        cluster.wait_healthy(ports, timeout)
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config(f"{host}:{port}", ports, run_dir,
                                     debug_headers=debug_headers))
        subprocess.run([nginx_binary(), "-t", "-q", "-c", str(conf), "-p", str(run_dir)],
                       check=True, capture_output=True)
        cluster.nginx = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(run_dir)],
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not healthy(cluster.url):
            if cluster.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start; see {run_dir / 'nginx-error.log'}")
            time.sleep(0.2)
        yield cluster
    finally:
        cluster.stop()
        if tmp is not None:
            tmp.cleanup()


def make_parser() -> argparse.ArgumentParser:
    """The command line; benchmarks/load.py --url also reads a running one's port with it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="Streamlit processes (1-32)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port")
    parser.add_argument("--host", default="0.0.0.0", help="nginx's address (0.0.0.0: all)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with serve(args.replicas, args.port, host=args.host) as cluster:
        print(f"serving {args.replicas} replicas at http://{args.host}:{args.port} "
              f"(replicas on 127.0.0.1, ports {', '.join(map(str, cluster.ports))}); "
              "Ctrl-C stops", flush=True)
        while not stop:
            for p in cluster.supervise_once():
                print(f"replica on port {p} had stopped: restarted", flush=True)
            time.sleep(1)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
