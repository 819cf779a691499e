"""A real local HTTP server speaking the OpenAI chat-completions protocol, scripted per test.

Requests are routed by what they ask for: the JSON-schema name of ``response_format``, else the
forced tool's name, else ``"text"``. Each route has a queue of scripted replies (a ``Reply`` or a
function of the ``Seen`` request returning one) and an optional default responder. Every request
is recorded. Nothing is patched: docorch's client talks HTTP to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import Client

from activities import context as tool_context
from activities.registry import ToolRegistry
from activities.tools.catalog import default_registry
from client.sdk import OrchestratorClient
from models.settings import Settings
from worker import build_worker

PLAN_ROUTE = "docorch_plan"
ANSWER_ROUTE = "grounded_answer"
MODEL = "fake-model"
PRICES = {MODEL: (2.0, 8.0)}  # USD per million prompt / completion tokens


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """A request the server received."""

    route: str
    body: dict[str, Any]
    at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def text(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)

    def context(self) -> dict[str, Any]:
        """The JSON block of the first user message (docorch sends its context that way)."""
        first = next(m for m in self.messages if m["role"] == "user")
        return dict(json.loads(first["content"]))

    def passages(self) -> list[dict[str, Any]]:
        return list(self.context().get("passages", []))


Responder = Reply | Callable[[Seen], Reply]


def completion(
    content: str | None = None,
    *,
    tool_call: tuple[str, str] | None = None,
    usage: tuple[int, int] | None = (100, 20),
) -> Reply:
    """A 200 chat completion with ``content`` or a tool call (name, JSON arguments)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_call is not None:
        name, arguments = tool_call
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ]
    body: dict[str, Any] = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_call else "stop",
            }
        ],
    }
    if usage is not None:
        body["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        }
    return Reply(body=body)


def json_reply(value: Any, *, usage: tuple[int, int] | None = (100, 20)) -> Reply:
    return completion(json.dumps(value), usage=usage)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"message": message, "type": "fake_error", "code": None}}
    return Reply(status=status, body=body, headers=headers or {})


def answer_citing(
    word: str, *, text: str | None = None, usage: tuple[int, int] = (300, 40)
) -> Callable[[Seen], Reply]:
    """A responder that answers from the first given passage containing ``word``, citing it
    with that passage's sentence holding the word."""

    def respond(seen: Seen) -> Reply:
        for passage in seen.passages():
            if word.lower() in passage["text"].lower():
                sentence = next(
                    s.strip()
                    for s in re.split(r"(?<=[.!?])\s+|\n+", passage["text"])
                    if word.lower() in s.lower()
                )
                claim = sentence.rstrip(".")
                answer = text or f"According to the documents, {claim} [{passage['id']}]."
                return json_reply(
                    {
                        "answer": answer,
                        "citations": [{"passage_id": passage["id"], "quote": sentence}],
                    },
                    usage=usage,
                )
        return json_reply({"answer": "The passages do not say.", "citations": []}, usage=usage)

    return respond


class FakeOpenAI:
    """The server (one per test session) and its per-test script."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Responder]] = defaultdict(deque)
        self._defaults: dict[str, Responder] = {}
        self.requests: list[Seen] = []
        self.unscripted: list[str] = []
        app = FastAPI()
        app.post("/v1/chat/completions")(self._chat)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="fake-openai")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"

    # ---- scripting -------------------------------------------------------------------------

    def script(self, route: str, *replies: Responder) -> FakeOpenAI:
        """Queue replies for ``route``, used in order."""
        with self._lock:
            self._queues[route].extend(replies)
        return self

    def default(self, route: str, responder: Responder) -> FakeOpenAI:
        """What ``route`` answers once its queue is empty."""
        with self._lock:
            self._defaults[route] = responder
        return self

    def reset(self) -> None:
        with self._lock:
            self._queues.clear()
            self._defaults.clear()
            self.requests.clear()
            self.unscripted.clear()

    def seen(self, route: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    # ---- serving ---------------------------------------------------------------------------

    @staticmethod
    def _route(body: dict[str, Any]) -> str:
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            return str(response_format["json_schema"]["name"])
        tools = body.get("tools") or []
        if tools:
            return str(tools[0]["function"]["name"])
        return "text"

    async def _chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        seen = Seen(route=self._route(body), body=body, at=time.monotonic())
        with self._lock:
            self.requests.append(seen)
            queue = self._queues[seen.route]
            responder = queue.popleft() if queue else self._defaults.get(seen.route)
        if responder is None:
            self.unscripted.append(seen.route)
            reply = error(400, f"fake server: nothing scripted for route {seen.route!r}")
        else:
            reply = responder(seen) if callable(responder) else responder
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


# ---- fixtures and helpers (import them into a test module to use them) ---------------------


@pytest.fixture(scope="session")
def fake_openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_openai(fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The session's fake server with an empty script."""
    fake_openai_server.reset()
    yield fake_openai_server
    fake_openai_server.reset()


def llm_settings(settings: Settings, fake: FakeOpenAI, **overrides: Any) -> Settings:
    """``settings`` pointed at the fake endpoint."""
    values: dict[str, Any] = {
        "llm_model": MODEL,
        "openai_base_url": fake.base_url,
        "openai_api_key": "test-key",
        "llm_timeout_seconds": 5.0,
        "llm_prices": PRICES,
        **overrides,
    }
    return settings.model_copy(update=values)


@contextlib.contextmanager
def installed(settings: Settings) -> Iterator[tool_context.ToolContext]:
    """Install a tool context for ``settings`` and restore the previous one afterwards (the
    context is process-global)."""
    previous = tool_context.installed()
    try:
        yield tool_context.install(settings)
    finally:
        if previous is not None:
            tool_context.install(previous.settings)


@contextlib.asynccontextmanager
async def llm_worker(
    client: Client, settings: Settings, *, registry: ToolRegistry | None = None
) -> AsyncIterator[OrchestratorClient]:
    """A docorch worker for ``settings`` (e.g. ``llm_settings(...)``) on a fresh task queue."""
    queue = f"llm-{uuid.uuid4().hex[:8]}"
    with installed(settings):
        worker = build_worker(
            client, settings, registry=registry or default_registry(), task_queue=queue
        )
        async with worker:
            yield OrchestratorClient(client, task_queue=queue)
