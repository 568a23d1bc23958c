"""An embedded PostgreSQL for machines with nothing installed but Python.

When ``DATABASE_URL`` is not set, ccgtrack runs on a PostgreSQL server started from the
``pgserver`` package, its data kept in ``.local/pgdata`` inside the checkout (git-ignored;
``EMBEDDED_PGDATA`` names another directory) so that the next run finds the same database.
The server is left running between commands (``cleanup_mode=None``): starting it costs a
second or two, and every ``manage.py`` call and test run reuses it. ``make run`` stops it
when it stops, if it was the one that started it (ccgtrack/devserver.py).
"""

import os
import warnings
from pathlib import Path

DATA_DIR = Path(
    os.environ.get("EMBEDDED_PGDATA") or Path(__file__).resolve().parent.parent / ".local" / "pgdata"
)
DATABASE_NAME = "ccgtrack"
# The two roles of apps/core/dbroles.py: the owner migrates, the app serves.
OWNER_ROLE = "ccgtrack_owner"
APP_ROLE = "ccgtrack_app"

_SET_UP = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
        CREATE ROLE {OWNER_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END $$;
"""
# A database made before the roles existed: its schema and everything in it pass to the owner.
_ADOPT = f"""
ALTER DATABASE {DATABASE_NAME} OWNER TO {OWNER_ROLE};
ALTER SCHEMA public OWNER TO {OWNER_ROLE};
DO $$ DECLARE item record; BEGIN
    FOR item IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                  AND pg_get_userbyid(c.relowner) <> '{OWNER_ROLE}'
                  AND NOT (c.relkind = 'S' AND EXISTS (
                      SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
    LOOP
        EXECUTE format('ALTER %s public.%I OWNER TO {OWNER_ROLE}',
                       CASE item.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                         WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                       item.relname);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{OWNER_ROLE}'
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO {OWNER_ROLE}', item.signature);
    END LOOP;
END $$;
"""


def _quiet():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")


_server = None


def _get_server():
    """Start (or reuse) the embedded server, with the ccgtrack database and the two roles."""
    global _server
    if _server is not None:
        return _server
    _quiet()
    import pgserver  # imported here: only needed when DATABASE_URL is unset

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(DATA_DIR, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    owned = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}' "
        f"AND pg_get_userbyid(datdba) = '{OWNER_ROLE}';"
    )
    if "1 row" not in owned:
        server.psql(_SET_UP)
        if "1 row" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME} OWNER {OWNER_ROLE};")
        else:
            adopt = server.get_uri(DATABASE_NAME)
            import subprocess

            from pgserver._commands import POSTGRES_BIN_PATH

            subprocess.run(
                [str(POSTGRES_BIN_PATH / "psql"), adopt, "-q", "-v", "ON_ERROR_STOP=1"],
                input=_ADOPT.encode(),
                check=True,
                capture_output=True,
            )
    _server = server
    return server


def _uri(user: str, database: str = DATABASE_NAME) -> str:
    server = _get_server()
    return server.get_postmaster_info().get_uri(user=user, database=database)


def database_url() -> str:
    """Start (or reuse) the embedded server; the app role's URL for the ccgtrack database."""
    return _uri(APP_ROLE)


def owner_url() -> str:
    """The owner role's URL (migrations, ``load_seed --reset``)."""
    return _uri(OWNER_ROLE)


def superuser_url() -> str:
    """The server's superuser (tests create their own databases and roles with it)."""
    return _uri("postgres")


def is_running() -> bool:
    """Whether a server is running on DATA_DIR (started by any process)."""
    _quiet()
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(DATA_DIR) if DATA_DIR.exists() else None
    return bool(info and info.is_running())


def stop() -> bool:
    """Stop the server on DATA_DIR (fast shutdown); False if none was running."""
    if not is_running():
        return False
    import pgserver

    # pgserver runs the server as its own "pgserver" user when started by root.
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pgserver.pg_ctl(  # type: ignore[attr-defined]  # pgserver makes its commands at import
        ["-w", "-m", "fast", "stop"], pgdata=DATA_DIR, user=user, timeout=60
    )
    return True
