"""What an evidence file is, read from its bytes, and whether ccgtrack keeps it.

A file is kept only when its content is one of the allowed types (PDF, Word, Excel,
PowerPoint, their legacy forms, CSV, text, PNG, JPEG) and its name's extension agrees with the
content. The ``filetype`` sniffer reads the magic numbers; Office's OOXML files are zip archives,
so the archive's own ``[Content_Types].xml`` says which part is the document, and a
macro-enabled document (docm, xlsm, pptm: their content types, or a ``vbaProject.bin`` inside,
whatever the file is called) is refused. Executables are refused by their magic numbers, and a
"text" file that is HTML, SVG or XML is refused (it could be rendered as a page). Every refusal
raises ``ValidationError`` with a sentence for the person uploading.
"""

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024
SNIFF_BYTES = 8192

# Extension -> (the content type ccgtrack stores and sends, what people call it).
ALLOWED: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint"),
    "doc": ("application/msword", "Word 97-2003 document"),
    "xls": ("application/vnd.ms-excel", "Excel 97-2003 workbook"),
    "ppt": ("application/vnd.ms-powerpoint", "PowerPoint 97-2003"),
    "csv": ("text/csv", "CSV"),
    "txt": ("text/plain", "text"),
    "png": ("image/png", "PNG image"),
    "jpg": ("image/jpeg", "JPEG image"),
}
SYNONYMS = {"jpeg": "jpg"}
ALLOWED_WORDS = "PDF, Word, Excel, PowerPoint (with their 97-2003 forms), CSV, text, PNG or JPEG"
ACCEPT = ",".join(f".{ext}" for ext in [*ALLOWED, *SYNONYMS])

# The main part of each OOXML document, by content type.
OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
# Macro-enabled Office (docm, dotm, xlsm, xltm, xlam, pptm, potm, ppsm, ppam) and templates.
OOXML_REFUSED = re.compile(
    r"macroEnabled|vbaProject|ms-office\.vbaProject|template\.main|addin|slideshow\.main", re.IGNORECASE
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A legacy Office file with macros has these storages in its directory (names in UTF-16).
OLE_MACRO_MARKERS = tuple(name.encode("utf-16-le") for name in ("_VBA_PROJECT", "VBA", "Macros"))
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
MARKUP = re.compile(rb"^\s*(<\?xml|<!doctype|<html|<svg|<script|<head|<body|<iframe|<object)", re.IGNORECASE)


def max_upload_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def size_words(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


@dataclass
class CheckedFile:
    """A file that passed every check, with what is stored about it. ``stored_name`` is set once
    the service has written it to the storage (so a refusal afterwards can delete it again)."""

    data: bytes
    extension: str
    content_type: str
    original_name: str
    sha256: str
    stored_name: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


def sanitise_name(name: str, extension: str) -> str:
    """The uploaded name made safe to keep and to send back: no folders, no control or
    unusual characters, at most 120 characters, ending in the extension its content has."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9 ._()-]+", "-", stem)
    stem = re.sub(r"[-\s.]{2,}", "-", stem).strip(" .-_")[:100] or "evidence"
    return f"{stem}.{extension}"


def _extension(name: str) -> str:
    suffix = PurePosixPath(str(name).replace("\\", "/")).suffix.lower().lstrip(".")
    return SYNONYMS.get(suffix, suffix)


def _ooxml_kind(data: bytes) -> str:
    """docx / xlsx / pptx, from the archive's content types; ValidationError otherwise."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if any(PurePosixPath(n).name.lower() == "vbaproject.bin" for n in names):
                raise ValidationError(
                    "This Office file contains macros, which could run on the readers' computers. "
                    "Save it without macros (as .docx, .xlsx or .pptx) and upload that."
                )
            try:
                types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            except KeyError:
                types = ""
    except zipfile.BadZipFile as error:
        raise ValidationError("This file is damaged: it could not be opened.") from error
    if OOXML_REFUSED.search(types):
        raise ValidationError(
            "This Office file is macro-enabled (or a template or add-in), which could run code on the "
            "readers' computers. Save it as an ordinary .docx, .xlsx or .pptx and upload that."
        )
    for content_type, kind in OOXML_MAIN.items():
        if content_type in types:
            return kind
    raise ValidationError(
        f"This file is a zip archive, not a document. Upload a {ALLOWED_WORDS} file instead."
    )


def _content_kind(data: bytes, claimed: str) -> str:
    """The allowed extension the bytes are, or ValidationError saying why not."""
    head = data[:SNIFF_BYTES]
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError(
            "This file is a program, which ccgtrack never keeps. Upload a document instead."
        )
    if head.startswith(OLE_MAGIC):
        if any(marker in data for marker in OLE_MACRO_MARKERS):
            raise ValidationError(
                "This Office file contains macros, which could run on the readers' computers. "
                "Save it without macros and upload that."
            )
        if claimed in ("doc", "xls", "ppt"):
            # The three share one container; the name says which, the container that it is Office.
            return claimed
        raise ValidationError(
            "This file is an older Office document: give it its .doc, .xls or .ppt name and upload it again."
        )
    guess = filetype.guess(head)
    if guess is not None:
        extension = SYNONYMS.get(guess.extension, guess.extension)
        if extension in ("exe", "elf", "dll", "msi", "dmg", "deb", "rpm", "wasm", "dex", "crx", "swf"):
            raise ValidationError(
                "This file is a program, which ccgtrack never keeps. Upload a document instead."
            )
        if extension in ("zip", "docx", "xlsx", "pptx"):
            return _ooxml_kind(data)
        if extension in ("pdf", "png", "jpg"):
            return extension
        raise ValidationError(
            f"This file is a {guess.extension.upper()} file, which ccgtrack does not keep. "
            f"Upload a {ALLOWED_WORDS} file."
        )
    # No magic number: text, if it reads as text and is not a page or a drawing.
    if b"\x00" in head:
        raise ValidationError(f"ccgtrack could not tell what this file is. Upload a {ALLOWED_WORDS} file.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ValidationError(
                f"ccgtrack could not tell what this file is. Upload a {ALLOWED_WORDS} file."
            ) from error
    if MARKUP.match(head.lstrip(b"\xef\xbb\xbf")):
        raise ValidationError(
            "This file is a web page, XML or drawing (HTML, XML or SVG), which ccgtrack does not keep. "
            "Save it as a PDF and upload that."
        )
    return claimed if claimed in ("csv", "txt") else "txt"


def check_upload(upload: Any) -> CheckedFile:
    """Read ``upload`` (an uploaded file, or any object with ``name``, ``size`` and ``read``),
    check its size and content, and return what is kept; ValidationError saying why it is refused."""
    limit = max_upload_bytes()
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            f"This file is {size_words(size)}; the largest file ccgtrack keeps is {size_words(limit)}. "
            "Make it smaller (a PDF of the pages that matter, say) or keep it elsewhere and add a link."
        )
    stream: IO[bytes] = upload
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            f"This file is larger than {size_words(limit)}, the largest file ccgtrack keeps. "
            "Make it smaller or keep it elsewhere and add a link."
        )
    if not data:
        raise ValidationError("This file is empty.")
    claimed = _extension(name)
    kind = _content_kind(data, claimed)
    if claimed not in ALLOWED:
        raise ValidationError(
            f"Files ending .{claimed or '(nothing)'} are not kept. Upload a {ALLOWED_WORDS} file."
        )
    if kind != claimed and not (kind == "txt" and claimed == "csv"):
        raise ValidationError(
            f"This file is called .{claimed} but its content is {ALLOWED[kind][1]}: "
            f"give it its right name (.{kind}) and upload it again."
        )
    content_type = ALLOWED[kind][0]
    return CheckedFile(
        data=data,
        extension=kind,
        content_type=content_type,
        original_name=sanitise_name(name, kind),
        sha256=hashlib.sha256(data).hexdigest(),
    )
