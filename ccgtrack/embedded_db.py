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


def _quiet():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")


def database_url() -> str:
    """Start (or reuse) the embedded server and return a URL for the ccgtrack database."""
    _quiet()
    import pgserver  # imported here: only needed when DATABASE_URL is unset

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(DATA_DIR, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server.get_uri(DATABASE_NAME)


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
