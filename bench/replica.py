"""A docorch query's activity calls, read back from its history, as the calls a bare Temporal
workflow makes (``bench.bare_calls_workflow``): the same activities, with the inputs docorch
sent them (so the same payload sizes, in and out), the same timeouts, and the plan's
dependencies.

The calls before the steps (resolving and planning) run one after the other, and every step
waits for them. A local activity leaves no input in the history: the planning local activity's
(``resolve_and_plan``, quick) is rebuilt from the query's request, as the workflow builds it.
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from bench.bare_calls import BareCall
from client.markers import local_activity
from models.grammar import dependencies
from models.names import PLAN_ACTIVITY, PLAN_ID, RESOLVE_AND_PLAN_ACTIVITY, ActivityId
from models.plan import Plan, PlanResponse
from models.query import QueryRequest
from models.resolve_and_plan import ResolveAndPlanRequest, ResolveAndPlanResult

_PLANNING = {PLAN_ACTIVITY: PlanResponse, RESOLVE_AND_PLAN_ACTIVITY: ResolveAndPlanResult}


async def _decode(client: Client, payloads: Any, hint: type | None = None) -> Any:
    values = await client.data_converter.decode(list(payloads), [hint] if hint else None)
    return values[0] if values else None


def _plan_of(result: Any) -> Plan | None:
    if isinstance(result, ResolveAndPlanResult):
        return result.plan.plan if result.plan is not None else None
    return result.plan if isinstance(result, PlanResponse) else None


async def recorded_calls(
    client: Client, history: WorkflowHistory, request: QueryRequest
) -> list[BareCall]:
    """The activity calls of the docorch query ``request`` whose history is ``history``, in
    the order docorch made them: the planning calls one after the other, then each step's
    calls once the planning and the calls of the steps it depends on are done (and, for a
    repetition or a fallback, the step's earlier calls)."""
    calls: list[BareCall] = []
    kinds: dict[int, str] = {}  # scheduled event id -> activity type
    plan: Plan | None = None
    for event in history.events:
        local = local_activity(event)
        if local is not None and local[0] == RESOLVE_AND_PLAN_ACTIVITY:
            quick = ResolveAndPlanRequest(query=request, quick=True)
            calls.append(BareCall(local[1], local[0], quick.model_dump(mode="json"), local=True))
            plan = _plan_of(await _decode(client, local[2], ResolveAndPlanResult)) or plan
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = event.activity_task_scheduled_event_attributes
            kinds[event.event_id] = a.activity_type.name
            heartbeat = a.heartbeat_timeout.ToTimedelta().total_seconds()
            calls.append(
                BareCall(
                    a.activity_id,
                    a.activity_type.name,
                    await _decode(client, a.input.payloads),
                    start_to_close_seconds=a.start_to_close_timeout.ToTimedelta().total_seconds(),
                    heartbeat_seconds=heartbeat or None,
                )
            )
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            hint = _PLANNING.get(kinds.get(done.scheduled_event_id, ""))
            if hint is not None:
                plan = _plan_of(await _decode(client, done.result.payloads, hint)) or plan
    if plan is None:
        raise ValueError("the history holds no plan")
    return with_dependencies(calls, plan)


def with_dependencies(calls: list[BareCall], plan: Plan) -> list[BareCall]:
    """``calls`` (in the order docorch made them), each given the positions of the calls it
    waits for: the planning calls before it, and for a step's call every call of the steps its
    step depends on and, for a repetition or a fallback, the step's earlier calls."""
    steps = {s.id: s for s in plan.steps}
    parsed = [ActivityId.parse(c.id) for c in calls]
    planning: list[int] = []
    for n, call in enumerate(calls):
        here = parsed[n]
        step = steps.get(here.step) if here is not None and call.id != PLAN_ID else None
        if here is None or step is None:  # resolving and planning
            call.depends_on = list(planning)
            planning.append(n)
            continue
        needs = dependencies(step)
        call.depends_on = [
            *planning,
            *(
                k
                for k, p in enumerate(parsed[:n])
                if p is not None
                and k not in planning
                and (
                    p.step in needs
                    or (
                        p.step == step.id
                        and (p.iteration != here.iteration or here.fallback is not None)
                    )
                )
            ),
        ]
    return calls
