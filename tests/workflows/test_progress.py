"""The event log's clock on a real dev server: held for the rest of an activation (the one that
resolves a local activity, whose workflow time can differ on replay), workflow time again in
the next."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from tests.workflows.clock_probe import CLOCK_PROBE_WORKFLOW, EventClockProbe

pytestmark = pytest.mark.integration


async def test_a_held_clock_lasts_for_the_activation_it_was_set_in(client: Client) -> None:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[EventClockProbe]):
        held, first_at, then, second_at, later = await client.execute_workflow(
            CLOCK_PROBE_WORKFLOW, id=f"clock-{uuid.uuid4()}", task_queue=queue, result_type=list
        )
    assert first_at == held != then
    assert second_at == later > then
