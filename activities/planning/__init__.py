"""Planning: classify the query, build a plan (template or LLM), validate it, optimise it."""
