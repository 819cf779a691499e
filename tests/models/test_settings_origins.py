"""The codec's CORS origins are origins: a wildcard, 'null' or a path would let other pages
call the API's /codec (or mean nothing), so they are refused when the settings are read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.settings import Settings


def test_origins_are_read_comma_separated_without_a_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "DOCORCH_CODEC_CORS_ORIGINS", " http://localhost:8233/ , https://ui.example.com:8443,"
    )
    assert Settings().codec_cors_origins == ("http://localhost:8233", "https://ui.example.com:8443")


@pytest.mark.parametrize(
    "origin", ["*", "null", "http://*.example.com", "localhost:8233", "ftp://x", "http://x/ui"]
)
def test_a_wildcard_or_no_origin_is_refused(monkeypatch: pytest.MonkeyPatch, origin: str) -> None:
    monkeypatch.setenv("DOCORCH_CODEC_CORS_ORIGINS", origin)
    with pytest.raises(ValidationError, match="no wildcard"):
        Settings()
