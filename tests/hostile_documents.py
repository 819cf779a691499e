"""Hostile documents, built on the fly: what an adversarial user uploads.

Each builder returns the file's bytes; nothing is stored in the repository. Shared by the
document-layer tests, the workflow tests and the benchmarks.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib

from tests.activities.factories import docx_bytes


def nested_html(levels: int) -> bytes:
    """A page whose text sits ``levels`` divs deep (was quadratic to strip, recursive to read)."""
    return (
        "<html><body><p>Top level text.</p>"
        + "<div>" * levels
        + "Deep text."
        + "</div>" * levels
        + "</body></html>"
    ).encode()


def slow_html(elements: int, *, salt: str = "") -> bytes:
    """A legitimate but slow page: one paragraph of ``elements`` inline elements (html.parser
    builds some 10,000 elements a second; ``salt`` makes the bytes, so the id, distinct)."""
    return (
        f"<html><body><h1>Slow page {salt}</h1><p>"
        + "<span>word</span> " * elements
        + "</p></body></html>"
    ).encode()


def _replace_docx_body(body: str, *, repeat: int = 1) -> bytes:
    """A real python-docx document whose body XML is ``body`` ``repeat`` times, streamed into
    the package at compression level 9 (a 400 MB body never sits in memory)."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes([("p", "Hello")])))
    document = source.read("word/document.xml").decode()
    head, rest = document.split("<w:body>", 1)
    tail = rest[rest.index("<w:sectPr") :]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                package.writestr(item.filename, source.read(item.filename))
                continue
            with package.open(item.filename, "w", force_zip64=True) as member:
                member.write((head + "<w:body>").encode())
                chunk = (body * max(1, 100_000 // len(body))).encode()
                per_chunk = max(1, 100_000 // len(body))
                for _ in range(repeat // per_chunk):
                    member.write(chunk)
                member.write((body * (repeat % per_chunk) + tail).encode())
    return out.getvalue()


def docx_bomb(paragraphs: int) -> bytes:
    """A zip bomb DOCX: ``paragraphs`` identical paragraphs, ~250-fold compressed (300,000
    paragraphs: a ~190 KB file whose XML is 40 MB and whose parsed tree is several times that;
    3,000,000: the 2 GB kind)."""
    paragraph = "<w:p><w:r><w:t>" + "bomb " * 20 + "</w:t></w:r></w:p>"
    return _replace_docx_body(paragraph, repeat=paragraphs)


def docx_huge_text_node(characters: int) -> bytes:
    """A DOCX with one run of ``characters`` random hex digits (lxml refuses text nodes over
    10 MB; random text compresses only two-fold, so no ratio check stops it first)."""
    text = os.urandom(characters // 2 + 1).hex()[:characters]
    return _replace_docx_body("<w:p><w:r><w:t>" + text + "</w:t></w:r></w:p>")


def docx_lying_sizes() -> bytes:
    """A DOCX whose document.xml claims 100 bytes in its ZIP headers but inflates further."""
    data = bytearray(docx_bytes([("p", "Hello " * 200)]))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_length = int.from_bytes(data[start + offset + 4 : start + offset + 6], "little")
            header = 30 if signature == b"PK\x03\x04" else 46
            name = bytes(data[start + header : start + header + name_length])
            if name == b"word/document.xml":
                data[start + offset : start + offset + 4] = (100).to_bytes(4, "little")
            start += 4
    return bytes(data)


def _deflated_spaces(prefix: bytes, megabytes: int) -> bytes:
    """A zlib stream of ``prefix`` and ``megabytes`` MiB of spaces, built in a second: a fully
    flushed deflate block resets the history, so the compressed MiB is the same every time."""
    block = b" " * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    repeated = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    checksum = zlib.adler32(prefix)
    for _ in range(megabytes):
        checksum = zlib.adler32(block, checksum)
    body = head + repeated * megabytes + deflate.flush()
    return b"\x78\xda" + body + checksum.to_bytes(4, "big")


def pdf_bomb(inflated_bytes: int) -> bytes:
    """A one-page PDF whose content stream is ``inflated_bytes`` of spaces, Flate-compressed
    ~1000-fold (2 GB: a ~2 MB file), written as raw PDF bytes."""
    stream = _deflated_spaces(b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET\n", inflated_bytes >> 20)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def markdown_redos(spaces: int) -> bytes:
    """Markdown that made the old heading and table patterns backtrack for minutes."""
    return b"# Notes" + b" " * spaces + b"x\n\n| a | b |\n" + b" " * spaces + b"x\n\nBody text.\n"
