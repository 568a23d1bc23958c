"""Figures and pages cached until the data they show changes: never stale after a write, never
older than a restore, never drawn by another release, and dropped only where a write touched.

The versions a value is keyed by are kept by PostgreSQL (``apps.core.history.data_versions``:
a version per organisation, ``ALL`` and ``GLOBAL``, new at every commit that writes).

A cached value names the scopes it is drawn from (an organisation's dashboard: the organisation;
a list: the organisations at the top of what the viewer may read; an administrator's list: ALL)
and is keyed by the versions of GLOBAL and of those scopes, read when its computation starts (once
per request that only reads). A status change in one CCG gives new versions to the CCG, to the
organisations above it and to ALL: the other CCGs' pages stay as they were cached. Whatever a
value shows must come from the rows of its scopes or from GLOBAL data; a value that shows more
must name more scopes (ALL, at worst).

Inside a transaction the versions do not yet show the transaction's own writes, so ``cached``
computes afresh there and stores nothing. Tests run each test in one transaction that never
commits: they make the trigger immediate (``SET CONSTRAINTS ccgtrack_data_changed IMMEDIATE``,
see tests/conftest.py), so that every statement that writes gives new versions at once.

Every key also carries the release (``RELEASE``: the git commit, else the package version), so a
deploy never serves HTML drawn by the previous release's templates; and today's date, for the
rules read against the day (overdue, due soon). A rule read against the clock ("not updated for
60 days") tells ``valid_until`` when its answer next changes; a value is not served past that.

One miss computes once: the first request to miss takes a lock in the cache and computes; others
wanting the same value meanwhile wait for it (while its lock holds) instead of computing it
again, so after a write every worker thread does not recompute the same dashboard at once.

The cache is Django's (``CACHES``): this process's memory under ``make run``, Redis shared by
every app server when ``REDIS_URL`` is set. The versions live in PostgreSQL, not in the cache, so
a per-process cache is never stale either."""

import datetime
import hashlib
import os
import pickle
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asgiref.local import Local
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.utils import timezone

from apps.core.history.data_versions import ALL, GLOBAL, TABLE

TIMEOUT = 60 * 60  # an hour: entries of old versions are never read again, so they expire
LOCK_SECONDS = 30  # a computation that takes longer than this lets others compute too


def _release() -> str:
    """What identifies this release's code: CCGTRACK_RELEASE if set, else the git commit of the
    checkout, else the package's version."""
    if os.environ.get("CCGTRACK_RELEASE"):
        return os.environ["CCGTRACK_RELEASE"]
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        if commit:
            return commit
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return "ccgtrack-" + version("ccgtrack")
    except PackageNotFoundError:
        return "ccgtrack-unknown"


RELEASE = _release()


# --- Reading the versions -----------------------------------------------------------------------
# A request that only reads (GET, HEAD) reads each scope's version once: its figures, counts and
# options all come from the data as it stood then.
_request = Local()
_frames = Local()


def request_started(environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    method = (environ or {}).get("REQUEST_METHOD", "")
    _request.active = True
    _request.reads_only = method in ("GET", "HEAD")
    _request.versions = {}
    _request.viewer = None
    _request.until = None


def request_finished(**kwargs: Any) -> None:
    _request.active = False
    _request.reads_only = False
    _request.versions = {}
    _request.viewer = None
    _request.until = None


# Who the request's viewer is, as scopes: set by apps.organisations (it knows who reads what).
# Unknown (outside a request, or no such rule registered): ALL, which every write changes.
viewer_scopes_rule: Callable[[Any], list[int] | None] | None = None


class ViewerMiddleware:
    """Remembers the request, so that a cached value that names no scopes of its own is keyed by
    what its viewer may read. After AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        _request.viewer = request
        return self.get_response(request)


def viewer_scopes() -> tuple[int, ...]:
    """The scopes of what the request's user may read: the organisations at the top of it, ALL
    for an administrator (or when there is no request), none for a visitor not signed in."""
    request = getattr(_request, "viewer", None)
    user = getattr(request, "user", None)
    if user is None or viewer_scopes_rule is None:
        return (ALL,)
    if not user.is_authenticated:
        return ()
    roots = viewer_scopes_rule(user)
    return (ALL,) if roots is None else tuple(sorted(set(roots)))


def versions(scopes: tuple[int, ...]) -> tuple[Any, ...]:
    """The server's start and the versions of GLOBAL and ``scopes`` now (one query; in a
    request that only reads, once per scope)."""
    wanted = ("epoch", GLOBAL, *scopes)
    known: dict[Any, Any] = _request.versions if getattr(_request, "reads_only", False) else {}
    missing = [scope for scope in wanted[1:] if scope not in known]
    if missing or "epoch" not in known:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT scope, value::text || '/' || xmin::text FROM {TABLE} WHERE scope = ANY(%s) "
                "UNION ALL SELECT NULL, pg_postmaster_start_time()::text",
                [missing],
            )
            rows = cursor.fetchall()
        found = {("epoch" if scope is None else scope): value for scope, value in rows}
        known.update({scope: found.get(scope) for scope in missing})
        known["epoch"] = found["epoch"]
    return tuple((scope, known[scope]) for scope in wanted)


def data_version(scope: int = ALL) -> tuple[Any, ...]:
    """The version of ``scope`` (and GLOBAL) now: what a value drawn from it is keyed by."""
    return versions((scope,))


def _in_own_transaction() -> bool:
    # A transaction of the code's own (not a test's wrapping one, which never commits).
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def key_of(*parts: Any) -> str:
    return hashlib.sha256(pickle.dumps(parts, protocol=4)).hexdigest()


# --- Values that hold only until a moment --------------------------------------------------------


def valid_until(moment: datetime.datetime | None) -> None:
    """Say that what is being computed holds only until ``moment`` (a rule read against the
    clock): the value being cached, and every value cached later in this request (which may be
    drawn from it, as a page's HTML from its figures), is not served from then on."""
    if moment is None:
        return
    for frame in getattr(_frames, "stack", ()):
        frame[0] = moment if frame[0] is None else min(frame[0], moment)
    if getattr(_request, "active", False):
        _request.until = moment if _request.until is None else min(_request.until, moment)


def _until(frame_until: datetime.datetime | None) -> datetime.datetime | None:
    request_until = getattr(_request, "until", None) if getattr(_request, "active", False) else None
    if frame_until is None or request_until is None:
        return frame_until or request_until
    return min(frame_until, request_until)


# --- The cache ------------------------------------------------------------------------------


_MISSING = object()


def _fresh(entry: Any) -> Any:
    """The value of a cache entry still good now, else _MISSING."""
    if entry is None:
        return _MISSING
    value, until = entry
    if until is not None and timezone.now() >= until:
        return _MISSING
    valid_until(until)
    return value


def cached(name: str, parts: tuple[Any, ...], compute: Callable[[], Any], *, scopes: Any = None) -> Any:
    """``compute()``, from the cache while the data versions of ``scopes`` (organisation pks, ALL
    for every organisation; None: what the request's viewer may read) and of GLOBAL, today's date
    and the release are those it was computed at. ``parts`` must hold everything else the result
    depends on. One computation at a time per key: others wait for its result."""
    if _in_own_transaction():
        return compute()
    scope_key = viewer_scopes() if scopes is None else tuple(sorted(set(scopes)))
    key = f"ccgtrack:{name}:" + key_of(RELEASE, versions(scope_key), timezone.localdate(), *parts)
    value = _fresh(cache.get(key))
    if value is not _MISSING:
        return value
    lock = f"{key}:computing"
    owner = cache.add(lock, 1, LOCK_SECONDS)
    if not owner:
        value = _wait_for(key, lock)
        if value is not _MISSING:
            return value
        owner = cache.add(lock, 1, LOCK_SECONDS)
    try:
        frame: list[Any] = [None]
        stack = getattr(_frames, "stack", None)
        if stack is None:
            stack = _frames.stack = []
        stack.append(frame)
        try:
            value = compute()
        finally:
            stack.pop()
        until = _until(frame[0])
        valid_until(until)
        seconds = TIMEOUT if until is None else min(TIMEOUT, (until - timezone.now()).total_seconds())
        if seconds > 0:
            cache.set(key, (value, until), seconds)
        return value
    finally:
        if owner:
            cache.delete(lock)


def _wait_for(key: str, lock: str) -> Any:
    """The value another request is computing under ``key``, once stored; _MISSING if it gives
    up (its lock gone without a value) or takes longer than LOCK_SECONDS. Waiting while the lock
    is held, however long the computation takes on a busy machine, is cheaper than computing the
    same thing again beside it (the people run of `make bench`: waiters that gave up after 10 s
    and computed too made the slowest requests 18 s)."""
    deadline = time.monotonic() + LOCK_SECONDS
    pause = 0.01
    while time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
        found = cache.get_many([key, lock])
        value = _fresh(found.get(key))
        if value is not _MISSING:
            return value
        if lock not in found:
            return _MISSING
    return _MISSING


def query_key(queryset: Any) -> tuple[str, tuple[Any, ...]]:
    """What identifies a queryset's rows: its SQL and parameters (a queryset that can match
    nothing, ``none()``, has no SQL: it is its own key, and costs no query to compute)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return "EMPTY", (queryset.model._meta.label,)
    return sql, tuple(params)


class CachedPaginator(Paginator):
    """django-tables2's paginator, with the count and each page's rows cached until the
    data changes (``cached``), when the table's rows come from a queryset: a page of a list of
    25,000 rows neither counts them nor sorts them again while nothing was written. The page's
    rows are read by primary key and kept in the cached order. Rows from a list are paged as
    Paginator pages them. Keyed by the viewer's scopes: the rows are those the viewer may read."""

    def _queryset(self):
        # django-tables2 pages its BoundRows, whose data is a TableData over the queryset.
        data = getattr(getattr(self.object_list, "data", None), "data", None)
        return data if hasattr(data, "query") else None

    @property
    def rows_key(self):
        """What identifies the rows, in order (their query, compiled once)."""
        if "_rows_key" not in self.__dict__:
            self.__dict__["_rows_key"] = query_key(self._queryset())
        return self.__dict__["_rows_key"]

    @property
    def count(self):
        if "_cached_count" not in self.__dict__:
            queryset = self._queryset()
            if queryset is None:
                self.__dict__["_cached_count"] = len(self.object_list)
            else:
                self.__dict__["_cached_count"] = cached("count", self.rows_key, queryset.order_by().count)
        return self.__dict__["_cached_count"]

    def page(self, number):
        queryset = self._queryset()
        if queryset is None:
            return super().page(number)
        from django_tables2.rows import BoundRows

        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        bound: Any = self.object_list
        rows = BoundRows(
            _LazyRows(
                lambda: cached("page", (self.rows_key, bottom, top), lambda: page_rows(queryset, bottom, top))
            ),
            table=bound.table,
            pinned_data=bound.pinned_data,
        )
        return Page(rows, number, self)


def page_rows(queryset: Any, bottom: int, top: int) -> list[Any]:
    """The rows ``bottom`` to ``top`` of ``queryset``, in its order: their keys first, from the
    narrowest query that sorts them (no wide columns, none of the select_related joins, so the
    database can sort from an index rather than every row of the table: the first page of all
    25,000 deliverables in England 129 -> 20 ms), then those rows by key, with everything the
    queryset selects and prefetches. A queryset that is DISTINCT or a union is read in one."""
    query = queryset.query
    if query.distinct or query.combinator or query.values_select or not query.order_by:
        return list(queryset[bottom:top])
    keys = list(queryset.values_list("pk", flat=True)[bottom:top])
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=keys)}
    return [rows[key] for key in keys if key in rows]  # one changed in between is left out


class _LazyRows:
    """A page's rows, read (from the cache, else the database) only when something reads them:
    a table whose HTML is cached (render_table_fresh) never does."""

    def __init__(self, load: Callable[[], list[Any]]):
        self._load: Callable[[], list[Any]] = load
        self._rows: list[Any] | None = None

    def _all(self) -> list[Any]:
        if self._rows is None:
            self._rows = self._load()
        return self._rows

    def __iter__(self):
        return iter(self._all())

    def __len__(self):
        return len(self._all())

    def __getitem__(self, key):
        return self._all()[key]
