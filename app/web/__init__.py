"""The web page for people: ``docorch api`` serves it at ``/`` (plain HTML, CSS and JavaScript
from ``app/web/static``, no build step). It talks to the API like any client does: uploads,
``POST /chat/stream``, the trace; the API token, when one is set, is typed into the page."""

from app.web.page import PUBLIC_PATHS, router

__all__ = ["PUBLIC_PATHS", "router"]
