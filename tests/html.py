"""Reading rendered pages in tests: the forms and controls a page offers, parsed from its HTML
(not searched for as strings, so a renamed id or a changed attribute order cannot hide one)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

CONTROL_TAGS = {"input", "select", "textarea", "button"}


@dataclass
class Form:
    method: str
    action: str
    attrs: dict[str, str]
    fields: list[str] = field(default_factory=list)  # names of the controls inside it


class Page(HTMLParser):
    """The forms of a page, and every element that writes by HTMX (hx-post, hx-put, ...)."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self.writers: list[dict[str, str]] = []
        self._open: Form | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if any(name in attrs for name in ("hx-post", "hx-put", "hx-patch", "hx-delete")):
            self.writers.append({"tag": tag, **attrs})
        if tag == "form":
            self._open = Form(attrs.get("method", "get").lower(), attrs.get("action", ""), attrs)
            self.forms.append(self._open)
        elif tag in CONTROL_TAGS and self._open is not None:
            self._open.fields.append(attrs.get("name", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def parse(response_or_html) -> Page:
    html = getattr(response_or_html, "content", response_or_html)
    page = Page()
    page.feed(html.decode() if isinstance(html, bytes) else html)
    page.close()
    return page


def write_forms(response_or_html, *, except_action: str = "") -> list[Form]:
    """The forms of a page that post (anything but a GET search), less the one whose action is
    ``except_action`` (the log-out button of every page)."""
    return [
        form
        for form in parse(response_or_html).forms
        if form.method != "get" and not (except_action and form.action == except_action)
    ]
