"""The deliverables of an authorisation domain, read from an index alone.

Every dashboard counts the deliverables serving each of the six domains through the deliverable
list's own filter (``pk IN`` the domain's links). PostgreSQL reads each domain's links once and
hashes them; from the index on the domain alone it also read the links' table (a bitmap heap
scan), from this one it reads the index only: a CCG's dashboard's figures 34 -> 22 ms at
national scale (`make bench SCALE=national`, 25,535 deliverables). The links' table is created
by Django for ``Deliverable.domains``, which leaves no Meta to declare the index on."""

from django.db import migrations

FORWARD = (
    "CREATE INDEX IF NOT EXISTS plans_deliverable_domains_by_domain "
    "ON plans_deliverable_domains (authorisationdomain_id, deliverable_id)"
)
BACKWARD = "DROP INDEX IF EXISTS plans_deliverable_domains_by_domain"


class Migration(migrations.Migration):
    dependencies = [("plans", "0011_deliverable_as_at_beside_deliverables")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
