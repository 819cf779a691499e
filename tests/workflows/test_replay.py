"""Replay recorded histories against the current workflow code: an incompatible change to
QueryWorkflow (or what it calls) fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from client.plugin import DocorchPlugin
from models.names import QUERY_WORKFLOW
from models.settings import Settings
from tests.workflows.incompatible import IncompatibleQueryWorkflow
from tests.workflows.recording import HISTORIES, SESSION_HISTORIES
from worker import WORKFLOWS
from workflows.replan import ReplanWorkflow


def _replayer(workflows: list[type] | None = None) -> Replayer:
    # the codec DOCORCH_CODEC_KEYS configures, if any: this session's histories use it
    plugins = [DocorchPlugin.configured(Settings())]
    return Replayer(workflows=workflows or list(WORKFLOWS), plugins=plugins)


def _recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


def _load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


@pytest.mark.parametrize("path", _recorded(), ids=lambda p: p.stem)
async def test_recorded_history_replays(path: Path) -> None:
    await _replayer().replay_workflow(_load(path))


def _recorded_queries() -> list[Path]:
    """The recorded QueryWorkflow histories (the others record other workflows)."""
    return [
        p
        for p in _recorded()
        if _load(p).events[0].workflow_execution_started_event_attributes.workflow_type.name
        == QUERY_WORKFLOW
    ]


@pytest.mark.parametrize("path", _recorded_queries()[:1], ids=lambda p: p.stem)
async def test_replay_fails_when_the_workflow_changes_incompatibly(path: Path) -> None:
    replayer = _replayer([IncompatibleQueryWorkflow, ReplanWorkflow])
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(_load(path))


@pytest.mark.integration
async def test_this_sessions_histories_replay() -> None:
    """Histories of the integration runs earlier in this session replay cleanly."""
    if not SESSION_HISTORIES:
        pytest.skip("no integration test recorded a history in this session")
    for history in SESSION_HISTORIES:
        await _replayer().replay_workflow(history)
