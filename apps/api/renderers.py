import json

from rest_framework.renderers import BaseRenderer


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf`` (the PDF download)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # A PDF is returned as it is; anything else (an error) as JSON.
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode("utf-8")


class AnyFileRenderer(BaseRenderer):
    """Lets a client ask for an evidence file by its own type (``Accept: application/pdf``,
    ``image/png``...): the file is returned as it was kept; an error as JSON."""

    media_type = "*/*"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode("utf-8")
