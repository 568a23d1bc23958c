"""The sniffer: a file is kept only when its bytes are an allowed type and its name agrees."""

import pytest
from django.core.exceptions import ValidationError

from apps.evidence.files import check_upload, sanitise_name
from tests.evidence.samples import CSV, EXE, HTML, PDF, PNG, SVG, office, upload


@pytest.mark.parametrize(
    ("name", "data", "extension", "content_type"),
    [
        ("Minutes.pdf", PDF, "pdf", "application/pdf"),
        ("chart.PNG", PNG, "png", "image/png"),
        ("log.csv", CSV, "csv", "text/csv"),
        ("notes.txt", b"Plain words.\n", "txt", "text/plain"),
        (
            "report.docx",
            office("docx"),
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "figures.xlsx",
            office("xlsx"),
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_allowed_files_are_kept_with_their_type_and_fingerprint(name, data, extension, content_type):
    checked = check_upload(upload(name, data))
    assert (checked.extension, checked.content_type, checked.size) == (extension, content_type, len(data))
    assert len(checked.sha256) == 64 and checked.original_name.endswith(f".{extension}")


def _refused(name, data):
    with pytest.raises(ValidationError) as excinfo:
        check_upload(upload(name, data))
    return " ".join(excinfo.value.messages)


def test_a_renamed_program_is_refused():
    assert "program" in _refused("minutes.pdf", EXE)
    assert "program" in _refused("minutes.exe", EXE)


def test_a_macro_enabled_document_is_refused_by_its_content_types_whatever_its_name():
    assert "macro" in _refused("report.docm", office("docm"))
    assert "macro" in _refused("report.docx", office("docm"))  # renamed
    assert "macro" in _refused("sheet.xlsx", office("xlsm"))


def test_a_document_with_a_vba_project_inside_is_refused():
    assert "macros" in _refused("report.docx", office("docx", vba=True))


def test_html_called_pdf_is_refused():
    assert "web page" in _refused("minutes.pdf", HTML)
    assert "web page" in _refused("drawing.txt", SVG)


def test_text_called_pdf_is_refused_by_its_content():
    message = _refused("minutes.pdf", b"Just some words.\n")
    assert "called .pdf but its content is text" in message


def test_an_unlisted_extension_is_refused():
    assert "Files ending .md are not kept" in _refused("notes.md", b"# Words\n")
    assert "RTF file, which ccgtrack does not keep" in _refused("archive.rtf", b"{\\rtf1 hello}")


def test_an_oversize_file_is_refused_with_the_limit(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    message = _refused("big.pdf", PDF + b"0" * (1024 * 1024 + 10))
    assert "the largest file ccgtrack keeps is 1 MB" in message


def test_an_empty_file_is_refused():
    assert "empty" in _refused("minutes.pdf", b"")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Board minutes Oct 2012.pdf", "Board minutes Oct 2012.pdf"),
        ('evil"<script>.pdf', "evil-script.pdf"),
        ("Ünïcode ré.pdf", "Unicode re.pdf"),
        ("....pdf", "evidence.pdf"),
    ],
)
def test_names_are_sanitised(name, expected):
    assert sanitise_name(name, "pdf") == expected
