"""The app served for the benchmark as `make serve` serves it: gunicorn with
ccgtrack/gunicorn.conf.py (gthread workers, WEB_CONCURRENCY x WEB_THREADS), the production
settings (DEBUG off) plus the trivial views every page is compared with (bench/settings.py), on
a free loopback port."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving ccgtrack on a free loopback port, as `make serve` does."""

    def __init__(self, database_url, workers=None, threads=None, keepalive=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(Path(settings.BASE_DIR) / "ccgtrack" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--access-logfile",
            "/dev/null",
        ]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            # The same key as this process, which logs the benchmark's users in: the session's
            # auth hash is signed with it.
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
        }
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        if threads:
            env["WEB_THREADS"] = str(threads)
        if keepalive is not None:
            env["WEB_KEEPALIVE"] = str(keepalive)
        self.workers = int(env.get("WEB_CONCURRENCY", 3))
        self.threads = int(env.get("WEB_THREADS", 2))
        self.keepalive = env.get("WEB_KEEPALIVE", "the default")
        self.process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(stderr[-2000:])
            if len(self._answering()) >= self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn's {self.workers} workers did not all start within 60 s")

    def _answering(self) -> set[str]:
        """The workers that answer a burst of new connections. The master listens before its
        workers have loaded the app; measuring then would hand every kept-alive connection
        to the workers that happened to be ready, and leave the others idle for the run (a
        kept-alive connection stays with the worker that accepted it)."""
        connections, pids = [], set()
        try:
            for _ in range(4 * self.workers * self.threads):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/bench/worker/", headers={"Connection": "close"})
                connections.append(conn)
            for conn in connections:
                response = conn.getresponse()
                if response.status == 200:
                    pids.add(response.read().decode())
        except OSError:
            pass
        finally:
            for conn in connections:
                conn.close()
        return pids

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


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
