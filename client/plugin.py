"""The docorch plugin: what every Temporal client, worker and replayer of docorch shares.

One ``DocorchPlugin`` carries the pydantic data converter (with an optional payload codec), the
workflow sandbox configuration, the exception types that fail a workflow instead of its task,
and the interceptor that tells sandboxed workflows whether this process upserts search
attributes. ``client.connection.connect`` puts it on the client; a worker built on that client
inherits it, and ``Replayer(plugins=[DocorchPlugin()])`` replays the same way.

It imports only ``models``, ``client.codec``, ``client.runner``, ``workflows.search_attributes``
(Temporal only) and third-party modules, so the SDK that uses it stays free of worker code.
"""

from __future__ import annotations

import dataclasses

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.plugin import SimplePlugin
from temporalio.worker import (
    Interceptor,
    ReplayerConfig,
    WorkerConfig,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from client.codec import payload_codec as configured_codec
from client.runner import DocorchWorkflowRunner, fitted
from models.settings import Settings
from workflows import search_attributes

PLUGIN_NAME = "docorch"

PASSTHROUGH_MODULES = (
    # our contracts: pydantic models and the pure plan grammar, no state, no I/O, no clock
    "models",
    # pydantic and what it is built on: deterministic, and slow to import once per workflow run
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_extensions",
    "typing_inspection",
)
"""Modules the workflow sandbox shares instead of importing afresh for each workflow run. Only
third-party modules and ``models``: our workflow code (``workflows``) is imported inside the
sandbox, so its calls to the clock, randomness, files or the network are caught."""

WORKFLOW_FAILURE_EXCEPTION_TYPES: tuple[type[BaseException], ...] = (
    ValidationError,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
    ArithmeticError,
    AssertionError,
)
"""Errors that fail the workflow (or the update that raised them) instead of its task, in every
docorch workflow: a payload that does not validate (a bad QueryRequest or SessionState sent by
any client) or a deterministic bug (a KeyError, an OverflowError on a duration) fails the same
way on every retry, so retrying the task would only loop while the caller waits forever. The
workflow fails at once with the error's type and message instead. Not listed, so still retried
until a fixed worker is deployed: nondeterminism and sandbox violations (a deployment problem,
which a rollback cures)."""


def sandbox_restrictions() -> SandboxRestrictions:
    """The default restrictions with docorch's passthrough modules."""
    return SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)


def workflow_runner(*, payload_context: bool = True) -> SandboxedWorkflowRunner:
    """The sandboxed runner docorch's workers and replayers use (``client.runner``): the
    restrictions above, our workflow modules loaded from code compiled once per process, and,
    with ``payload_context=False`` (the plugin sets it when the data converter allows), no
    serialization-context questions to the sandbox."""
    return DocorchWorkflowRunner(
        restrictions=sandbox_restrictions(), payload_context=payload_context
    )


def data_converter(payload_codec: PayloadCodec | None = None) -> DataConverter:
    """The pydantic data converter, encoding payloads with ``payload_codec`` when given
    (encryption or compression; every client and worker must use the same)."""
    if payload_codec is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=payload_codec)


class SearchAttributeSwitch(Interceptor):
    """Hands sandboxed workflows this process's search-attribute switch (see
    ``workflows.search_attributes``) as an extern function. Intercepts nothing."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """Register the extern function; no workflow interceptor."""
        input.unsafe_extern_functions[search_attributes.SWITCH] = search_attributes.enabled
        return None


class DocorchPlugin(SimplePlugin):
    """Converter, sandbox, failure types and interceptors for docorch's clients, workers and
    replayers. ``payload_codec`` encodes every payload (the same codec everywhere)."""

    def __init__(self, *, payload_codec: PayloadCodec | None = None) -> None:
        super().__init__(
            PLUGIN_NAME,
            data_converter=data_converter(payload_codec),
            interceptors=[SearchAttributeSwitch()],
            workflow_runner=workflow_runner(),
            workflow_failure_exception_types=list(WORKFLOW_FAILURE_EXCEPTION_TYPES),
        )

    def configure_worker(self, config: WorkerConfig) -> WorkerConfig:
        """The SimplePlugin's configuration, with docorch's runner fitted to the client's data
        converter (``client.runner.fitted``)."""
        config = super().configure_worker(config)
        runner = fitted(config.get("workflow_runner"), config["client"].data_converter)
        if runner is not None:
            config["workflow_runner"] = runner
        return config

    def configure_replayer(self, config: ReplayerConfig) -> ReplayerConfig:
        """As ``configure_worker``, for the replayer's data converter."""
        config = super().configure_replayer(config)
        runner = fitted(config.get("workflow_runner"), config.get("data_converter"))
        if runner is not None:
            config["workflow_runner"] = runner
        return config

    @classmethod
    def configured(cls, settings: Settings) -> DocorchPlugin:
        """The plugin with the payload codec ``settings`` configure: AES-GCM encryption with
        DOCORCH_CODEC_KEYS (``client.codec``), or none."""
        return cls(payload_codec=configured_codec(settings))


def has_plugin(client: Client) -> bool:
    """True when ``client`` was connected with the docorch plugin (its workers inherit it)."""
    return any(p.name() == PLUGIN_NAME for p in client.config()["plugins"])
