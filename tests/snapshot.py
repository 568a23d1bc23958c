"""The seeded test database, kept as it stood after the seed load, and put back in one transaction
at the end of every transactional test (the browser tests, the task worker's, the sign-on client's).

Django ends such a test with ``flush`` (TRUNCATE of every table, then its ``post_migrate``
handlers write the content types and permissions back), and the suite then loaded the seed again:
about 2.2 s a test on these machines. Putting the rows back from a copy taken once takes about
0.2 s. The copy is every table of the schema but ``django_migrations`` (COPY ... binary, kept in
this process's memory, never in the database: a backup test's dump must not carry it) and every
sequence's position.

Putting rows back must not fire the tables' triggers: the history triggers would add history
rows, the append-only guards refuse nothing here but the data version's trigger would count a
write. ``SET LOCAL session_replication_role = replica`` turns them off for the transaction, which
only a superuser may do; on a server where the owner is no superuser, ``take`` returns None and the
suite flushes and loads the seed as before."""

import io
from dataclasses import dataclass, field


@dataclass
class SeededSnapshot:
    tables: list[str]
    rows: dict[str, bytes] = field(default_factory=dict)  # only the tables that hold rows
    sequences: list[tuple[str, int, bool]] = field(default_factory=list)  # name, value, is_called

    @classmethod
    def take(cls, connection) -> "SeededSnapshot | None":
        """A copy of the database ``connection`` reaches, or None when its role cannot put it
        back (not a superuser)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                return None
            quote = connection.ops.quote_name
            names = [t for t in connection.introspection.table_names(cursor) if t != "django_migrations"]
            snapshot = cls(tables=names)
            for table in names:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")
                if cursor.fetchone()[0]:
                    buffer = io.BytesIO()
                    cursor.copy_expert(f"COPY {quote(table)} TO STDOUT (FORMAT binary)", buffer)
                    snapshot.rows[table] = buffer.getvalue()
            cursor.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
                "coalesce(last_value, start_value), last_value IS NOT NULL "
                "FROM pg_sequences WHERE schemaname = current_schema()"
            )
            snapshot.sequences = list(cursor.fetchall())
        return snapshot

    def restore(self, connection) -> None:
        """Every table back to the copy's rows and every sequence to its position, in one
        transaction, with no trigger fired."""
        from django.db import transaction

        quote = connection.ops.quote_name
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("TRUNCATE " + ", ".join(quote(t) for t in self.tables))
            for table, data in self.rows.items():
                cursor.copy_expert(f"COPY {quote(table)} FROM STDIN (FORMAT binary)", io.BytesIO(data))
            for name, value, is_called in self.sequences:
                cursor.execute("SELECT setval(%s, %s, %s)", [name, value, is_called])
