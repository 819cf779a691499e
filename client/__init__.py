"""The docorch Python SDK: start queries and follow them, sessions, traces, visibility,
ingestion and plan previews, over any Temporal client (``client.connection.connect``).

It imports ``models``, ``workflows`` (for types and names) and the Temporal client only; the
CLI, the HTTP API and the embedded runtime are applications on top of it (``app/``).
"""

from client.reconnect import TemporalUnavailable
from client.sdk import OrchestratorClient
from client.sessions import Sessions
from client.trace import Trace, TraceNotFound

__all__ = ["OrchestratorClient", "Sessions", "TemporalUnavailable", "Trace", "TraceNotFound"]
