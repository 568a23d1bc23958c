"""A small asyncio HTTP/1.1 client for the benchmark: keep-alive connections to the app on
loopback, cookies kept per simulated user, every request bounded in time and every loop in
count and duration. Only 127.0.0.1 is ever spoken to."""

import asyncio
import re
import statistics
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

TIMEOUT = 30.0  # a request not answered by then counts as timed out, as in issue 20's run
HOST = "127.0.0.1"


class Timeout(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


class Connection:
    """One keep-alive connection to the server, reopened when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        started = time.perf_counter()
        try:
            return await asyncio.wait_for(self._request(method, path, headers or {}, body, started), TIMEOUT)
        except TimeoutError:
            await self.close()
            raise Timeout(path) from None

    async def _request(self, method, path, headers, body, started) -> Response:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Connection: keep-alive"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            if body or method == "POST":
                lines.append(f"Content-Length: {len(body)}")
            assert self.writer is not None and self.reader is not None
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            try:
                await self.writer.drain()
                status_line = await self.reader.readline()
            except (ConnectionError, OSError):
                status_line = b""
            if not status_line:  # the server closed a kept-alive connection: open another, once
                await self.close()
                if attempt == 2:
                    raise ConnectionError(f"no answer to {method} {path}")
                continue
            status = int(status_line.split()[1])
            response_headers: dict[str, str] = {}
            cookies: list[str] = []
            while True:
                line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                name, _, value = line.partition(":")
                if name.lower() == "set-cookie":
                    cookies.append(value.strip())
                response_headers[name.lower()] = value.strip()
            response_headers["set-cookie"] = "\n".join(cookies)
            data = await self._body(response_headers)
            if response_headers.get("connection", "").lower() == "close":
                await self.close()
            return Response(status, response_headers, data, time.perf_counter() - started)
        raise AssertionError("unreachable")

    async def _body(self, headers: dict[str, str]) -> bytes:
        assert self.reader is not None
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    return b"".join(parts)
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"]))
        data = await self.reader.read()  # to the end: the server closes
        await self.close()
        return data


class User:
    """A signed-in person: their cookies and one connection."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.connection = Connection(port)
        self.cookies = dict(cookies)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        return {**headers, **(extra or {})}

    def _keep(self, response: Response) -> Response:
        for line in response.headers.get("set-cookie", "").split("\n"):
            if line:
                jar: SimpleCookie = SimpleCookie()
                jar.load(line)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
        return response

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self._keep(await self.connection.request("GET", path, self._headers(headers)))

    async def post(self, path: str, data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        body = urlencode(data).encode()
        extra = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self._keep(await self.connection.request("POST", path, self._headers(extra), body))

    async def close(self) -> None:
        await self.connection.close()


CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(rb'name="version" value="(\d+)"')
SELECTED = re.compile(rb'<select name="status"[^>]*>.*?<option value="([a-z_]+)" selected', re.S)


async def change_status(user: User, deliverable_id: int, statuses: list[str], rng: Any) -> list[Response]:
    """A status change through the edit path, as staff make it in the list: read the
    deliverable's page (its version and the form's token), post the in-place control (HTMX)."""
    page = await user.get(f"/deliverables/{deliverable_id}/")
    token, version = CSRF.search(page.body), VERSION.search(page.body)
    if page.status != 200 or token is None or version is None:
        return [page]
    current = SELECTED.search(page.body)
    choices = [s for s in statuses if current is None or s != current.group(1).decode()]
    posted = await user.post(
        f"/deliverables/{deliverable_id}/status/",
        {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "version": version.group(1).decode(),
            "status": rng.choice(choices),
            "note": "Benchmark: a status change through the edit path.",
        },
        headers={"HX-Request": "true"},
    )
    return [page, posted]


@dataclass
class Run:
    """Latencies of one measured run: requests per second, percentiles, errors."""

    requests: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(p) - 1]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


async def hammer(port: int, path: str, cookies: dict[str, str], seconds: float, connections: int) -> Run:
    """``connections`` clients requesting ``path`` back to back for ``seconds``."""
    run = Run(0, 0.0)
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        user = User(port, cookies)
        try:
            while time.monotonic() < stop_at:
                try:
                    response = await user.get(path)
                except Timeout:
                    run.timeouts += 1
                    continue
                except (ConnectionError, OSError, asyncio.IncompleteReadError):
                    run.errors += 1
                    await user.close()
                    continue
                run.requests += 1
                run.latencies_ms.append(response.seconds * 1000)
                run.errors += response.status != 200
        finally:
            await user.close()

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(connections)))
    run.seconds = time.monotonic() - started
    return run
