from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"

    def ready(self):
        # The board report's PDF is made ahead when what it shows is saved (apps/reports/pdfs.py).
        from django.db.models.signals import post_save

        from . import pdfs

        for model in ("plans.Deliverable", "risks.Risk", "reports.BoardReport"):
            post_save.connect(pdfs.data_saved, sender=model, dispatch_uid=f"ccgtrack_pdf_ahead_{model}")
