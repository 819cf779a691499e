"""Everything with I/O: planning, the tool registry, ingestion into the store and the tools."""
