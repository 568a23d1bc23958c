"""Figures and pages cached until the data they show changes: never stale after a write, never
older than a restore, never drawn by another release, and dropped only where a write touched.

Data versions
-------------
PostgreSQL keeps the data versions in one table, ``ccgtrack_data_version`` (scope, value):

- an organisation's row (scope: its pk) changes when a transaction commits that wrote a row
  belonging to that organisation or to anything beneath it (a deliverable of one of its plans,
  a status update, a risk, a board report, a membership...: ``ORGANISATION_PATHS`` says how a
  table's row leads to its organisation);
- ``ALL`` (-1) changes with every such write, wherever it is;
- ``GLOBAL`` (0) changes with writes that belong to no one organisation: the organisations'
  tree itself, reference data (authorisation domains, maturity levels, the band scheme),
  accounts and groups. Every cached value depends on it.

A trigger on every watched table (``install_triggers``, after every ``migrate``) gives those rows
a new random value when the transaction commits, whatever wrote: a page, the admin, an import,
the task worker, ``load_seed``, ``psql``. What no page shows changes nothing: sessions, the
sign-in time (``auth_user.last_login``: an update of it alone is ignored), the reminders'
bookkeeping (its tables are not watched).

A cached value names the scopes it is drawn from (an organisation's dashboard: the organisation;
a list: the organisations at the top of what the viewer may read; an administrator's list: ALL)
and is keyed by the versions of GLOBAL and of those scopes, read when its computation starts (once
per request that only reads). A status change in one CCG gives new versions to the CCG, to the
organisations above it and to ALL: the other CCGs' pages stay as they were cached. Whatever a
value shows must come from the rows of its scopes or from GLOBAL data; a value that shows more
must name more scopes (ALL, at worst).

Why the versions are random, and carry their row's ``xmin``: a version names one state of the
data, it does not count writes. A counter goes back with a restore, and the writes after it
reuse numbers the cache holds pages for (issue 25: 12 of 12 pages after a restore showed edits
the restore had removed). A random value is never given twice. A restore brings back the rows
of this table too, but as new rows: their ``xmin`` (the transaction that wrote the row) is the
restore's, never seen before, so nothing cached before the restore is read after it, even a
value computed a moment after the dump from data the restore took away. And every key carries
the server's start time (``pg_postmaster_start_time()``): a restore of the whole server (a base
backup, point-in-time recovery, a failover to a replica) starts it anew.

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
a per-process cache is never stale either.

Privileges: the role the app connects as needs SELECT, INSERT and UPDATE on
``ccgtrack_data_version`` and SELECT on the tables the trigger reads to find a row's organisation
(those of ``ORGANISATION_PATHS``), which it reads anyway. The trigger function runs with the
privileges of whoever writes (it is not SECURITY DEFINER) and uses nothing else: no sequence, no
setting but its own transaction-local ``ccgtrack.data_changed``."""

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
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.utils import timezone

TABLE = "ccgtrack_data_version"
PENDING = "ccgtrack_data_pending"
# The deferred trigger that gives the new versions at commit (on PENDING); tests make it immediate.
TRIGGER = "ccgtrack_data_changed"
FUNCTION = "ccgtrack_data_changed"
# The statement triggers on every watched table that note what a statement touched.
NOTE_FUNCTION = "ccgtrack_data_noted"
NOTE_TRIGGERS = {
    "ccgtrack_data_inserted": "INSERT",
    "ccgtrack_data_updated": "UPDATE",
    "ccgtrack_data_deleted": "DELETE",
    "ccgtrack_data_truncated": "TRUNCATE",
}
GLOBAL = 0
ALL = -1
# ccgtrack's own apps, and the accounts (names and memberships show on every page). Not the
# reminders: their rows are bookkeeping that no cached page shows.
APP_LABELS = ("organisations", "plans", "risks", "reports", "core", "auth")
# How a row of each table leads to the organisation it belongs to. A watched table not named here
# belongs to no one organisation: its writes change GLOBAL (every cached value), which is always
# safe, only wider than it need be. The history tables' rows carry the tracked row's own columns.
ORGANISATION_PATHS = {
    "organisations.SupportTeamRole": "organisation",
    "organisations.Membership": "organisation",
    "organisations.MembershipEvent": "organisation",
    "organisations.MembershipChange": "organisation",
    "plans.ODPlan": "organisation",
    "plans.Theme": "plan__organisation",
    "plans.Objective": "theme__plan__organisation",
    "plans.Deliverable": "theme__plan__organisation",
    "plans.Deliverable_domains": "deliverable__theme__plan__organisation",
    "plans.DeliverableEvent": "theme__plan__organisation",
    "plans.StatusUpdate": "deliverable__theme__plan__organisation",
    "plans.SelfAssessment": "organisation",
    "plans.SelfAssessmentScore": "assessment__organisation",
    "risks.Risk": "organisation",
    "risks.Risk_domains": "risk__organisation",
    "risks.RiskEvent": "organisation",
    "risks.RiskReview": "risk__organisation",
    "reports.BoardReport": "plan__organisation",
    "reports.BoardReportEvent": "plan__organisation",
    "reports.IssuedPaper": "plan__organisation",
}
# Columns whose change alone changes nothing any page shows.
IGNORED_COLUMNS = {"auth.User": ("last_login",)}
TIMEOUT = 60 * 60  # an hour: entries of old versions are never read again, so they expire
LOCK_SECONDS = 30  # a computation that takes longer than this lets others compute too
ORGANISATION_TABLE = "organisations_organisation"
MAX_DEPTH = 8  # more than the organisations' tree is deep (apps.organisations.models.MAX_DEPTH)


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

TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (scope integer PRIMARY KEY, value uuid NOT NULL);
INSERT INTO {TABLE} (scope, value) VALUES ({GLOBAL}, gen_random_uuid()), ({ALL}, gen_random_uuid())
    ON CONFLICT (scope) DO NOTHING;
CREATE TABLE IF NOT EXISTS {PENDING} (id text PRIMARY KEY);
"""

# How a write becomes new versions, in two steps, so that a bulk write costs one query per
# statement and no lock is held before commit:
#
# 1. After every statement that writes to a watched table, ``ccgtrack_data_noted`` (a statement
#    trigger, with the statement's rows as transition tables) works out the organisations of the
#    rows in one query and adds them to the transaction's setting ``ccgtrack.data_scopes``; the
#    first time in a transaction it also inserts the transaction's row into PENDING. Its
#    arguments: [0] an SQL expression giving a row's organisation pk from the row ``r`` ('': the
#    table belongs to no one organisation: GLOBAL), [1] columns whose change alone changes
#    nothing shown (comma-separated), [2] the primary key's column (to compare old and new rows).
# 2. At commit, ``ccgtrack_data_changed`` (a deferred constraint trigger on PENDING: once per
#    transaction) gives new values to ALL, to each organisation noted and every organisation above
#    it (or to GLOBAL), and deletes the PENDING row. ALL's row is updated first by every writer,
#    so two writers never wait for each other's rows in opposite orders. Made immediate (the
#    tests), it runs at the end of each statement instead.
FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {NOTE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found integer[];
    unchanged boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND TG_ARGV[1] <> '' THEN
        EXECUTE format(
            'SELECT NOT EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON o.%1$I = n.%1$I '
            'WHERE to_jsonb(o) - $1 IS DISTINCT FROM to_jsonb(n) - $1)', TG_ARGV[2])
            INTO unchanged USING string_to_array(TG_ARGV[1], ',');
        IF unchanged THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'TRUNCATE' OR TG_ARGV[0] = '' THEN
        IF TG_OP = 'INSERT' THEN
            EXECUTE 'SELECT CASE WHEN EXISTS (SELECT 1 FROM new_rows) THEN ARRAY[{GLOBAL}] END' INTO found;
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE 'SELECT CASE WHEN EXISTS (SELECT 1 FROM old_rows) THEN ARRAY[{GLOBAL}] END' INTO found;
        ELSIF TG_OP = 'UPDATE' THEN
            EXECUTE 'SELECT CASE WHEN EXISTS (SELECT 1 FROM new_rows) THEN ARRAY[{GLOBAL}] END' INTO found;
        ELSE
            found := ARRAY[{GLOBAL}];
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE 'SELECT array_agg(DISTINCT coalesce((' || TG_ARGV[0] || '), {GLOBAL})) FROM new_rows r'
            INTO found;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'SELECT array_agg(DISTINCT coalesce((' || TG_ARGV[0] || '), {GLOBAL})) FROM old_rows r'
            INTO found;
    ELSE
        EXECUTE 'SELECT array_agg(DISTINCT s) FROM ('
            'SELECT coalesce((' || TG_ARGV[0] || '), {GLOBAL}) s FROM old_rows r UNION ALL '
            'SELECT coalesce((' || TG_ARGV[0] || '), {GLOBAL}) FROM new_rows r) both_rows'
            INTO found;
    END IF;
    IF found IS NULL THEN
        RETURN NULL;  -- the statement touched no row
    END IF;
    PERFORM set_config(
        'ccgtrack.data_scopes',
        coalesce(current_setting('ccgtrack.data_scopes', true), '') || ',' || array_to_string(found, ','),
        true
    );
    INSERT INTO {PENDING} (id) VALUES (pg_current_xact_id()::text) ON CONFLICT (id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    targets integer[];
    target integer;
BEGIN
    SELECT array_agg(DISTINCT part::integer) INTO targets
        FROM unnest(string_to_array(current_setting('ccgtrack.data_scopes', true), ',')) part
        WHERE part <> '';
    PERFORM set_config('ccgtrack.data_scopes', '', true);
    DELETE FROM {PENDING} WHERE id = NEW.id;
    IF targets IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO {TABLE} (scope, value) VALUES ({ALL}, gen_random_uuid())
        ON CONFLICT (scope) DO UPDATE SET value = EXCLUDED.value;
    FOREACH target IN ARRAY targets LOOP
        IF target <> {GLOBAL} THEN
            -- The organisation and every organisation above it.
            INSERT INTO {TABLE} (scope, value)
                SELECT up.id, gen_random_uuid() FROM (
                    WITH RECURSIVE chain (id, parent_id, depth) AS (
                        SELECT o.id, o.parent_id, 1 FROM {ORGANISATION_TABLE} o WHERE o.id = target
                        UNION ALL
                        SELECT o.id, o.parent_id, chain.depth + 1
                        FROM {ORGANISATION_TABLE} o JOIN chain ON o.id = chain.parent_id
                        WHERE chain.depth < {MAX_DEPTH}
                    ) SELECT DISTINCT chain.id FROM chain
                ) up
                ON CONFLICT (scope) DO UPDATE SET value = EXCLUDED.value;
            IF NOT FOUND THEN
                target := {GLOBAL};  -- the organisation itself is gone
            END IF;
        END IF;
        IF target = {GLOBAL} THEN
            INSERT INTO {TABLE} (scope, value) VALUES ({GLOBAL}, gen_random_uuid())
                ON CONFLICT (scope) DO UPDATE SET value = EXCLUDED.value;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
"""
DROP_SQL = (
    f"DROP FUNCTION IF EXISTS {FUNCTION}() CASCADE; DROP FUNCTION IF EXISTS {NOTE_FUNCTION}() CASCADE; "
    f"DROP TABLE IF EXISTS {TABLE}; DROP TABLE IF EXISTS {PENDING};"
)


def watched_models() -> list[Any]:
    """The models whose writes give new data versions: every concrete model of APP_LABELS (and
    their many-to-many tables), but the audit trail's event tables (django-pghistory), which
    are written only with the row they track, in the same statement's transaction."""
    return sorted(
        (
            model
            for model in django_apps.get_models(include_auto_created=True)
            if model._meta.app_label in APP_LABELS
            and model._meta.managed
            and not model._meta.proxy
            and not any(field.name == "pgh_obj" for field in model._meta.fields)
        ),
        key=lambda model: model._meta.db_table,
    )


def watched_tables() -> list[str]:
    return [model._meta.db_table for model in watched_models()]


def trigger_args(model: Any) -> tuple[str, str, str]:
    """The statement triggers' three arguments for ``model``'s table (see FUNCTION_SQL)."""
    ignored = ",".join(IGNORED_COLUMNS.get(model._meta.label, ()))
    pk = model._meta.pk.column
    path = ORGANISATION_PATHS.get(model._meta.label)
    if path is None:
        return "", ignored, pk
    first, _, rest = path.partition("__")
    field = model._meta.get_field(first)
    column = 'r."' + field.column + '"'
    if not rest:
        return column, ignored, pk
    lookup = field.related_model._base_manager.filter(pk=0).values_list(rest).order_by()
    sql, params = lookup.query.sql_with_params()
    if params != (0,) or sql.count("%s") != 1:
        raise ValueError(f"Cannot write the organisation lookup of {model._meta.label}: {sql}")
    return sql.replace("%s", column), ignored, pk


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """The data versions' functions, the deferred trigger, and the statement triggers on every
    watched table, as this code says they are (post_migrate): a table added later gets them, a
    trigger whose arguments changed is made again, a table no longer watched loses them."""
    from django.db import connections

    conn = connections[using]
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PENDING])
        if not cursor.fetchone()[0]:
            return  # before the migration that creates the tables
        cursor.execute(FUNCTION_SQL)
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'ccgtrack\\_data\\_%%'"
        )
        present = {
            (table, name): tuple[str, ...](bytes(args).decode().split("\x00")[:-1])
            for table, name, args in cursor.fetchall()
        }
        wanted: dict[tuple[str, str], tuple[str, ...]] = {(PENDING, TRIGGER): ()}
        existing = set(conn.introspection.table_names(cursor))
        for model in watched_models():
            table = model._meta.db_table
            if table in existing:
                for name in NOTE_TRIGGERS:
                    wanted[(table, name)] = trigger_args(model)
        for (table, name), found in present.items():
            if wanted.get((table, name)) != found:
                cursor.execute(f"DROP TRIGGER {name} ON {conn.ops.quote_name(table)}")
        for (table, name), args in wanted.items():
            if present.get((table, name)) == args:
                continue  # as it should be
            quoted = conn.ops.quote_name(table)
            if name == TRIGGER:
                cursor.execute(
                    f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT ON {quoted} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
                )
                continue
            event = NOTE_TRIGGERS[name]
            transitions = {
                "INSERT": "REFERENCING NEW TABLE AS new_rows",
                "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "REFERENCING OLD TABLE AS old_rows",
                "TRUNCATE": "",
            }[event]
            literal = ", ".join("'" + arg.replace("'", "''") + "'" for arg in args)
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {quoted} {transitions} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {NOTE_FUNCTION}({literal})"
            )


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
