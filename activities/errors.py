"""Errors tools raise. Tool code never imports temporalio: the registry turns these into
Temporal ``ApplicationError``s with a stable ``type`` (bad input is never retried)."""

from __future__ import annotations


class BadInput(Exception):
    """Input a retry will not fix. Subclasses name the kind; the message names the input."""

    error_type = "BadInput"


class UnsupportedDocument(BadInput):
    error_type = "UnsupportedDocument"


class DocumentNotFound(BadInput):
    error_type = "DocumentNotFound"


class PathNotAllowed(BadInput):
    error_type = "PathNotAllowed"


class EmptyDocument(BadInput):
    error_type = "EmptyDocument"


class DocumentTooLarge(BadInput):
    error_type = "DocumentTooLarge"


class DecompressionBomb(DocumentTooLarge):
    """Compressed content (ZIP members of a DOCX, PDF streams) that inflates past the limits."""

    error_type = "DecompressionBomb"


class DocumentTooComplex(BadInput):
    """Nesting, a single run of text, or parse time or memory beyond what a parse may take."""

    error_type = "DocumentTooComplex"


class EncryptedDocument(BadInput):
    error_type = "EncryptedDocument"


class CorruptDocument(BadInput):
    error_type = "CorruptDocument"


class InvalidParameters(BadInput):
    error_type = "InvalidParameters"


class UnknownTool(BadInput):
    error_type = "UnknownTool"


class InvalidPlan(BadInput):
    error_type = "InvalidPlan"


class RateLimited(Exception):
    """A dependency asked us to slow down; retried after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


BAD_INPUT_ERROR_TYPES: tuple[str, ...] = tuple(
    cls.error_type
    for cls in (
        BadInput,
        UnsupportedDocument,
        DocumentNotFound,
        PathNotAllowed,
        EmptyDocument,
        DocumentTooLarge,
        DecompressionBomb,
        DocumentTooComplex,
        EncryptedDocument,
        CorruptDocument,
        InvalidParameters,
        UnknownTool,
        InvalidPlan,
    )
)
