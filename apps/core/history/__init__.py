"""History: what ccgtrack keeps of every change, and the data as it stood at a date.

One capability, below every app that writes or reads history (organisations, plans, risks,
reports, dashboards), in rooms:

- ``tracking``: what the models declare so that PostgreSQL itself acts on every write, whatever
  path writes: the audit trail (django-pghistory, ``track_changes``), the version raised on every
  UPDATE (``raise_version``), append-only history rows (``append_only``) and the link from a
  history row to its audit context (``audit_context_field``);
- ``data_versions``: the third mechanism every write passes, the data versions that cached pages
  are keyed by (tables, trigger functions, the triggers installed on every watched table after
  each ``migrate``); the cache that reads them is ``apps.core.freshness``;
- ``audit``: reading one record's audit trail in people's words (``audit_events``), the version
  conflict (``StaleVersionError``) and how a changed value is shown;
- ``audit_admin``: the audit trail in the Django admin;
- ``as_at``: the records as they stood at a date, rebuilt from the audit trail (``AsAt``,
  ``standing``, ``records_began``; a kind of record shown as at a date declares its proxy with
  ``as_at_record`` beside its model: ``plans.DeliverableAsAt``, ``risks.RiskAsAt``);
- ``lists``: the base of the lists shown as at a date (``AsAtListMixin``, ``AsAtFilterMixin``).

The wiring is in ``CoreConfig.ready``: the audit trail's admin, and the data versions' triggers
after every ``migrate``.
"""
