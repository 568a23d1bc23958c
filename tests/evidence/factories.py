import datetime

from apps.evidence import services
from apps.evidence.files import check_upload
from tests.evidence.samples import PDF, upload


def add_file(organisation, user, *, title="Governing body minutes", data=PDF, name="minutes.pdf", **values):
    """An evidence file added through the service, as the pages add it."""
    values.setdefault("speaks_for", datetime.date(2012, 10, 31))
    return services.evidence_create(
        organisation=organisation,
        acting_user=user,
        values={"title": title, "kind": "file", **values},
        file=check_upload(upload(name, data)),
        note="Added for the audit.",
    )


def add_link(organisation, user, *, title="Training log on SharePoint", **values):
    values.setdefault("speaks_for", datetime.date(2012, 9, 1))
    values.setdefault("url", "https://nhs.sharepoint.com/sites/od/training-log.xlsx")
    return services.evidence_create(
        organisation=organisation,
        acting_user=user,
        values={"title": title, "kind": "link", **values},
        note="Added for the audit.",
    )
