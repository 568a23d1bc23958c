"""What every new database connection is set up with.

JIT compilation is off: PostgreSQL compiles a query to machine code when its estimated cost is
over ``jit_above_cost``, which the roll-up dashboards' aggregates over the whole country are, and
compiling them took longer than running them (national scale: 0.9 s of the NHS CB dashboard's
2.3 s). ccgtrack's queries are short; none gains from JIT. One statement per connection, not per
request (connections are kept for ``DB_CONN_MAX_AGE`` seconds)."""

from typing import Any


def configure(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
