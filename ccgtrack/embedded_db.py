"""An embedded PostgreSQL for machines with nothing installed but Python.

When ``DATABASE_URL`` is not set, ccgtrack runs on a PostgreSQL server started from the
``pgserver`` package, its data kept in ``.local/pgdata`` inside the checkout (git-ignored) so
that the next run finds the same database. The server is left running between commands
(``cleanup_mode=None``): starting it costs a second or two, and every ``manage.py`` call and
test run reuses it.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / ".local" / "pgdata"
DATABASE_NAME = "ccgtrack"


def database_url() -> str:
    """Start (or reuse) the embedded server and return a URL for the ccgtrack database."""
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import pgserver  # imported here: only needed when DATABASE_URL is unset

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(DATA_DIR, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server.get_uri(DATABASE_NAME)
