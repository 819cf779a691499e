"""describe_tools: what this worker's registry holds, for clients on other hosts (the API's
tool catalogue, ``docorch state``) — the worker is the authority on the tools it runs."""

from __future__ import annotations

from temporalio import activity

from activities.registry import ToolRegistry
from models.names import DESCRIBE_TOOLS_ACTIVITY
from models.tools import ToolCatalog, ToolInfo


class ToolDescriptions:
    """The activity, bound to the registry the worker runs."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry

    @activity.defn(name=DESCRIBE_TOOLS_ACTIVITY)
    async def describe_tools(self) -> ToolCatalog:
        """Every registered tool's spec with the retry and timeout policy its steps get."""
        return tool_catalog(self._registry)


def tool_catalog(registry: ToolRegistry) -> ToolCatalog:
    """``registry``'s tools as a catalogue: each spec with its steps' attempts and timeouts."""
    tools = []
    for spec in registry.catalog():
        policy = registry.policy(spec.name)
        tools.append(
            ToolInfo(
                **spec.model_dump(),
                max_attempts=policy.max_attempts,
                start_to_close_seconds=policy.start_to_close_seconds,
                heartbeat_seconds=policy.heartbeat_seconds,
            )
        )
    return ToolCatalog(tools=tuple(tools))
