"""Two PostgreSQL roles: the app cannot rewrite history, only the owner migrates.

ccgtrack serves as an *app role* that owns nothing and holds only what the pages, the worker
and the imports need; migrations (and ``load_seed --reset``) run as the *owner role*, which owns
the tables, their triggers and functions. So, whatever the app (or anyone holding its password)
sends:

- no TRUNCATE anywhere (never granted; only a table's owner may TRUNCATE, and the ``... CASCADE``
  form needs it on every table it reaches);
- no UPDATE or DELETE on the append-only tables (``append_only_tables``: every table a model
  protects with an UPDATE/DELETE trigger, which covers the history rows, the audit trail's
  events, the membership audit, the people page's change log and issued papers; and the audit
  trail's contexts, which keep UPDATE for pghistory's upsert and whose trigger lets through only
  the session that wrote the context);
- no ``ALTER TABLE ... DISABLE TRIGGER`` and no ``DROP TRIGGER`` (owner only), no
  ``SET session_replication_role`` (superuser only), and asking the triggers to be ignored
  (``SET pgtrigger.ignore``, what ``pgtrigger.ignore()`` does) is itself ignored: the function
  the triggers ask (``_pgtrigger_should_ignore``) honours the setting only for the owner (the
  role that owns ``django_migrations``, i.e. the one that migrates) or a superuser.

What the app role holds (``grant_app_role``), by kind of table, so that new tables (another
migration, the data version's tables) are covered without naming them:

=========================================  ==========================================
every table of the schema                  SELECT, INSERT, UPDATE, DELETE
append-only tables (see above)             SELECT, INSERT (and UPDATE on the audit
                                           contexts, for pghistory's upsert)
``django_migrations``                      SELECT
every sequence                             USAGE, SELECT, UPDATE (``setval`` after the
                                           seed load, as loaddata does)
the schema, the database                   USAGE, CONNECT (no CREATE)
=========================================  ==========================================

Settings: ``DATABASE_URL`` is how the app connects; ``DATABASE_OWNER_URL`` how ``migrate`` and
``load_seed --reset`` connect (``owner_connection``); ``DATABASE_APP_ROLE`` (default: the user of
``DATABASE_URL`` when the owner's differs) is granted the above after every ``migrate``.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import pgtrigger
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connections

CONTEXT_TABLE = "pghistory_context"

# The function every pgtrigger trigger asks whether to step aside. pgtrigger writes it (CREATE OR
# REPLACE) whenever a migration installs a trigger; ``install_guards`` writes it back after every
# migrate, with the owner check.
IGNORE_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
    BEGIN
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NULL OR NOT (trigger_name = ANY(_pgtrigger_ignore)) THEN
            RETURN FALSE;
        END IF;
        -- ccgtrack: only the owner (the role that migrates) or a superuser may have a trigger
        -- ignored; from any other role the request is itself ignored.
        RETURN pg_has_role(
            current_user,
            (SELECT relowner FROM pg_class WHERE oid = to_regclass('public.django_migrations')),
            'MEMBER'
        ) IS TRUE;
    END;
$$ LANGUAGE plpgsql;
"""


def append_only_tables() -> list[str]:
    """Every table whose rows PostgreSQL refuses to change or delete: those of the models with a
    ``pgtrigger.Protect`` trigger on UPDATE and DELETE (history rows, the audit trail's events,
    membership audit, issued papers), and the audit trail's contexts."""
    tables = {CONTEXT_TABLE}
    for model in django_apps.get_models():
        for trigger in getattr(model._meta, "triggers", []):
            operation = str(getattr(trigger, "operation", ""))
            if isinstance(trigger, pgtrigger.Protect) and "UPDATE" in operation and "DELETE" in operation:
                tables.add(model._meta.db_table)
    return sorted(tables)


def app_role() -> str:
    """The role ``migrate`` grants the app's privileges to ('' for none): DATABASE_APP_ROLE,
    which defaults to the user of DATABASE_URL when DATABASE_OWNER_URL names another."""
    return getattr(settings, "DATABASE_APP_ROLE", "")


def _quote(connection: Any, name: str) -> str:
    return connection.ops.quote_name(name)


def install_guards(using: str = "default", **kwargs: Any) -> None:
    """Write the trigger-ignore function with its owner check (post_migrate, as the owner)."""
    with connections[using].cursor() as cursor:
        cursor.execute(IGNORE_FUNCTION_SQL)


def grant_app_role(role: str, using: str = "default") -> None:
    """Give ``role`` exactly the app's privileges on this database (see the module's table);
    run as the owner. Idempotent: everything is revoked first and granted again."""
    connection = connections[using]
    quoted = _quote(connection, role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = _quote(connection, cursor.fetchone()[0])
        existing = set(connection.introspection.table_names(cursor))
        protected = [t for t in append_only_tables() if t in existing]
        statements = [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {quoted}",
            f"REVOKE CREATE ON SCHEMA public FROM {quoted}",
            f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
            f"GRANT USAGE ON SCHEMA public TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {quoted}",
        ]
        if protected:
            names = ", ".join(_quote(connection, t) for t in protected)
            statements.append(f"REVOKE UPDATE, DELETE ON {names} FROM {quoted}")
        if CONTEXT_TABLE in protected:
            # pghistory writes a context with INSERT ... ON CONFLICT DO UPDATE, which needs UPDATE;
            # the context's trigger refuses any update but that session's own upsert.
            statements.append(f"GRANT UPDATE ON {CONTEXT_TABLE} TO {quoted}")
        for statement in statements:
            cursor.execute(statement)


def ensure_role(role: str, using: str = "default", *, login: bool = True) -> None:
    """Create ``role`` if it does not exist (needs CREATEROLE): no superuser, no CREATEDB, no
    CREATEROLE, no BYPASSRLS, not a member of anything."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(
                f"CREATE ROLE {_quote(connection, role)} "
                f"{'LOGIN' if login else 'NOLOGIN'} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
            )


def post_migrate(using: str = "default", **kwargs: Any) -> None:
    """After every migrate: the ignore guard, and the app role's privileges if one is set."""
    install_guards(using)
    role = app_role()
    if role:
        grant_app_role(role, using)


_CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


@contextlib.contextmanager
def connected_as(parameters: dict[str, Any], using: str = "default") -> Iterator[None]:
    """Run the block on a connection made with ``parameters`` (a DATABASES entry's NAME, USER,
    PASSWORD, HOST, PORT, OPTIONS) instead of the configured ones; back to those afterwards."""
    connection = connections[using]
    saved = {key: connection.settings_dict.get(key) for key in _CONNECTION_KEYS}
    connection.close()
    connection.settings_dict.update({k: v for k, v in parameters.items() if k in _CONNECTION_KEYS})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@contextlib.contextmanager
def owner_connection(using: str = "default") -> Iterator[bool]:
    """Run the block as the owner role when ``DATABASE_OWNER_URL`` is set (yields True), else on
    the configured connection (yields False: a single-role setup, or a test run's owner)."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    connection = connections[using]
    if not owner or all(connection.settings_dict.get(k) == owner.get(k) for k in ("USER", "NAME", "HOST")):
        yield bool(owner)  # no owner configured, or already connected as the owner
        return
    if connection.in_atomic_block:
        raise RuntimeError("The owner's connection cannot be taken inside a transaction of the app's.")
    with connected_as(owner, using):
        yield True
