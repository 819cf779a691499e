"""How the world gets in: the Python SDK, the CLI, the HTTP API and the embedded runtime."""

from client.sdk import OrchestratorClient

__all__ = ["OrchestratorClient"]
