"""Property tests of the planning activity's last stage (``Planner.finish``: validate, drop dead
steps, attach policies, levels) over generated plans, as an LLM or a client could write them:
every plan either comes out ready to run or is refused with the typed InvalidPlan, never with
another exception. Hypothesis with a fixed seed and example count (no time budget)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from activities.errors import InvalidPlan
from activities.planning.activity import Planner
from activities.tools.catalog import default_registry
from models.config import QueryConfig, Strategy
from models.documents import DocumentRef
from models.grammar import INPUT_NAME, ITEM
from models.names import STEP_ID, ActivityId
from models.plan import Plan, PlanRequest, PlanResponse, PredicateOp
from models.query import QueryType

REGISTRY = default_registry()
PLANNER = Planner(REGISTRY)
DOCUMENTS = (
    DocumentRef(id="d1", name="a.md", chunks=2),
    DocumentRef(id="d2", name="b.pdf", format="pdf", pages=3, chunks=4),
)
PARAMETERS = sorted(
    {name for spec in REGISTRY.catalog() for name in spec.parameters.get("properties", {})}
)
FIELDS = sorted(
    {name for spec in REGISTRY.catalog() for name in spec.result.get("properties", {})}
    | {"results", "items", "0", "1", "x"}
)

step_ids = st.sampled_from(["search", "answer", "s-2", "s_3", INPUT_NAME, ITEM, "a b", "x.y"])
tools = st.sampled_from([*REGISTRY.names(), "delete_all", ""])
heads = step_ids | st.sampled_from(["iteration", "self", INPUT_NAME, ITEM, ""])
references = st.builds(
    lambda head, path: "$" + ".".join([head, *path]),
    heads,
    st.lists(st.sampled_from(FIELDS), max_size=3),
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | references
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
predicates = st.fixed_dictionaries(
    {"ref": references, "op": st.sampled_from([o.value for o in PredicateOp]), "value": leaves}
)


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": draw(step_ids),
        "tool": draw(tools),
        "params": draw(st.dictionaries(st.sampled_from([*PARAMETERS, "bogus"]), values)),
        "depends_on": draw(st.lists(step_ids, max_size=2)),
        "fallback": draw(st.lists(tools, max_size=2)),
    }
    optional = {
        "for_each": references,
        "condition": predicates,
        "repeat_until": predicates,
        "max_items": st.integers(min_value=-1, max_value=2000),
        "max_iterations": st.integers(min_value=0, max_value=30),
        "optional": st.booleans(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            step[key] = draw(strategy)
    return step


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    drawn = draw(st.lists(steps(), max_size=5))
    ids = [s["id"] for s in drawn]
    return {
        "query": draw(st.text(max_size=20)),
        "query_type": draw(st.sampled_from([t.value for t in QueryType])),
        "steps": drawn,
        "answer_step": draw(st.sampled_from(ids) if ids else step_ids),
        "source": "llm",
    }


@settings(derandomize=True, max_examples=200, deadline=None)
@given(plans())
def test_a_plan_is_ready_to_run_or_refused_with_invalid_plan(data: dict[str, Any]) -> None:
    _ready_or_refused(data)


def _ready_or_refused(data: dict[str, Any]) -> str:
    """Decode and finish ``data``: "model" (not a Plan), "refused" (InvalidPlan) or "ready"
    (checked by ``_ready_to_run``); any other exception fails the test."""
    try:
        plan = Plan.model_validate(data)
    except ValidationError:
        return "model"  # not a plan at all: refused where it is decoded
    request = PlanRequest(query="q", documents=DOCUMENTS, given_plan=plan)
    try:
        response = PLANNER.finish(request, plan, 1.0)
    except InvalidPlan:
        return "refused"
    _ready_to_run(response)
    return "ready"


def _ready_to_run(response: PlanResponse) -> None:
    """What the workflow relies on in a plan the planning activity returns."""
    ready = response.plan
    ids = {s.id for s in ready.steps}
    assert ready.answer_step in ids
    assert sorted(i for level in response.levels for i in level) == sorted(ids)
    for step in ready.steps:
        assert STEP_ID.fullmatch(step.id) and ActivityId.parse(step.id) == ActivityId(step.id)
        assert step.tool in REGISTRY and all(t in REGISTRY for t in step.fallback)
        assert step.policy.start_to_close_seconds > 0 and step.policy.max_attempts >= 1


def _template_plans() -> list[dict[str, Any]]:
    """Plans the templates build (valid), as JSON: the starting points of mutated plans."""
    questions = ["What is the fee?", "Summarize these", "Compare the two", "List the dates"]
    built = []
    for question in questions:
        for strategy in Strategy:
            request = PlanRequest(
                query=question, documents=DOCUMENTS, config=QueryConfig(strategy=strategy)
            )
            built.append(PLANNER.plan(request).plan.model_dump(mode="json"))
    return built


TEMPLATES = _template_plans()


@st.composite
def mutated_plans(draw: st.DrawFn) -> dict[str, Any]:
    """A template plan with a few edits of the kinds an LLM gets wrong: a step dropped or
    duplicated, an id, a tool, a parameter, a dependency, a loop or the answer step changed."""
    plan: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        found = plan["steps"]
        ids = [s["id"] for s in found] or ["none"]
        refs = st.builds(
            lambda head, path: "$" + ".".join([head, *path]),
            st.sampled_from(ids) | heads,
            st.lists(st.sampled_from(FIELDS), max_size=2),
        )
        if not found:
            break
        step = draw(st.sampled_from(found))
        edit = draw(st.integers(min_value=0, max_value=8))
        if edit == 0:
            found.remove(step)
        elif edit == 1:
            found.append(copy.deepcopy(step))
        elif edit == 2:
            step["id"] = draw(step_ids | st.sampled_from(ids))
        elif edit == 3:
            step["tool"] = draw(tools)
        elif edit == 4:
            step["params"][draw(st.sampled_from([*PARAMETERS, "bogus"]))] = draw(values | refs)
        elif edit == 5 and step["params"]:
            del step["params"][draw(st.sampled_from(sorted(step["params"])))]
        elif edit == 6:
            step["depends_on"] = [*step["depends_on"], draw(st.sampled_from(ids) | step_ids)]
        elif edit == 7:
            key = draw(st.sampled_from(["for_each", "condition", "repeat_until"]))
            step[key] = draw(refs if key == "for_each" else predicates)
        else:
            plan["answer_step"] = draw(st.sampled_from(ids) | step_ids)
    return plan


@settings(derandomize=True, max_examples=300, deadline=None)
@given(mutated_plans())
def test_a_mutated_template_plan_is_ready_to_run_or_refused_with_invalid_plan(
    data: dict[str, Any],
) -> None:
    """Near the plans that validate: the same property, reaching every check."""
    event(_ready_or_refused(data))
