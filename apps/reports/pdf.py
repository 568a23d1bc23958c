"""HTML to PDF with WeasyPrint, as a tagged PDF/UA-1 document: headings, lists and tables (with
their header cells) become the PDF's structure tree in the order of the HTML, and the document
carries its language (``<html lang>``) and title (``<title>``) for screen readers.

The HTML carries its CSS inline and refers to no other file: nothing is fetched while rendering
(the fetcher refuses every URL), so a user's text cannot make the server read a file or a URL.

WeasyPrint needs the system Pango library (``libpango-1.0``, 1.44 or later), which Debian's
Chromium and every GTK desktop already depend on (``apt-get install libpango-1.0-0`` on a bare
machine). It is imported when a PDF is asked for, so a machine without it serves every page and
refuses only the PDF, with a message that says why."""


class PdfError(Exception):
    """The report could not be rendered as a PDF."""


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``: a complete document with ``<html lang>`` and ``<title>``."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as exc:  # cffi could not load Pango
        raise PdfError(f"PDFs need the system Pango library (libpango-1.0), not found here: {exc}") from exc

    class NoFetch(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"the board report PDF fetches nothing ({url} refused)")

    try:
        return HTML(string=html, url_fetcher=NoFetch()).write_pdf(pdf_variant="pdf/ua-1")
    except Exception as exc:  # WeasyPrint raises many kinds; callers need one.
        raise PdfError(f"The PDF could not be rendered: {exc}") from exc
