"""Reading Temporal histories: where the time between steps goes, and how big the history,
its events and its payloads are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from bench.stats import median


def _event_ms(event: Any) -> float:
    return float(event.event_time.ToNanoseconds()) / 1e6


def step_window_ms(history: WorkflowHistory, step_ids: Iterable[str]) -> float:
    """From the first step's ActivityTaskScheduled to WorkflowExecutionCompleted (server time)."""
    wanted = set(step_ids)
    first: float | None = None
    end: float | None = None
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_id in wanted and first is None:
                first = _event_ms(event)
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            end = _event_ms(event)
    if first is None or end is None:
        raise ValueError("history has no scheduled step or did not complete")
    return end - first


def latency_phases(history: WorkflowHistory, step_ms: dict[str, int]) -> dict[str, float]:
    """Where time goes between steps, medians in ms over the step part of a history:
    ``activity_extra`` (an activity's started -> completed beyond the step's own duration),
    ``task_dispatch`` (a workflow task's scheduled -> started) and ``task_run`` (started ->
    completed: the worker's processing plus its completion round trip)."""
    scheduled: dict[int, str] = {}
    started: dict[int, float] = {}
    wft_scheduled: dict[int, float] = {}
    wft_started: dict[int, float] = {}
    extra: list[float] = []
    dispatch: list[float] = []
    run: list[float] = []
    in_steps = False
    for event in history.events:
        kind, at = event.event_type, _event_ms(event)
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activity_id = event.activity_task_scheduled_event_attributes.activity_id
            if activity_id in step_ms:
                scheduled[event.event_id] = activity_id
                in_steps = True
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started[event.activity_task_started_event_attributes.scheduled_event_id] = at
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            of = event.activity_task_completed_event_attributes.scheduled_event_id
            if of in scheduled and of in started:
                extra.append(at - started[of] - step_ms[scheduled[of]])
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            wft_scheduled[event.event_id] = at
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            wft_started[event.event_id] = at
            of = event.workflow_task_started_event_attributes.scheduled_event_id
            if in_steps and of in wft_scheduled:
                dispatch.append(at - wft_scheduled[of])
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            of = event.workflow_task_completed_event_attributes.started_event_id
            if in_steps and of in wft_started:
                run.append(at - wft_started[of])
    return {
        "activity_extra": median(extra) if extra else 0.0,
        "task_dispatch": median(dispatch) if dispatch else 0.0,
        "task_run": median(run) if run else 0.0,
        "tasks": float(len(run)),
    }


def _payload_sizes(message: Any) -> Iterable[int]:
    """Serialized sizes of every temporal.api.common.v1.Payload inside ``message``."""
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "temporal.api.common.v1.Payload":
        yield message.ByteSize()
        return
    for fd, value in message.ListFields():
        if fd.message_type is None:
            continue
        if fd.message_type.GetOptions().map_entry:
            for item in value.values():
                if hasattr(item, "DESCRIPTOR"):
                    yield from _payload_sizes(item)
        elif fd.is_repeated:
            for item in value:
                yield from _payload_sizes(item)
        else:
            yield from _payload_sizes(value)


@dataclass(frozen=True)
class HistorySizes:
    events: int
    history_bytes: int
    max_payload_bytes: int
    max_payload_event: str
    max_event_bytes: int
    max_event: str
    activities: int = 0
    """Activity tasks scheduled (attempts not counted)."""
    largest_events: tuple[tuple[str, int], ...] = ()
    """The five largest events, biggest first: (name, serialized bytes)."""


def history_sizes(history: WorkflowHistory) -> HistorySizes:
    """Event count, serialized history size and the largest payload / event (with which one)."""
    max_payload, max_payload_event, max_event, max_event_name, total = 0, "", 0, "", 0
    activities: dict[int, str] = {}
    sized: list[tuple[str, int]] = []
    for event in history.events:
        size = event.ByteSize()
        total += size
        name = event_name(event, activities)
        sized.append((name, size))
        if size > max_event:
            max_event, max_event_name = size, name
        for payload in _payload_sizes(event):
            if payload > max_payload:
                max_payload, max_payload_event = payload, name
    return HistorySizes(
        events=len(history.events),
        history_bytes=total,
        max_payload_bytes=max_payload,
        max_payload_event=max_payload_event,
        max_event_bytes=max_event,
        max_event=max_event_name,
        activities=len(activities),
        largest_events=tuple(sorted(sized, key=lambda e: -e[1])[:5]),
    )


def event_name(event: Any, activities: dict[int, str]) -> str:
    """``#41 ACTIVITY_TASK_COMPLETED (search_documents, id search_1)``; ``activities`` maps
    scheduled event ids to that label and is filled as the history is read in order."""
    kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    label = f"#{event.event_id} {kind}"
    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        a = event.activity_task_scheduled_event_attributes
        activities[event.event_id] = f"{a.activity_type.name}, id {a.activity_id}"
        return f"{label} ({activities[event.event_id]})"
    for attributes in (
        "activity_task_started_event_attributes",
        "activity_task_completed_event_attributes",
        "activity_task_failed_event_attributes",
    ):
        if event.HasField(attributes):
            of = getattr(event, attributes).scheduled_event_id
            return f"{label} ({activities.get(of, f'of #{of}')})"
    return label
