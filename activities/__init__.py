"""Everything with I/O: planning, the tool registry, the document store and the tools."""
