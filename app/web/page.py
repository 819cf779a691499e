"""Serving the page: ``/`` (index.html) and ``/static/<file>`` for each file of the static
folder, read once at import. No data lives in them, so they are served without the API token
(``PUBLIC_PATHS``); the page itself asks for the token and sends it with its API calls.

A Content-Security-Policy lets the page run only this origin's own scripts and styles (no inline
script, no CDN) and talk only to this origin.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import HTMLResponse

STATIC_PREFIX = "/static/"
_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
AUTH_MARKER = '<meta name="docorch-auth" content="optional">'
"""index.html's placeholder, replaced by ``content="required"`` when the API has a token."""


def _assets() -> dict[str, bytes]:
    """The static folder's files by name (those of a known type), read from the package."""
    folder = files("app.web").joinpath("static")
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and any(entry.name.endswith(suffix) for suffix in _MEDIA_TYPES)
    }


_ASSETS = _assets()
_INDEX = _ASSETS.pop("index.html")
PUBLIC_PATHS = frozenset({"/", *(f"{STATIC_PREFIX}{name}" for name in _ASSETS)})
"""The page and its assets: what the API's guard lets through without a token."""


def _media_type(name: str) -> str:
    return next(kind for suffix, kind in _MEDIA_TYPES.items() if name.endswith(suffix))


def router(*, auth_required: bool) -> APIRouter:
    """The page's routes (not in the OpenAPI schema). ``auth_required`` tells the page to ask
    for the API token before its first call."""
    index = _INDEX.decode()
    if auth_required:
        index = index.replace(AUTH_MARKER, AUTH_MARKER.replace("optional", "required"))
    page = APIRouter(include_in_schema=False)

    @page.get("/", response_class=HTMLResponse)
    async def home() -> HTMLResponse:
        return HTMLResponse(index, headers=_HEADERS)

    @page.get(STATIC_PREFIX + "{name}")
    async def asset(name: str) -> Response:
        body = _ASSETS.get(name)
        if body is None:
            raise HTTPException(404, detail=f"no such file: {name}")
        return Response(body, media_type=_media_type(name), headers=_HEADERS)

    return page
