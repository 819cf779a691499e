"""The one client factory: temporalio.envconfig + the pydantic data converter."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig

from models.settings import Settings


def connect_config(settings: Settings, address: str | None = None) -> dict[str, Any]:
    """Connection arguments from TEMPORAL_* / the config profile, defaulting to the embedded
    server's address."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    if address:
        config["target_host"] = address
    config.setdefault("target_host", f"localhost:{settings.server_port}")
    return config


def target_host(settings: Settings, address: str | None = None) -> str:
    return str(connect_config(settings, address)["target_host"])


async def connect(settings: Settings | None = None, *, address: str | None = None) -> Client:
    """A Temporal client for docorch (pydantic converter; envconfig for address, TLS, API key)."""
    settings = settings or Settings()
    return await Client.connect(
        **connect_config(settings, address), data_converter=pydantic_data_converter
    )
