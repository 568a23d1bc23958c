"""Serve the app through gunicorn (production settings, loopback only) and measure pages against
a trivial view, as `make bench SCALE=national` reports them.

Each page is measured in rounds interleaved with the trivial view (logged in, like the pages):
the ratio is the page's requests per second over the trivial view's in the same round, and the
reported ratio is the median over the rounds. Load comes from a small bounded Python load
generator in this process, or from wrk (Debian's `wrk` package) with BENCH_LOAD=wrk; wrk keeps
connections alive, which gunicorn's sync workers do not support (it then counts no requests), so
use it with a threaded worker class. Every request goes to 127.0.0.1 and every loop is bounded in
count and time."""

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from django.conf import settings

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %f %f %f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


@dataclass
class Run:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving ccgtrack on a free loopback port, as `make serve` does."""

    def __init__(self, database_url, workers=2, worker_class=None, threads=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "ccgtrack.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
        ]
        if worker_class:
            command += ["--worker-class", worker_class]
        if threads:
            command += ["--threads", str(threads)]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ccgtrack.settings_bench",
            "DATABASE_URL": database_url,
            # The same key as this process, which logs the benchmark user in: the session's auth
            # hash is signed with it.
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    stderr = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise RuntimeError(stderr[-2000:]) from None
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start within 60 s")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def load(url, cookie, seconds, connections):
    """Requests per second, p50 and p95 latency for ``url`` under ``connections`` clients."""
    if os.environ.get("BENCH_LOAD") == "wrk" and shutil.which("wrk"):
        return _wrk(url, cookie, seconds, connections)
    return _python_load(url, cookie, seconds, connections)


def _wrk(url, cookie, seconds, connections):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "-s", script.name]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        out = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 90).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"BENCH (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no result for {url}: {out[-500:]}")
    requests, duration, p50, p95, errors = match.groups()
    return Run(int(requests) / float(duration), float(p50), float(p95), int(errors))


def _python_load(url, cookie, seconds, connections):
    match = re.match(r"http://([^:/]+):(\d+)(.*)", url)
    if match is None:
        raise ValueError(f"Not a http://host:port/ URL: {url}")
    host, port, path = match.groups()
    latencies, errors, lock = [], [0], threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                ok = False
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                errors[0] += not ok
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return Run(len(latencies) / elapsed, statistics.median(latencies), quantiles[18], errors[0])


def compare(server, path, cookie, *, rounds=3, seconds=4, connections=4):
    """The page against the trivial view, interleaved: (median ratio, page runs, trivial runs)."""
    page_runs, trivial_runs, ratios = [], [], []
    for _ in range(rounds):
        trivial = load(server.url + "/bench/ok/", cookie, seconds, connections)
        page = load(server.url + path, cookie, seconds, connections)
        trivial_runs.append(trivial)
        page_runs.append(page)
        ratios.append(page.rps / trivial.rps if trivial.rps else 0.0)
    return statistics.median(ratios), page_runs, trivial_runs


def _worker_rss_mb(server):
    """Resident memory of each gunicorn worker (the master's children), in MB."""
    children = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
    ).stdout.split()
    sizes = {}
    for pid in children:
        try:
            status = open(f"/proc/{pid}/status").read()  # noqa: SIM115
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes[pid] = int(match.group(1)) / 1024
    return sizes


def single(server, path, cookie):
    """One request read to the end: (seconds, bytes, largest worker memory growth in MB)."""
    before = _worker_rss_mb(server)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
    seconds = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    after = _worker_rss_mb(server)
    growth = max((after[pid] - before.get(pid, after[pid]) for pid in after), default=0.0)
    return seconds, size, growth
