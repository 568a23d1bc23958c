"""HTML to PDF with xhtml2pdf. The PDF template carries its CSS inline and refers to no other
file, so nothing is fetched while rendering."""

from io import BytesIO

from xhtml2pdf import pisa


class PdfError(Exception):
    """xhtml2pdf could not render the report."""


def html_to_pdf(html: str) -> bytes:
    out = BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_no_fetch)
    if result.err:
        raise PdfError(f"The PDF could not be rendered ({result.err} errors).")
    return out.getvalue()


def _no_fetch(uri, rel):
    # Links stay links; nothing (images, stylesheets) is fetched from the network.
    return uri
