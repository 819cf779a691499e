"""A workflow that holds its event log's clock, emits, then emits again in a later activation.
Own module: the sandbox imports it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from models.events import EventKind
from workflows.progress import EventLog

CLOCK_PROBE_WORKFLOW = "EventClockProbe"


@workflow.defn(name=CLOCK_PROBE_WORKFLOW)
class EventClockProbe:
    @workflow.run
    async def run(self) -> list[str]:
        """[held time, event at it, workflow time then, event in the next activation, workflow
        time then], as ISO strings."""
        log = EventLog()
        then = workflow.now()
        held = then - timedelta(seconds=5)
        log.hold(held)
        log.emit(EventKind.PLAN_CREATED, "while held")
        await workflow.sleep(0.05)  # a timer: a later activation, a later workflow time
        log.emit(EventKind.FINAL_ANSWER, "after")
        return [
            held.isoformat(),
            log.events[0].at,
            then.isoformat(),
            log.events[1].at,
            workflow.now().isoformat(),
        ]
