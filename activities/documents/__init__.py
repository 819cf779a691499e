"""The document layer: confined paths, parsers, chunking with anchors, and the store."""
