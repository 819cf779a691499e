"""docorch's workflow runner: the sandbox is asked for a payload's serialization context only when
the data converter uses it, and a converter whose codec does use it still gets the activity's
context for the activity's payloads; our workflow modules load into each sandbox from memory,
fresh module objects every run."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Self

import pytest
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.tools.catalog import default_registry
from client import workflow_code
from client.codec import EncryptionCodec
from client.plugin import DocorchPlugin, data_converter, sandbox_restrictions, workflow_runner
from client.runner import DocorchWorkflowRunner, fitted, needs_payload_context
from client.sdk import OrchestratorClient
from client.workflow_code import _CompiledLoader
from models.query import QueryStatus
from models.settings import Settings
from worker import build_worker
from workflows.query import QueryWorkflow

QUESTION = "What is the monthly fee?"


class ContextCodec(PayloadCodec, WithSerializationContext):
    """A codec that takes a serialization context (as one signing payloads per workflow would)
    and records the contexts it encoded under; it changes no payload."""

    def __init__(
        self, seen: list[SerializationContext] | None = None, context: object = None
    ) -> None:
        self.seen = seen if seen is not None else []
        self.context = context

    def with_context(self, context: SerializationContext) -> Self:
        return type(self)(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if isinstance(self.context, SerializationContext):
            self.seen.append(self.context)
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


def test_docorchs_converters_need_no_payload_context() -> None:
    assert not needs_payload_context(data_converter())
    assert not needs_payload_context(data_converter(EncryptionCodec([("k1", b"k" * 32)])))
    assert not needs_payload_context(pydantic_data_converter)
    assert needs_payload_context(data_converter(ContextCodec()))


def test_only_docorchs_runner_is_fitted_to_the_converter() -> None:
    plain = fitted(workflow_runner(), data_converter())
    assert isinstance(plain, DocorchWorkflowRunner) and not plain.payload_context
    contextual = fitted(workflow_runner(), data_converter(ContextCodec()))
    assert isinstance(contextual, DocorchWorkflowRunner) and contextual.payload_context
    other = SandboxedWorkflowRunner()
    assert fitted(other, data_converter()) is other


@pytest.mark.integration
async def test_a_worker_on_docorchs_converter_spares_the_sandbox_the_context_questions(
    client: Client, samples: Path
) -> None:
    settings = Settings()
    queue = f"runner-{uuid.uuid4().hex[:8]}"
    worker = build_worker(client, settings, registry=default_registry(), task_queue=queue)
    runner = worker.config(active_config=True)["workflow_runner"]
    assert isinstance(runner, DocorchWorkflowRunner)
    assert runner.payload_context is needs_payload_context(client.data_converter)
    async with worker:
        sdk = OrchestratorClient(client, task_queue=queue, settings=settings)
        result = await sdk.run(QUESTION, [str(samples / "contract_acme_globex.md")])
    assert result.status is QueryStatus.COMPLETED and result.citations


@pytest.mark.integration
async def test_a_codec_that_takes_a_context_gets_each_activitys_context(
    client: Client, samples: Path
) -> None:
    codec = ContextCodec()
    plugin = DocorchPlugin(payload_codec=codec)
    target = client.service_client.config.target_host
    contextual = await Client.connect(target, namespace=client.namespace, plugins=[plugin])
    settings = Settings()
    queue = f"runner-{uuid.uuid4().hex[:8]}"
    worker = build_worker(contextual, settings, registry=default_registry(), task_queue=queue)
    runner = worker.config(active_config=True)["workflow_runner"]
    assert isinstance(runner, DocorchWorkflowRunner) and runner.payload_context
    async with worker:
        sdk = OrchestratorClient(contextual, task_queue=queue, settings=settings)
        result = await sdk.run(QUESTION, [str(samples / "contract_acme_globex.md")])
    assert result.status is QueryStatus.COMPLETED
    activities = {
        c.activity_type for c in codec.seen if isinstance(c, ActivitySerializationContext)
    }
    assert {"search_documents", "answer_question"} <= activities


async def test_workflow_modules_load_fresh_into_each_sandbox_from_kept_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executed: list[ModuleType] = []
    original = _CompiledLoader.exec_module

    def recording(self: _CompiledLoader, module: ModuleType) -> None:
        executed.append(module)
        original(self, module)

    monkeypatch.setattr(_CompiledLoader, "exec_module", recording)
    runner = workflow_runner()
    definition = workflow._Definition.must_from_class(QueryWorkflow)
    runner.prepare_workflow(definition)  # a sandboxed instance, as for a workflow run
    runner.prepare_workflow(definition)
    loaded = [m for m in executed if m.__name__ == "workflows.query"]
    assert len(loaded) == 2 and loaded[0] is not loaded[1]  # a fresh module each run
    assert sys.modules["workflows.query"] not in loaded  # never the worker's own
    loaders = [m.__spec__.loader if m.__spec__ else None for m in loaded]
    assert isinstance(loaders[0], _CompiledLoader) and isinstance(loaders[1], _CompiledLoader)
    assert loaders[0].code is loaders[1].code  # compiled once
    finder = workflow_code.install()
    assert finder.find_spec("workflows.query", None) is None  # outside a sandbox: standard
    executed.clear()  # another runner's sandbox imports them as Temporal's runner does
    SandboxedWorkflowRunner(restrictions=sandbox_restrictions()).prepare_workflow(definition)
    assert executed == []
