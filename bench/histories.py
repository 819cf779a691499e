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


_E = EventType
_COMMAND_EVENTS = frozenset(
    {
        _E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        _E.EVENT_TYPE_ACTIVITY_TASK_STARTED,  # written with the activity's result
        _E.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
        _E.EVENT_TYPE_TIMER_STARTED,
        _E.EVENT_TYPE_TIMER_CANCELED,
        _E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        _E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        _E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
        _E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        _E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
        _E.EVENT_TYPE_MARKER_RECORDED,
        _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
        _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    }
)
"""Events a workflow task writes (or an update brings) rather than ones that wake a workflow up:
a workflow task preceded by nothing else since the last one ran for an update alone."""
_WORKFLOW_TASK = (
    _E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    _E.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    _E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
)


@dataclass(frozen=True)
class ProgressCost:
    """History events spent delivering live progress (``wait_events`` updates), of a total."""

    events: int
    total: int
    updates: int

    @property
    def share(self) -> float:
        """Progress events ÷ all events."""
        return self.events / self.total if self.total else 0.0


def progress_cost(history: WorkflowHistory, update: str = "wait_events") -> ProgressCost:
    """The events that delivering live progress added to ``history``: each ``update`` accepted,
    completed (or admitted), and the workflow tasks that ran for such an update alone (nothing
    else had happened since the previous task: the server persists the speculative task that
    accepted the update)."""
    events = history.events
    ours: set[str] = set()
    counted = 0
    task_start: int | None = None  # index of the current workflow task's SCHEDULED event
    woken = True  # something other than an update happened since the last task completed
    for index, event in enumerate(events):
        kind = event.event_type
        if kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            a = event.workflow_execution_update_accepted_event_attributes
            if a.accepted_request.input.name == update:
                ours.add(a.accepted_request.meta.update_id)
                counted += 1
                if task_start is not None:  # the task that accepted it ran for it alone
                    counted += 3
                    task_start = None
        elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            if event.workflow_execution_update_completed_event_attributes.meta.update_id in ours:
                counted += 1
        elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
            a2 = event.workflow_execution_update_admitted_event_attributes
            counted += a2.request.input.name == update
        elif kind == _E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            task_start = None if woken else index
        elif kind == _E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            woken = False
        elif kind not in _COMMAND_EVENTS and kind not in _WORKFLOW_TASK:
            woken = True
            task_start = None
    return ProgressCost(events=counted, total=len(events), updates=len(ours))
