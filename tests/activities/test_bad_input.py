"""Bad input is a clear, typed error naming the file — or, where the content is recognisable, a
parse with a warning. Paths outside the allowed roots are refused, however they get there."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from activities.context import ToolContext
from activities.documents.ingestion import ingest_file
from activities.documents.parsers import parse_document
from activities.documents.paths import confined_path
from activities.errors import (
    CorruptDocument,
    DocumentNotFound,
    DocumentTooLarge,
    EmptyDocument,
    EncryptedDocument,
    PathNotAllowed,
    UnsupportedDocument,
)
from activities.ingest import locate
from tests.activities.factories import docx_bytes, pdf_bytes

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "empty.md", "empty.html"])
def test_empty_file_is_an_empty_document(name: str) -> None:
    with pytest.raises(EmptyDocument, match=f"{name}: the file is empty"):
        parse_document(Path(name), b"")


def test_whitespace_only_text_is_an_empty_document() -> None:
    with pytest.raises(EmptyDocument, match=r"blank\.md"):
        parse_document(Path("blank.md"), b"  \n\n \t\n")


def test_file_over_the_size_limit_is_refused_before_reading(
    context: ToolContext, tmp_path: Path
) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 3000)
    with pytest.raises(
        DocumentTooLarge, match=r"big\.txt: .* over the limit .*DOCORCH_MAX_DOCUMENT_BYTES"
    ):
        ingest_file(context.store, path, max_bytes=10_000)


def test_non_utf8_text_is_decoded_and_warned_about() -> None:
    data = "Résumé of the café meeting: the budget is 95 000 €. Ça va.".encode(
        "latin-1", errors="replace"
    )
    parsed = parse_document(Path("notes.txt"), data)
    assert "café" in parsed.text
    assert any("notes.txt: not UTF-8" in w for w in parsed.warnings)


def test_binary_content_under_a_text_extension_is_unsupported() -> None:
    with pytest.raises(UnsupportedDocument, match=r"image\.md: binary content"):
        parse_document(Path("image.md"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def test_pdf_content_named_txt_is_parsed_as_pdf_with_a_warning() -> None:
    data = pdf_bytes([[("Costs", "Total operating cost was EUR 87,600.")]])
    parsed = parse_document(Path("report.txt"), data)
    assert parsed.format == "pdf"
    assert "EUR 87,600" in parsed.text
    assert parsed.warnings[0] == "report.txt: named .txt but the content is PDF; parsed as PDF"


def test_docx_content_named_md_is_parsed_as_docx_with_a_warning() -> None:
    parsed = parse_document(Path("notes.md"), docx_bytes([("h1", "Notes"), ("p", "Hello there.")]))
    assert parsed.format == "docx"
    assert "named .md but the content is DOCX" in parsed.warnings[0]


def test_text_named_pdf_is_parsed_as_text_with_a_warning() -> None:
    parsed = parse_document(Path("minutes.pdf"), b"Minutes\n\nThe budget was approved.\n")
    assert parsed.format == "txt"
    assert "minutes.pdf: named .pdf but the content is plain text" in parsed.warnings[0]


def test_binary_named_pdf_without_a_pdf_header_is_corrupt() -> None:
    with pytest.raises(CorruptDocument, match=r"photo\.pdf: not a valid PDF \(no %PDF- header\)"):
        parse_document(Path("photo.pdf"), b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4)


def test_zip_that_is_not_a_word_document_is_corrupt(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(CorruptDocument, match=r"report\.docx: damaged DOCX, or a ZIP package"):
        parse_document(Path("report.docx"), archive.read_bytes())


def test_legacy_word_file_is_unsupported_and_protected_office_file_is_encrypted() -> None:
    with pytest.raises(UnsupportedDocument, match=r"old\.docx: a legacy binary Office file"):
        parse_document(Path("old.docx"), OLE_MAGIC + b"\x00" * 600)
    protected = OLE_MAGIC + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
    with pytest.raises(EncryptedDocument, match=r"secret\.docx: a password-protected Office file"):
        parse_document(Path("secret.docx"), protected)


def test_unsupported_extension_lists_the_supported_formats() -> None:
    with pytest.raises(
        UnsupportedDocument, match=r"notes\.xyz: \.xyz is not a supported format \(.*docx.*pdf.*rst"
    ):
        parse_document(Path("notes.xyz"), b"hello")


# ---- paths ------------------------------------------------------------------------------------


def test_path_outside_the_roots_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    with pytest.raises(PathNotAllowed, match=r"outside the allowed roots.*DOCORCH_ALLOWED_ROOTS"):
        confined_path(str(outside), (root.resolve(),))


def test_dot_dot_out_of_a_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    with pytest.raises(PathNotAllowed):
        confined_path(str(root / ".." / "secret.txt"), (root.resolve(),))


def test_symlink_leading_out_of_a_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "innocent.txt").symlink_to(secret)
    (root / "linked-dir").symlink_to(tmp_path)
    with pytest.raises(PathNotAllowed, match=r"innocent\.txt"):
        confined_path(str(root / "innocent.txt"), (root.resolve(),))
    with pytest.raises(PathNotAllowed):
        confined_path(str(root / "linked-dir" / "secret.txt"), (root.resolve(),))


def test_symlink_inside_a_root_is_followed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    target = root / "docs" / "real.md"
    target.write_text("# Real")
    (root / "alias.md").symlink_to(target)
    assert confined_path(str(root / "alias.md"), (root.resolve(),)) == target.resolve()


def test_missing_file_and_directory_are_reported(tmp_path: Path) -> None:
    roots = (tmp_path.resolve(),)
    with pytest.raises(DocumentNotFound, match=r"nope\.md: no such file"):
        confined_path(str(tmp_path / "nope.md"), roots)
    with pytest.raises(UnsupportedDocument, match="is a directory"):
        confined_path(str(tmp_path), roots)


def test_a_path_no_file_can_have_is_not_found_not_a_crash(tmp_path: Path) -> None:
    """A NUL byte, a name past the file system's limit, the home of no user and a symlink
    loop: the OS refuses them with ValueError, OSError or RuntimeError, which a worker reported
    as a corrupt document with a traceback in its log; they are documents not found."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "loop.md").symlink_to(root / "loop.md")
    roots = (root.resolve(),)
    for source, why in (
        (str(root / "a\0b.md"), "NUL"),
        (str(root / ("x" * 300 + ".md")), "too long"),
        ("~no-such-user-docorch/x.md", "home directory"),
        (str(root / "loop.md"), "loop"),
    ):
        with pytest.raises(DocumentNotFound, match=why):
            confined_path(source, roots)


def test_a_document_name_too_long_for_a_file_is_not_found(context: ToolContext) -> None:
    with pytest.raises(DocumentNotFound, match="no ingested document has this id or name"):
        locate(context, "x" * 300)
