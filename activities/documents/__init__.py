"""The document layer: confined paths, parsers, chunking with anchors, and ingestion into the
store (``store``)."""
