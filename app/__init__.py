"""The applications on top of the SDK: the CLI (``app.cli``), the HTTP API (``app.api``) and the
embedded dev-server runtime they share (``app.runtime``)."""
