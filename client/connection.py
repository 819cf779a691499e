"""The one way to connect: ``temporalio.envconfig`` for where and how (address, namespace, TLS,
API key, profiles), the docorch plugin for everything docorch needs on the client."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.converter import PayloadCodec
from temporalio.envconfig import ClientConfig

from client.plugin import DocorchPlugin
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
    """The address ``connect`` would use."""
    return str(connect_config(settings, address)["target_host"])


async def connect(
    settings: Settings | None = None,
    *,
    address: str | None = None,
    payload_codec: PayloadCodec | None = None,
) -> Client:
    """A Temporal client for docorch: envconfig for address, TLS and API key, and the docorch
    plugin (pydantic converter, sandbox, failure types), which its workers inherit. Payloads
    are encrypted with ``payload_codec``, else with DOCORCH_CODEC_KEYS when set."""
    settings = settings or Settings()
    plugin = (
        DocorchPlugin(payload_codec=payload_codec)
        if payload_codec is not None
        else DocorchPlugin.configured(settings)
    )
    return await Client.connect(**connect_config(settings, address), plugins=[plugin])
