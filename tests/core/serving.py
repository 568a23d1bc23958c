"""ccgtrack served for real, for the fault test and the /healthz measurement: a private
PostgreSQL server (pgserver, in a temporary directory: never the machine's shared one),
gunicorn started as `make serve` starts it (DEBUG off, ccgtrack/gunicorn.conf.py), and a
bounded load from threads, on loopback only.

    .venv/bin/python -m tests.core.serving [--sync] [--seconds 20] [--users 50]

measures /healthz while 50 users load pages, with the gthread workers of `make serve` or
(--sync) gunicorn's sync workers, and prints p50/p95 (README "Serving").
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "serving-test-password-1"  # noqa: S105  (a throwaway account in a throwaway database)


class PrivatePostgres:
    """A PostgreSQL server of the caller's own, deleted by close(). pgserver runs it as its own
    system user when started by root (PostgreSQL refuses root), as the caller otherwise, and
    listens on a Unix socket in its data directory only."""

    def __init__(self):
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver

        self._pgserver = pgserver
        self.directory = Path(tempfile.mkdtemp(prefix="ccgtrack-pg-"))
        self.server = pgserver.get_server(self.directory / "pgdata", cleanup_mode="delete")

    def create_database(self, name):
        self.server.psql(f"CREATE DATABASE {name};")
        return self.server.get_uri(name)

    def stop(self):
        """Stop the server as an operator would (fast shutdown: sessions are ended)."""
        self._pgserver.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=30
        )

    def start(self):
        with self.server._lock:
            self.server.ensure_postgres_running()

    def close(self):
        try:
            self.server.cleanup()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def production_env(database_url, static_root, **extra):
    """The environment of `make serve` on a production machine, for loopback HTTP."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DEBUG_PAGES", "DEMO_LOGINS", "DJANGO_SETTINGS_MODULE", "TRUSTED_PROXY_COUNT"}
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="serving-test-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; everything else as in production
        STATIC_ROOT=str(static_root),
        DJANGO_SETTINGS_MODULE="ccgtrack.settings",
    )
    env.update(extra)
    return env


def collect_static(static_root):
    """Start collectstatic, which needs no database: begun first, it runs while PostgreSQL starts."""
    env = production_env("postgres://unused@127.0.0.1:1/unused", static_root)
    return subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def prepare(env, *, seed=False, collecting=None):
    """Migrate, collect the static files (unless `collecting` is that already under way) and
    create the admin `serving` (seed: and load the seed data)."""
    collecting = collecting or collect_static(env["STATIC_ROOT"])
    script = (
        "from django.core.management import call_command; call_command('migrate', verbosity=0); "
        + ("call_command('load_seed', verbosity=0); " if seed else "")
        + "from django.contrib.auth import get_user_model; "
        + f"get_user_model().objects.create_superuser('serving', 'serving@example.org', {PASSWORD!r})"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    output, _ = collecting.communicate(timeout=180)
    if collecting.returncode:
        raise RuntimeError(f"collectstatic failed: {output.decode()}")


class PreparedSite:
    """ccgtrack migrated and seeded once in a private PostgreSQL, with the admin `serving` and
    the static files collected: where the served tests start (the ``prepared_site`` fixture,
    tests/core/conftest.py, one per test process). Migrating, seeding and collecting cost about
    half a minute of CPU; each test module takes a copy of the database instead
    (``CREATE DATABASE ... TEMPLATE``, well under a second), so no module sees another's writes."""

    TEMPLATE = "prepared"

    def __init__(self):
        self.static_root = Path(tempfile.mkdtemp(prefix="ccgtrack-static-"))
        self.postgres = None
        self.copies = 0
        collecting = collect_static(self.static_root)
        try:
            self.postgres = PrivatePostgres()
            env = production_env(self.postgres.create_database(self.TEMPLATE), self.static_root)
            prepare(env, seed=True, collecting=collecting)
        except BaseException:
            if collecting.poll() is None:
                collecting.kill()
                collecting.wait()
            self.close()
            raise

    def database(self):
        """A new database, a copy of the prepared one; its URL."""
        self.postgres.start()  # running, even after a test that stopped it
        self.copies += 1
        name = f"copy_{self.copies}"
        self.postgres.server.psql(f"CREATE DATABASE {name} TEMPLATE {self.TEMPLATE};")
        return self.postgres.server.get_uri(name)

    def close(self):
        if self.postgres:
            self.postgres.close()
        shutil.rmtree(self.static_root, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Result:
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    headers: dict
    body: bytes
    started: float


def request(port, path, *, cookie=None, method="GET", body=None, headers=None, timeout=30):
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    all_headers = {"Host": "127.0.0.1", **(headers or {})}
    if cookie:
        all_headers["Cookie"] = cookie
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        content = response.read()
        return Result(
            response.status, time.monotonic() - started, dict(response.getheaders()), content, started
        )
    except OSError:
        return Result(0, time.monotonic() - started, {}, b"", started)
    finally:
        connection.close()


def _cookies(result):
    return dict(re.findall(r"(\w+)=([^;]*)", result.headers.get("Set-Cookie", "")))


def login(port, username="serving", password=PASSWORD):
    """Sign in through the login form; returns the Cookie header of the session. (The cookies
    are Secure, as in production, so they are carried by hand over plain HTTP.)"""
    page = request(port, "/accounts/login/")
    csrf = _cookies(page)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()
    answer = request(
        port,
        "/accounts/login/",
        method="POST",
        body=urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        cookie=f"csrftoken={csrf}",
    )
    if answer.status != 302:
        raise RuntimeError(f"login failed: {answer.status} {answer.body[:300]!r}")
    return f"csrftoken={csrf}; sessionid={_cookies(answer)['sessionid']}"


class Gunicorn:
    """gunicorn as `make serve` runs it, on a free loopback port, its output in a file."""

    def __init__(self, env, extra_args=()):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="ccgtrack-gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "ccgtrack" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while request(self.port, "/healthz", timeout=5).status != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start:\n{self.output()}")
            time.sleep(0.2)

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()

    def close(self):
        self.stop()
        Path(self.log.name).unlink(missing_ok=True)


def run_load(port, paths, *, cookie, users, requests=None, seconds=None, timeout=30):
    """`users` threads, each requesting `paths` in turn until `requests` in all have been made
    or `seconds` have passed (whichever is given; both bound the load)."""
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds if seconds else None
    remaining = [requests if requests is not None else float("inf")]

    def user(n):
        i = n
        while deadline is None or time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            result = request(port, paths[i % len(paths)], cookie=cookie, timeout=timeout)
            i += 1
            with lock:
                results.append(result)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(sync=False, seconds=20.0, users=50):
    static_root = Path(tempfile.mkdtemp(prefix="ccgtrack-static-"))
    collecting = collect_static(static_root)
    postgres = server = None
    try:
        postgres = PrivatePostgres()
        env = production_env(postgres.create_database("ccgtrack"), static_root)
        prepare(env, seed=True, collecting=collecting)
        worker_args = ["--worker-class", "sync", "--workers", "3"] if sync else []
        server = Gunicorn(env, worker_args)
        cookie = login(server.port)
        pages = ["/dashboard/", "/deliverables/", "/risks/", "/dashboard/nhs-dorset-ccg/", "/plans/1/"]
        probes = []

        def probe():
            end = time.monotonic() + seconds
            time.sleep(2)  # let the page load build up first
            while time.monotonic() < end:
                probes.append(request(server.port, "/healthz", timeout=60))
                time.sleep(0.2)

        probers = [threading.Thread(target=probe) for _ in range(3)]  # three load balancers
        for prober in probers:
            prober.start()
        page_results = run_load(server.port, pages, cookie=cookie, users=users, seconds=seconds, timeout=60)
        for prober in probers:
            prober.join()
        times = [p.seconds for p in probes]
        page_times = [r.seconds for r in page_results]
        model = "sync workers x3" if sync else "gthread (make serve: ccgtrack/gunicorn.conf.py)"
        print(f"{model}, {users} users loading pages for {seconds:.0f} s")
        print(
            f"  /healthz: {len(times)} probes, p50 {percentile(times, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(times, 0.95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
            f"statuses {sorted({p.status for p in probes})}"
        )
        print(
            f"  pages: {len(page_results)} in {seconds:.0f} s ({len(page_results) / seconds:.1f}/s), "
            f"p50 {statistics.median(page_times):.2f} s, p95 {percentile(page_times, 0.95):.2f} s, "
            f"statuses {sorted({r.status for r in page_results})}"
        )
    finally:
        if collecting.poll() is None:
            collecting.kill()
            collecting.wait()
        if server:
            server.close()
        if postgres:
            postgres.close()
        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sync", action="store_true", help="gunicorn's sync workers (3), as before")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=50)
    arguments = parser.parse_args()
    measure(sync=arguments.sync, seconds=arguments.seconds, users=arguments.users)
