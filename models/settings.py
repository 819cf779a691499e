"""The one settings object. Read from the environment (DOCORCH_*, OPENAI_*), passed down.

Temporal connection settings (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS,
profiles) are read by ``temporalio.envconfig`` in ``client.connection``, not here, so the same
configuration reaches the dev server, a self-hosted cluster or Temporal Cloud.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_TASK_QUEUE = "docorch"
CODEC_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
AES_KEY_BYTES = (16, 24, 32)
DEV_UI_ORIGINS = ("http://localhost:8233", "http://127.0.0.1:8233")
"""The Web UI of the embedded dev server (DOCORCH_SERVER_PORT 7233, UI on +1000)."""


def parse_codec_keys(text: str) -> tuple[tuple[str, bytes], ...]:
    """``kid1:base64key,kid2:base64key`` as (key id, key) pairs, in order: the first encrypts,
    all decrypt. Raises ValueError naming what is wrong (never the key itself)."""
    ring: list[tuple[str, bytes]] = []
    for position, entry in enumerate(e.strip() for e in text.split(",") if e.strip()):
        kid, sep, encoded = entry.partition(":")
        kid = kid.strip()
        if not sep or not CODEC_KEY_ID.fullmatch(kid):
            raise ValueError(
                f"DOCORCH_CODEC_KEYS entry {position + 1}: expected 'key-id:base64-key' with a "
                "key id of letters, digits, '.', '_' or '-'"
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"DOCORCH_CODEC_KEYS key {kid!r}: not base64") from None
        if len(key) not in AES_KEY_BYTES:
            raise ValueError(
                f"DOCORCH_CODEC_KEYS key {kid!r}: {len(key)} bytes; AES-GCM takes 16, 24 or 32 "
                "(e.g. `openssl rand -base64 32`)"
            )
        if any(kid == known for known, _ in ring):
            raise ValueError(f"DOCORCH_CODEC_KEYS: key id {kid!r} given twice")
        ring.append((kid, key))
    if not ring:
        raise ValueError("DOCORCH_CODEC_KEYS is set but names no key")
    return tuple(ring)


class Settings(BaseSettings):
    """docorch configuration. Every field can be set by the environment variable in its alias."""

    model_config = SettingsConfigDict(env_prefix="DOCORCH_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path(".docorch"), description="Store, index and server db.")
    store_url: str | None = Field(
        default=None,
        description="DOCORCH_STORE_URL: where documents, the search index, tool figures and the "
        "LLM ledger live. Unset: the embedded store (SQLite FTS5 + files) under data_dir; "
        "'embedded:PATH' puts it under PATH; 'postgresql://USER:PASSWORD@HOST/DB' in PostgreSQL "
        "(shared by workers on any number of machines).",
    )
    task_queue: str = DEFAULT_TASK_QUEUE
    allowed_roots: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        description="Directories documents may be read from (os.pathsep-separated); "
        "empty means the current directory.",
    )
    tools: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="DOCORCH_TOOLS: your own tools for the worker, as 'module:function' entries "
        "(comma-separated); each function is called with the worker's ToolRegistry, after the "
        "built-in tools are registered, and registers its tools on it.",
    )
    max_document_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_inflated_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="DOCORCH_MAX_INFLATED_BYTES: most bytes a document's compressed parts (the "
        "ZIP members of a DOCX, a PDF's compressed streams) may inflate to; beyond it the "
        "document is refused as a DecompressionBomb before it is parsed.",
    )
    max_compression_ratio: float = Field(
        default=200.0,
        gt=1,
        description="DOCORCH_MAX_COMPRESSION_RATIO: a compressed part inflating to over 8 MiB "
        "at more than this ratio is refused as a DecompressionBomb (text compresses 3-20 fold).",
    )
    parse_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="DOCORCH_PARSE_TIMEOUT_SECONDS: wall-clock bound of parsing one document; "
        "past it the parse process is killed and the document refused as DocumentTooComplex.",
    )
    parse_memory_mb: int = Field(
        default=1024,
        ge=256,
        description="DOCORCH_PARSE_MEMORY_MB: address space of a parse process (RLIMIT_AS); a "
        "document that needs more is refused as DocumentTooLarge.",
    )
    parse_processes: int = Field(
        default=4,
        ge=1,
        le=64,
        description="DOCORCH_PARSE_PROCESSES: documents a worker parses at once, each in its own "
        "process (kept for reuse, killed on timeout or cancellation).",
    )
    semantic_search: bool = Field(
        default=False,
        description="DOCORCH_SEMANTIC_SEARCH: true (with the optional 'semantic' extra installed) "
        "embeds chunks at ingestion and fuses embedding ranks with BM25's in search. Off by "
        "default: embedding costs about 0.1-0.3 s per chunk on a CPU (ingesting the eval set: "
        "173 s instead of 1 s) for one more answer in 125 (EVAL.md). Without the extra it has "
        "no effect.",
    )
    pdf_passwords: dict[str, str] = Field(
        default_factory=dict,
        description="Passwords for encrypted PDFs: a JSON object from file name (or glob such "
        'as "*.pdf") to password, e.g. DOCORCH_PDF_PASSWORDS=\'{"board.pdf": "s3cret"}\'.',
    )
    server_port: int = Field(default=7233, description="Port of the embedded dev server.")
    ui_url: str | None = Field(
        default=None,
        description="DOCORCH_UI_URL: base URL of the Temporal Web UI, for the links docorch "
        "prints and returns (e.g. http://localhost:8080 for deploy/, "
        "https://cloud.temporal.io for Temporal Cloud). Unset: derived from the server address "
        "as the dev server places its UI (port + 1000).",
    )
    log_format: str = Field(default="auto", description="auto | json | console")
    max_concurrent_activities: int = Field(default=32, ge=1)
    api_token: str | None = None
    api_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="DOCORCH_API_ALLOWED_HOSTS: host names (comma-separated) the HTTP API answers "
        "to besides the loopback ones, checked against the Host header (a DNS-rebinding "
        "defence); without DOCORCH_API_TOKEN always checked, with it only when set.",
    )
    codec_keys: SecretStr | None = Field(
        default=None,
        description="DOCORCH_CODEC_KEYS: AES-GCM keys that encrypt every Temporal payload, "
        "'kid1:base64key,kid2:base64key'; the first encrypts, all decrypt (rotation: put the "
        "new key first, keep the old ones while histories that use them are kept). Unset: "
        "payloads are plain JSON.",
    )
    codec_cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEV_UI_ORIGINS,
        description="DOCORCH_CODEC_CORS_ORIGINS: comma-separated origins of the Temporal Web UIs "
        "that may call the API's /codec endpoints from the browser.",
    )
    llm_model: str | None = Field(default=None, description="DOCORCH_LLM_MODEL")
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "DOCORCH_OPENAI_BASE_URL")
    )
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "DOCORCH_OPENAI_API_KEY")
    )
    llm_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="DOCORCH_LLM_TIMEOUT_SECONDS: bound of one LLM call (also never past the "
        "calling activity's own timeout). A timeout is retried by the activity's retry policy.",
    )
    llm_max_tokens: int = Field(
        default=2048, ge=16, description="DOCORCH_LLM_MAX_TOKENS: completion tokens per call."
    )
    llm_plan_rounds: int = Field(
        default=2,
        ge=1,
        le=5,
        description="DOCORCH_LLM_PLAN_ROUNDS: LLM planning rounds per query (the first plan and "
        "its repairs); when none validates, the template plan is used.",
    )
    llm_template_confidence: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="DOCORCH_LLM_TEMPLATE_CONFIDENCE: with strategy ADAPTIVE, a query classified "
        "at least this confidently uses its template; others are planned by the LLM.",
    )
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="DOCORCH_LLM_PRICES: JSON object, model name (or prefix, or '*') -> "
        "[USD per million prompt tokens, USD per million completion tokens], for cost "
        "estimates, e.g. '{\"gpt-4o-mini\": [0.15, 0.6]}'. Unlisted models cost 0.",
    )

    @field_validator("allowed_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            import os

            return tuple(Path(p) for p in value.split(os.pathsep) if p.strip())
        return value

    @field_validator("tools", mode="before")
    @classmethod
    def _split_tools(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):  # spaces around an entry and empty entries go
            entries = (t.strip() if isinstance(t, str) else t for t in value)
            return tuple(t for t in entries if t != "")
        return value

    @field_validator("tools")
    @classmethod
    def _check_tools(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            module, _, function = entry.partition(":")
            if (
                not module
                or not function
                or not all(part.isidentifier() for part in (*module.split("."), function))
            ):
                raise ValueError(
                    f"{entry!r}: name a tool extension as 'module:function', e.g. mytools:register"
                )
        return value

    @field_validator("api_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @field_validator("codec_keys", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(text, str) and not text.strip() else value

    @field_validator("codec_keys")
    @classmethod
    def _check_codec_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_codec_keys(value.get_secret_value())
        return value

    @field_validator("codec_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        return value

    @field_validator("codec_cors_origins")
    @classmethod
    def _check_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
                raise ValueError(
                    f"{origin!r}: list each Temporal UI's origin as scheme://host[:port] "
                    "(e.g. http://localhost:8233); no wildcard, no 'null', no path"
                )
        return value

    def codec_key_ring(self) -> tuple[tuple[str, bytes], ...]:
        """The payload codec's (key id, key) pairs, the encrypting one first; empty when
        DOCORCH_CODEC_KEYS is unset."""
        if self.codec_keys is None:
            return ()
        return parse_codec_keys(self.codec_keys.get_secret_value())

    def roots(self) -> tuple[Path, ...]:
        """Allowed roots, resolved; the current directory when none is configured."""
        roots = self.allowed_roots or (Path.cwd(),)
        return tuple(r.expanduser().resolve() for r in roots)

    @property
    def llm_enabled(self) -> bool:
        """True when a model and an endpoint (a base URL, or OpenAI's through an API key) are
        configured; otherwise planning uses templates and the tools extractive methods."""
        return bool(self.llm_model and (self.openai_base_url or self.openai_api_key))

    def llm_price(self, model: str) -> tuple[float, float]:
        """(USD per million prompt tokens, per million completion tokens) of ``model``: the exact
        entry, else the longest prefix entry, else '*', else free."""
        if model in self.llm_prices:
            return self.llm_prices[model]
        prefixes = [p for p in self.llm_prices if p != "*" and model.startswith(p)]
        if prefixes:
            return self.llm_prices[max(prefixes, key=len)]
        return self.llm_prices.get("*", (0.0, 0.0))
