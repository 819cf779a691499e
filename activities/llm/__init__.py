"""LLM calls through any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp, ...).

Everything here is optional: with no model configured (``Settings.llm_enabled`` false) no call
is made and callers keep their template / extractive paths.

- ``client``: one chat-completion call that returns a JSON object (JSON-schema response format,
  else a forced tool call, else plain JSON; parsed defensively), with bounded timeouts, no SDK
  retries (transient failures raise for the activity's Temporal retry policy) and usage/cost.
- per-query token accounting and the ``max_llm_tokens`` budget live in the store's ledger
  (``store.UsageLedger``), shared by every worker.
- ``scope``: which workflow / activity attempt a call belongs to (set by the activity wrappers).
- ``grounded``: "answer from these passages and cite them", with every citation checked.
"""
