"""A tool extension whose module raises as it is imported (its configuration is missing)."""

raise RuntimeError("MYTOOLS_ENDPOINT is not set")


def register(registry: object) -> None:
    """Never reached."""
