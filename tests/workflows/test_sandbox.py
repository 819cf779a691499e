"""The sandbox guards docorch's workflow code: only third-party modules and ``models`` pass
through, so a workflow helper that reads the clock or draws random numbers is caught. The
control shows what passing a module through would hide."""

from __future__ import annotations

import importlib.metadata
import pkgutil
import uuid

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import workflows
from client.plugin import PASSTHROUGH_MODULES, data_converter, has_plugin, sandbox_restrictions
from tests.workflows.sandbox_probe import SandboxProbe


def _passed_through(restrictions: SandboxRestrictions, module: str) -> bool:
    """The sandbox's rule: a module passes when it, or a package above it, is listed."""
    parts = module.split(".")
    prefixes = {".".join(parts[: n + 1]) for n in range(len(parts))}
    return restrictions.passthrough_all_modules or bool(prefixes & restrictions.passthrough_modules)


def test_no_workflow_module_passes_through_the_sandbox() -> None:
    restrictions = sandbox_restrictions()
    ours = [m.name for m in pkgutil.walk_packages(workflows.__path__, "workflows.")]
    assert "workflows.query" in ours and "workflows.steps" in ours
    assert [m for m in ["workflows", *ours] if _passed_through(restrictions, m)] == []
    assert _passed_through(restrictions, "models.grammar")


def test_only_models_and_third_party_modules_are_passed_through() -> None:
    distributions = importlib.metadata.packages_distributions()
    ours = [m for m in PASSTHROUGH_MODULES if m != "models"]
    assert ours and all(distributions.get(m) for m in ours)
    assert all("docorch" not in distributions[m] for m in ours)


async def _probe(client: Client, helper: str, runner: SandboxedWorkflowRunner | None = None) -> str:
    """Run the probe on a worker of ``client`` (with the runner its plugin gives, unless
    ``runner``); its result, or WorkflowFailureError when the sandbox caught the helper."""
    queue = f"sandbox-{uuid.uuid4().hex[:8]}"
    worker = (
        Worker(client, task_queue=queue, workflows=[SandboxProbe], workflow_runner=runner)
        if runner
        else Worker(client, task_queue=queue, workflows=[SandboxProbe])
    )
    async with worker:
        result: str = await client.execute_workflow(
            SandboxProbe.run, helper, id=f"probe-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        return result


@pytest.mark.integration
@pytest.mark.parametrize(
    ("helper", "caught"), [("wall_clock", "datetime.datetime.now"), ("dice", "random.randint")]
)
async def test_a_workflow_helper_reading_the_clock_or_randomness_is_caught(
    client: Client, helper: str, caught: str
) -> None:
    assert has_plugin(client)  # the worker runs docorch's sandbox, from the plugin
    with pytest.raises(WorkflowFailureError) as failed:
        await _probe(client, helper)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "RestrictedWorkflowAccessError" and caught in cause.message


@pytest.mark.integration
async def test_control_the_same_helper_passed_through_goes_unnoticed(client: Client) -> None:
    # what passing our own modules through (as ``workflows`` once was) would hide
    plain = await Client.connect(
        client.service_client.config.target_host, data_converter=data_converter()
    )
    leaky = sandbox_restrictions().with_passthrough_modules("tests.workflows.leaky")
    stamp = await _probe(plain, "wall_clock", SandboxedWorkflowRunner(restrictions=leaky))
    assert stamp[:4].isdigit() and "T" in stamp
