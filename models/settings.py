"""The one settings object. Read from the environment (DOCORCH_*, OPENAI_*), passed down.

Temporal connection settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS,
profiles) are read by ``temporalio.envconfig`` in ``client.connection``, not here, so the same
configuration reaches the dev server, a self-hosted cluster or Temporal Cloud.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_TASK_QUEUE = "docorch"


class Settings(BaseSettings):
    """docorch configuration. Every field can be set by the environment variable in its alias."""

    model_config = SettingsConfigDict(env_prefix="DOCORCH_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path(".docorch"), description="Store, index and server db.")
    task_queue: str = DEFAULT_TASK_QUEUE
    allowed_roots: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        description="Directories documents may be read from (os.pathsep-separated); "
        "empty means the current directory.",
    )
    max_document_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    server_port: int = Field(default=7233, description="Port of the embedded dev server.")
    log_format: str = Field(default="auto", description="auto | json | console")
    max_concurrent_activities: int = Field(default=32, ge=1)
    api_token: str | None = None
    llm_model: str | None = Field(default=None, description="DOCORCH_LLM_MODEL")
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "DOCORCH_OPENAI_BASE_URL")
    )
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "DOCORCH_OPENAI_API_KEY")
    )

    @field_validator("allowed_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            import os

            return tuple(Path(p) for p in value.split(os.pathsep) if p.strip())
        return value

    def roots(self) -> tuple[Path, ...]:
        """Allowed roots, resolved; the current directory when none is configured."""
        roots = self.allowed_roots or (Path.cwd(),)
        return tuple(r.expanduser().resolve() for r in roots)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_model and (self.openai_base_url or self.openai_api_key))
