"""Figures and list pages cached until the data changes: never stale after a write.

PostgreSQL keeps one number, the data version (table ``ccgtrack_data_version``): a trigger on
every table of ccgtrack's own models and of the accounts (installed by ``install_triggers``
after every ``migrate``) gives it a new value from a sequence whenever a transaction that wrote
to one of them commits. Whatever writes (a page, the admin, an import, the task worker, the seed
load, ``psql``), the version changes in the same commit as the data; values are never reused,
not even after a rollback. A cached result is keyed by the version read at the start of its
computation, so a result computed from newer data than its key says is harmless (the next
request reads the new version and misses), and an older one is never served: after a commit,
the very next request reads the new version.

The trigger is a deferred constraint trigger (it runs at commit, once per transaction), so a
writing transaction holds the version's row only for the moment of its commit. Inside a
transaction the version does not yet show the transaction's own writes, so ``cached`` computes
afresh there and stores nothing. Tests run each test in one transaction that never commits: they
make the trigger immediate (``SET CONSTRAINTS ccgtrack_data_changed IMMEDIATE``, see
tests/conftest.py), so that every statement that writes gives a new version at once.

The cache is Django's (``CACHES``): this process's memory under ``make run``, Redis shared by
every app server when ``REDIS_URL`` is set. The version lives in PostgreSQL, not in the cache,
so a per-process cache is never stale either."""

import hashlib
import pickle
from collections.abc import Callable
from typing import Any

from asgiref.local import Local
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.utils import timezone

TABLE = "ccgtrack_data_version"
TRIGGER = "ccgtrack_data_changed"
TRUNCATE_TRIGGER = "ccgtrack_data_truncated"
FUNCTION = "ccgtrack_data_changed"
# ccgtrack's own apps, and the accounts (names and memberships show on every page).
APP_LABELS = ("organisations", "plans", "risks", "reports", "reminders", "core", "auth")
TIMEOUT = 60 * 60  # an hour: entries of old versions are never read again, so they expire

# The function bumps the version once per statement that fires it (at commit, for the deferred
# trigger: once per transaction), from a sequence, so a value is never given twice.
CREATE_SQL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (id smallint PRIMARY KEY CHECK (id = 1), value bigint NOT NULL);
CREATE SEQUENCE IF NOT EXISTS {TABLE}_seq;
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    mark text := pg_current_xact_id()::text || '@' || statement_timestamp()::text;
BEGIN
    IF current_setting('ccgtrack.data_changed', true) IS DISTINCT FROM mark THEN
        INSERT INTO {TABLE} (id, value) VALUES (1, nextval('{TABLE}_seq'))
            ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value;
        PERFORM set_config('ccgtrack.data_changed', mark, true);
    END IF;
    RETURN NULL;
END $$;
"""
DROP_SQL = (
    f"DROP FUNCTION IF EXISTS {FUNCTION}() CASCADE; DROP TABLE IF EXISTS {TABLE}; "
    f"DROP SEQUENCE IF EXISTS {TABLE}_seq;"
)


def watched_tables() -> list[str]:
    """The tables whose writes give a new data version: every concrete model's of APP_LABELS
    (and their many-to-many tables)."""
    tables = set()
    for model in django_apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label in APP_LABELS and meta.managed and not meta.proxy:
            tables.add(meta.db_table)
    return sorted(tables)


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """Create the data version's trigger on every watched table that lacks it (post_migrate)."""
    from django.db import connections

    conn = connections[using]
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regproc(%s) IS NOT NULL", [FUNCTION])
        if not cursor.fetchone()[0]:
            return  # before the migration that creates it
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname IN (%s, %s)",
            [TRIGGER, TRUNCATE_TRIGGER],
        )
        present = set(cursor.fetchall())
        existing = set(conn.introspection.table_names(cursor))
        for table in watched_tables():
            if table not in existing:
                continue
            quoted = conn.ops.quote_name(table)
            if (table, TRIGGER) not in present:
                cursor.execute(
                    f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {quoted} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
                )
            if (table, TRUNCATE_TRIGGER) not in present:
                cursor.execute(
                    f"CREATE TRIGGER {TRUNCATE_TRIGGER} AFTER TRUNCATE ON {quoted} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )


# A request that only reads (GET, HEAD) reads the version once, at its first cached result:
# its figures, counts and options all come from the data as it stood then.
_request = Local()


def request_started(environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    method = (environ or {}).get("REQUEST_METHOD", "")
    _request.reads_only = method in ("GET", "HEAD")
    _request.version = None


def request_finished(**kwargs: Any) -> None:
    _request.reads_only = False
    _request.version = None


def data_version() -> int:
    """The data version now (one query; once per request that only reads)."""
    if getattr(_request, "reads_only", False) and _request.version is not None:
        return _request.version
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    version = row[0] if row else 0
    if getattr(_request, "reads_only", False):
        _request.version = version
    return version


def _in_own_transaction() -> bool:
    # A transaction of the code's own (not a test's wrapping one, which never commits).
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def key_of(*parts: Any) -> str:
    return hashlib.sha256(pickle.dumps(parts, protocol=4)).hexdigest()


def cached(name: str, parts: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """``compute()``, from the cache while the data version and today's date are those it was
    computed at. ``parts`` must hold everything else the result depends on."""
    if _in_own_transaction():
        return compute()
    key = f"{name}:{data_version()}:{key_of(timezone.localdate(), *parts)}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    cache.set(key, value, TIMEOUT)
    return value


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
    Paginator pages them."""

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
        window = queryset[bottom:top]
        bound: Any = self.object_list
        rows = BoundRows(
            _LazyRows(lambda: cached("page", (self.rows_key, bottom, top), lambda: list(window))),
            table=bound.table,
            pinned_data=bound.pinned_data,
        )
        return Page(rows, number, self)


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
