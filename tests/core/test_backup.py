"""A backup holds the database and the issued papers' files; a restore over a running server
gives back exactly what was backed up, files included (issue 25, item 3)."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.plans.models import Deliverable
from apps.reports.models import BoardReport, IssuedPaper
from tests.conftest import PASSWORD
from tests.core.serving import login, request

# pg_dump and pg_restore read and replace committed data, as on a server: a transactional test,
# run as the owner role that backs up and restores (apps/core/dbroles.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.owner_role]

PDF = b"%PDF-1.7\n% an issued paper, as issued\n%%EOF\n"


def _issue_paper(user):
    """An issued paper with its PDF in the file storage (as the issue service leaves it)."""
    report = BoardReport.objects.get(pk=1)
    name = default_storage.save("papers/test-paper.pdf", ContentFile(PDF))
    return IssuedPaper.objects.create(
        plan=report.plan,
        number=1,
        cover_sheet=report,
        meeting_date=datetime.date(2014, 1, 15),
        title="Board paper",
        read_at=timezone.now(),
        issued_by=user,
        issued_by_name="Staff",
        snapshot={},
        html="<p>paper</p>",
        html_sha256=hashlib.sha256(b"<p>paper</p>").hexdigest(),
        pdf=name,
        pdf_sha256=hashlib.sha256(PDF).hexdigest(),
        pdf_size=len(PDF),
        deliverable_count=0,
        delivered_count=0,
        overdue_count=0,
        open_risk_count=0,
        red_risk_count=0,
        red_residual_risk_count=0,
    )


def _issue_committee_paper(user):
    """A committee paper (apps.assurance) with its PDF in the file storage."""
    from apps.assurance.models import Committee, CommitteePaper

    committee = Committee.objects.order_by("pk").first()
    name = default_storage.save("committee-papers/test-paper.pdf", ContentFile(PDF + b"% committee\n"))
    return CommitteePaper.objects.create(
        committee=committee,
        number=1,
        meeting_date=datetime.date(2014, 1, 15),
        title="Committee paper",
        read_at=timezone.now(),
        issued_by=user,
        issued_by_name="Staff",
        snapshot={},
        html="<p>paper</p>",
        html_sha256=hashlib.sha256(b"<p>paper</p>").hexdigest(),
        pdf=name,
        pdf_sha256=hashlib.sha256(PDF + b"% committee\n").hexdigest(),
        pdf_size=len(PDF) + 12,
        principal_risk_count=0,
        outside_appetite_count=0,
    )


def _port(live_server):
    return int(live_server.url.rsplit(":", 1)[1])


def test_a_restore_over_a_running_server_gives_back_the_data_and_the_papers_files(live_server, tmp_path):
    user = get_user_model().objects.create_superuser("t.backup.admin", "a@example.org", PASSWORD)
    paper = _issue_paper(user)
    committee_paper = _issue_committee_paper(user)
    deliverable = Deliverable.objects.order_by("pk").first()
    archive = tmp_path / "backups" / "ccgtrack.tar"
    call_command("backup", str(archive), verbosity=0)
    assert archive.exists()

    # After the backup: someone edits, the papers' folder is lost, a new account appears.
    Deliverable.objects.filter(pk=deliverable.pk).update(title="Changed after the backup")
    default_storage.delete(paper.pdf.name)
    default_storage.delete(committee_paper.pdf.name)
    get_user_model().objects.create_user("t.after.backup", password="x")
    port = _port(live_server)
    cookie = login(port, user.username, PASSWORD)
    assert b"Changed after the backup" in request(port, deliverable.get_absolute_url(), cookie=cookie).body
    assert request(port, f"/reports/{paper.pk}/pdf/", cookie=cookie).status == 503  # its file is gone

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))
    call_command("restore", str(archive), "--yes", verbosity=0)

    # The server kept running and serves only restored data: the edit, the new account and the
    # session made after the backup are gone; the paper's PDF is back, byte for byte.
    assert not get_user_model().objects.filter(username="t.after.backup").exists()
    assert request(port, deliverable.get_absolute_url(), cookie=cookie).status == 302  # signed out
    cookie = login(port, user.username, PASSWORD)
    page = request(port, deliverable.get_absolute_url(), cookie=cookie)
    assert page.status == 200 and b"Changed after the backup" not in page.body
    pdf = request(port, f"/reports/{paper.pk}/pdf/", cookie=cookie)
    assert (pdf.status, pdf.body) == (200, PDF)
    pdf = request(port, f"/assurance/committee-papers/{committee_paper.pk}/pdf/", cookie=cookie)
    assert (pdf.status, pdf.body) == (200, PDF + b"% committee\n")
    assert Deliverable.objects.get(pk=deliverable.pk).title == deliverable.title


def test_a_damaged_backup_restores_nothing(tmp_path):
    archive = tmp_path / "broken.tar"
    archive.write_bytes(b"not a backup")
    before = Deliverable.objects.count()
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("restore", str(archive), "--yes")
    assert Deliverable.objects.count() == before
