"""Limits of one parse, and the checks that refuse decompression bombs before parsing starts.

A DOCX is a ZIP package: its members' declared uncompressed sizes are summed and their
compression ratios checked before python-docx opens it. The declared sizes also bound what is
actually read: ``zipfile`` never returns more than a member's declared size (a member that
inflates further fails its CRC check and the document is reported as damaged). A PDF's
compressed streams (FlateDecode, the filter of nearly every text, font and object stream) are
inflated without keeping the output, counting bytes until the budget is spent. Image streams are
skipped: text extraction does not decode them. Whatever slips past these checks (another filter
chain, an image referenced as page content) still meets the parse process's memory cap.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from activities.errors import DecompressionBomb, DocumentTooComplex
from models.settings import Settings

_DEFAULTS = Settings.model_fields
RATIO_FLOOR = 8 * 1024 * 1024
"""Parts inflating to less than this are never refused for their ratio: they cannot hurt."""
MAX_ZIP_ENTRIES = 10_000
"""A DOCX holds tens of parts, a few hundred with many images."""

_ZIP_END = b"PK\x05\x06"
_ZIP_END_SEARCH = 22 + 65535  # the end record and the longest archive comment
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_DICTIONARY_LOOKBACK = 4096
_OUT_CHUNK = 4 << 20
_IN_CHUNK = 1 << 16


@dataclass(frozen=True)
class ParseLimits:
    """What one document may cost to parse (defaults: those of ``Settings``)."""

    max_inflated_bytes: int = _DEFAULTS["max_inflated_bytes"].default
    max_compression_ratio: float = _DEFAULTS["max_compression_ratio"].default
    timeout_seconds: float = _DEFAULTS["parse_timeout_seconds"].default
    memory_mb: int = _DEFAULTS["parse_memory_mb"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseLimits:
        return cls(
            max_inflated_bytes=settings.max_inflated_bytes,
            max_compression_ratio=settings.max_compression_ratio,
            timeout_seconds=settings.parse_timeout_seconds,
            memory_mb=settings.parse_memory_mb,
        )


def _mb(size: float) -> str:
    return f"{size / 1e6:,.0f} MB"


class _Budget:
    """Counts inflated bytes against the limits; raises DecompressionBomb naming the part."""

    def __init__(self, name: str, limits: ParseLimits) -> None:
        self.name = name
        self.limits = limits
        self.total = 0

    def add(self, part: str, inflated: int, compressed: int) -> None:
        self.total += inflated
        if self.total > self.limits.max_inflated_bytes:
            raise DecompressionBomb(
                f"{self.name}: its compressed parts inflate to over "
                f"{_mb(self.limits.max_inflated_bytes)} (DOCORCH_MAX_INFLATED_BYTES); "
                "refused before parsing"
            )
        ratio = inflated / max(compressed, 1)
        if inflated > RATIO_FLOOR and ratio > self.limits.max_compression_ratio:
            raise DecompressionBomb(
                f"{self.name}: {part} inflates {ratio:,.0f}-fold (to {_mb(inflated)} at "
                f"least), over the {self.limits.max_compression_ratio:g}-fold allowed "
                "(DOCORCH_MAX_COMPRESSION_RATIO); refused before parsing"
            )


def _declared_entries(data: bytes) -> int | None:
    """The entry count in the ZIP end-of-central-directory record, if there is one."""
    end = data.rfind(_ZIP_END, max(0, len(data) - _ZIP_END_SEARCH))
    if end < 0 or end + 22 > len(data):
        return None
    return int(struct.unpack_from("<H", data, end + 10)[0])


def check_zip(name: str, data: bytes, limits: ParseLimits) -> None:
    """Refuse a ZIP package whose members inflate past ``limits`` or that has absurdly many.

    A package that cannot be read is left to its parser, which reports the damage.
    """
    entries = _declared_entries(data)
    if entries is not None and entries > MAX_ZIP_ENTRIES:  # 0xFFFF: a ZIP64 count, more still
        raise DocumentTooComplex(
            f"{name}: a package of {entries:,}+ parts (at most {MAX_ZIP_ENTRIES:,})"
        )
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        return
    budget = _Budget(name, limits)
    for member in members:
        budget.add(member.filename, member.file_size, member.compress_size)


def _inflated_size(view: memoryview, budget: int, max_ratio: float) -> tuple[int, int]:
    """(bytes out, bytes in) of the zlib stream at the start of ``view``. Counting stops once
    past ``budget``, or once past RATIO_FLOOR at over ``max_ratio``: either is already a bomb.
    Nothing inflated is kept."""
    inflater = zlib.decompressobj()
    produced = fed = 0

    def consumed() -> int:
        return fed - len(inflater.unconsumed_tail) - len(inflater.unused_data)

    def going() -> bool:
        if inflater.eof or produced > budget:
            return False
        return produced <= RATIO_FLOOR or produced <= max_ratio * consumed()

    while fed < len(view) and going():
        chunk = view[fed : fed + _IN_CHUNK]
        fed += len(chunk)
        produced += len(inflater.decompress(chunk, _OUT_CHUNK))
        while inflater.unconsumed_tail and going():
            produced += len(inflater.decompress(inflater.unconsumed_tail, _OUT_CHUNK))
    return produced, consumed()


def _stream_dictionary(data: bytes, keyword: int) -> bytes:
    start = data.rfind(b"obj", max(0, keyword - _DICTIONARY_LOOKBACK), keyword)
    return data[start if start >= 0 else max(0, keyword - _DICTIONARY_LOOKBACK) : keyword]


def check_pdf(name: str, data: bytes, limits: ParseLimits) -> None:
    """Refuse a PDF whose compressed (non-image) streams inflate past ``limits``."""
    budget = _Budget(name, limits)
    view = memoryview(data)
    for number, match in enumerate(_STREAM.finditer(data), start=1):
        start = match.end()
        if data[start : start + 1] != b"\x78":  # not a zlib stream: another filter, or none
            continue
        if b"/Image" in _stream_dictionary(data, match.start()):
            continue
        remaining = limits.max_inflated_bytes - budget.total
        try:
            produced, consumed = _inflated_size(
                view[start:], remaining, limits.max_compression_ratio
            )
        except zlib.error:  # encrypted or damaged: the parser decides
            continue
        budget.add(f"stream {number}", produced, consumed)
