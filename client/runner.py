"""The workflow runner docorch's workers and replayers use: Temporal's sandbox, with two costs of
running a workflow in it taken out. Nothing about what the sandbox checks changes.

- **Loading our modules.** The sandbox imports ``workflows`` afresh for every workflow run; the
  modules' code objects come from memory (``client.workflow_code``) instead of being found, read
  and unmarshalled from files each time.
- **Asking the sandbox for a payload's serialization context.** Before the worker encodes or
  decodes a workflow's payloads (with the payload codec, or external storage), the SDK asks the
  workflow instance, for every payload and every pass, which serialization context it belongs to
  (the activity or child workflow of its command); in the sandbox each question runs code inside
  it (about 4 times per payload written, 3 per payload read: some 470 sandbox entries for a
  50-step plan). The answer only matters to a payload codec that takes a context
  (``WithSerializationContext``) or to external storage. docorch's data converter has neither
  (the pydantic converter; the AES codec, when on, encrypts every payload alike), so
  ``needs_payload_context`` is false, the plugin gives workers and replayers a runner with
  ``payload_context=False``, and the instance answers "no context" without entering the sandbox:
  the payloads are encoded exactly as before. A data converter that does need the context keeps
  the SDK's path.

Measured (``python -m bench --only sandbox``; replay of recorded histories, CPU per workflow run):
see BENCHMARKS.md, "Sandbox cost".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import (
    DataConverter,
    SerializationContext,
    StorageDriverStoreContext,
    WithSerializationContext,
)
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import Info

from client import workflow_code


def needs_payload_context(converter: DataConverter) -> bool:
    """Whether encoding or decoding a workflow's payloads with ``converter`` depends on the
    command a payload belongs to: a payload codec that takes a serialization context, or
    external storage (which stores under the workflow the command targets)."""
    return (
        isinstance(converter.payload_codec, WithSerializationContext)
        or converter.external_storage is not None
    )


class _WithoutPayloadContext(WorkflowInstance):
    """A sandboxed workflow instance whose payloads need no serialization context: the worker's
    questions about it are answered here, outside the sandbox; everything else is the
    instance's."""

    def __init__(self, instance: WorkflowInstance) -> None:
        self.instance = instance

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        """Run the activation in the sandbox."""
        return self.instance.activate(act)

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        """No context: the data converter's codec takes none."""
        return None

    def get_external_store_context(self, command_info: Any) -> StorageDriverStoreContext:
        """No target: there is no external storage to address."""
        return StorageDriverStoreContext(target=None)

    def get_info(self) -> Info:
        """The workflow's info."""
        return self.instance.get_info()

    def get_thread_id(self) -> int | None:
        """The thread running the workflow (for deadlock reports)."""
        return self.instance.get_thread_id()


@dataclasses.dataclass(frozen=True)
class DocorchWorkflowRunner(SandboxedWorkflowRunner):
    """Temporal's sandboxed runner (``restrictions`` as given) loading our workflow modules
    from memory; with ``payload_context=False``, for a data converter that does not need it
    (``needs_payload_context``), it spares the sandbox the serialization-context questions."""

    payload_context: bool = True
    """Whether the worker's data converter needs each payload's serialization context."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """A sandboxed workflow instance."""
        workflow_code.install()
        with workflow_code.serving():
            instance = super().create_instance(det)
        return instance if self.payload_context else _WithoutPayloadContext(instance)


def fitted(runner: WorkflowRunner | None, converter: DataConverter | None) -> WorkflowRunner | None:
    """``runner``, told whether ``converter`` needs payload contexts when it is docorch's; any
    other runner unchanged."""
    if not isinstance(runner, DocorchWorkflowRunner) or converter is None:
        return runner
    return dataclasses.replace(runner, payload_context=needs_payload_context(converter))
