"""Who may reach the API, when no token guards it: the rules ``Guard`` applies and ``serve``
checks before listening.

Without ``DOCORCH_API_TOKEN`` the API is for this machine only:
  * it listens on a loopback interface (``check_exposure`` refuses any other);
  * the Host header must name a loopback host or one of ``DOCORCH_API_ALLOWED_HOSTS``, so a web
    page whose domain was re-pointed at 127.0.0.1 (DNS rebinding) gets nothing;
  * a state-changing request sent by a browser from another site (its ``Origin`` names a host
    not allowed) is refused.
With or without a token, a state-changing request must say it carries JSON, a multipart form or
(uploads only) raw bytes: a cross-site ``text/plain`` or form-encoded POST, which browsers send
without asking first, never reaches a route.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from models.settings import Settings

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
MULTIPART = "multipart/form-data"
OCTET_STREAM = "application/octet-stream"


class UnsafeExposure(ValueError):
    """``docorch api`` was asked to listen beyond loopback without a token."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """Raise UnsafeExposure when the API would listen on ``host``, not a loopback interface,
    with no token set."""
    if not settings.api_token and not is_loopback(host):
        raise UnsafeExposure(
            f"refusing to listen on {host} without DOCORCH_API_TOKEN: anyone who can reach it "
            "could read your documents and run queries. Set DOCORCH_API_TOKEN (clients then "
            "send 'Authorization: Bearer <token>'), or listen on 127.0.0.1."
        )


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """The host names the Host header may carry (loopback ones always among them), or None
    when it is not checked: a token is set and no hosts are configured."""
    if settings.api_token and not settings.api_allowed_hosts:
        return None
    return LOOPBACK_NAMES | {h.lower() for h in settings.api_allowed_hosts}


def host_of(value: str) -> str:
    """The host name of a Host header value (``name:port``, ``[::1]:port``), lower-cased."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rpartition(":")[0] if value.count(":") == 1 else value


def host_allowed(name: str, allowed: frozenset[str]) -> bool:
    """True when ``name`` is one of ``allowed`` (``*`` allows any) or a loopback address."""
    return "*" in allowed or name in allowed or is_loopback(name)


def origin_allowed(origin: str, allowed: frozenset[str]) -> bool:
    """True when an Origin header names an allowed host (``null`` and junk never do)."""
    try:
        name = urlsplit(origin.strip()).hostname
    except ValueError:
        return False
    return name is not None and host_allowed(name, allowed)


def media_type(content_type: str) -> str:
    """``type/subtype`` of a Content-Type header, without parameters, lower-cased."""
    return content_type.split(";", 1)[0].strip().lower()


def body_type_allowed(content_type: str | None, *, upload: bool, has_body: bool) -> bool:
    """Whether a state-changing request may carry this body: JSON (``application/json`` or
    ``+json``) or a multipart form anywhere, raw bytes (``application/octet-stream``) on the
    upload route, and no content type only without a body."""
    if content_type is None:
        return not has_body
    kind = media_type(content_type)
    if kind in (JSON, MULTIPART) or kind.endswith("+json"):
        return True
    return upload and kind == OCTET_STREAM
