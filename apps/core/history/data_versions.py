"""The data versions: which state of the data a cached value was drawn from, kept by PostgreSQL
itself on every write, whatever path writes (one of the three mechanisms every write passes;
see ``apps.core.history``). The cache that is keyed by them is ``apps.core.freshness``.

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

Why the versions are random, and carry their row's ``xmin``: a version names one state of the
data, it does not count writes. A counter goes back with a restore, and the writes after it
reuse numbers the cache holds pages for (issue 25: 12 of 12 pages after a restore showed edits
the restore had removed). A random value is never given twice. A restore brings back the rows
of this table too, but as new rows: their ``xmin`` (the transaction that wrote the row) is the
restore's, never seen before, so nothing cached before the restore is read after it, even a
value computed a moment after the dump from data the restore took away. And every key carries
the server's start time (``pg_postmaster_start_time()``): a restore of the whole server (a base
backup, point-in-time recovery, a failover to a replica) starts it anew.

Privileges: the role the app connects as needs SELECT, INSERT and UPDATE on
``ccgtrack_data_version`` and SELECT on the tables the trigger reads to find a row's organisation
(those of ``ORGANISATION_PATHS``), which it reads anyway. The trigger function runs with the
privileges of whoever writes (it is not SECURITY DEFINER) and uses nothing else: no sequence, no
setting but its own transaction-local ``ccgtrack.data_changed``."""

from typing import Any

from django.apps import apps as django_apps

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
APP_LABELS = ("organisations", "plans", "risks", "reports", "evidence", "assurance", "core", "auth")
# ccgtrack's apps whose rows no cached page shows, and why (a test holds every app to one list).
UNWATCHED_APPS = {
    "reminders": "bookkeeping of the reminder digests",
    "dashboards": "no models",
    "api": "personal access tokens, shown only on their own pages, never cached",
    "signon": "allowed email domains, shown only on their own page, never cached",
}
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
    "evidence.EvidenceItem": "organisation",
    "evidence.EvidenceRevision": "item__organisation",
    "evidence.EvidenceLink": "item__organisation",
    "assurance.Committee": "organisation",
    "assurance.CommitteeEvent": "organisation",
    "assurance.RiskAppetite": "organisation",
    "assurance.RiskAppetiteEvent": "organisation",
    "assurance.StrategicObjective": "organisation",
    "assurance.StrategicObjectiveEvent": "organisation",
    "assurance.PrincipalRisk": "risk__organisation",
    "assurance.PrincipalRiskEvent": "risk__organisation",
    "assurance.PrincipalRisk_objectives": "principalrisk__risk__organisation",
    "assurance.Control": "principal_risk__risk__organisation",
    "assurance.ControlEvent": "principal_risk__risk__organisation",
    "assurance.Assurance": "control__principal_risk__risk__organisation",
    "assurance.AssuranceEvent": "control__principal_risk__risk__organisation",
    "assurance.Gap": "principal_risk__risk__organisation",
    "assurance.GapEvent": "principal_risk__risk__organisation",
    "assurance.Gap_deliverables": "gap__principal_risk__risk__organisation",
    "assurance.CommitteePaper": "committee__organisation",
}
# Columns whose change alone changes nothing any page shows.
IGNORED_COLUMNS = {"auth.User": ("last_login",)}
ORGANISATION_TABLE = "organisations_organisation"
MAX_DEPTH = 8  # more than the organisations' tree is deep (apps.organisations.models.MAX_DEPTH)

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
