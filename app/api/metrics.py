"""The API's own Prometheus metrics (the Temporal SDK's are appended by GET /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class ApiMetrics:
    """The API's own Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "docorch_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "docorch_http_request_seconds",
            "HTTP request latency by route.",
            ["route"],
            registry=self.registry,
        )
        self.queries = Counter(
            "docorch_queries_started", "Queries started through the API.", registry=self.registry
        )
        self.sse_events = Counter(
            "docorch_sse_events",
            "Server-sent events by event type.",
            ["event"],
            registry=self.registry,
        )
        self.sse_delay = Histogram(
            "docorch_sse_event_delay_seconds",
            "From the workflow recording an event to the API sending it.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
