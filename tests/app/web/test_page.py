"""The web page in a real browser: a person enters the API token, uploads documents, asks,
watches the plan's steps run and reads the cited answer, its sources and the timeline; asks a
follow-up in a conversation; a dropped progress stream resumes where it broke off; a wrong token
is asked for again. No console error, page error or failed request may happen (but the one 401
of the wrong token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from tests.app.api.conftest import TOKEN, ApiServer
from tests.app.web.conftest import PHONE, PageErrors

pytestmark = pytest.mark.integration

DOCUMENTS = ("contract_acme_globex.md", "contract_acme_initech.md")
QUESTION = "What is the notice period for termination for convenience?"
ANSWER_TIMEOUT_MS = 90_000
UPLOAD_TIMEOUT_MS = 30_000

RECORD_STATES = """
window.stepStates = {};
new MutationObserver((records) => {
  for (const record of records) {
    const id = record.target.dataset.stepId;
    (window.stepStates[id] ??= []).push(record.oldValue);
  }
}).observe(document, {subtree: true, attributeFilter: ["data-state"], attributeOldValue: true});
"""
"""Records each step element's earlier states (the page sets them one event at a time)."""


async def _api_json(server: ApiServer, path: str) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as http:
        response = await http.get(path)
        response.raise_for_status()
        return response.json()


async def _open_with_token(browser: BrowserContext, server: ApiServer) -> tuple[Page, PageErrors]:
    """The page, token entered the way a person does: the page asks for it first."""
    page = browser.pages[0] if browser.pages else await browser.new_page()
    errors = PageErrors(page)
    await page.add_init_script(RECORD_STATES)
    await page.goto(f"{server.base_url}/")
    token = page.get_by_label("API token")
    await expect(token).to_be_focused()
    await token.fill(TOKEN)
    await page.get_by_role("button", name="Use token").click()
    await expect(token).to_be_hidden()  # accepted: the token panel closes
    return page, errors


async def _upload(page: Page, folder: Path, names: tuple[str, ...]) -> None:
    """Choose files in the file input; they are uploaded, ingested and ticked in the list."""
    await page.get_by_test_id("documents").set_input_files([folder / name for name in names])
    for name in names:
        checkbox = page.get_by_role("checkbox", name=name)
        await expect(checkbox).to_be_checked(timeout=UPLOAD_TIMEOUT_MS)


async def _ask(page: Page, question: str) -> str:
    """Ask and wait until the question has ended; returns the query's workflow id."""
    form = page.locator("#ask-form")
    ended = int(await form.get_attribute("data-ended") or 0)
    await page.get_by_test_id("question").fill(question)
    await page.get_by_test_id("ask").click()
    await expect(form).to_have_attribute("data-ended", str(ended + 1), timeout=ANSWER_TIMEOUT_MS)
    await expect(page.locator("#error")).to_be_hidden()
    await expect(page.get_by_test_id("answer")).to_be_visible()
    return await page.locator("#run-id").inner_text()


async def test_a_person_uploads_asks_and_reads_the_cited_answer(
    web_api: ApiServer, browser: BrowserContext, samples: Path, artifacts: Path
) -> None:
    page, errors = await _open_with_token(browser, web_api)
    await _upload(page, samples, DOCUMENTS)

    workflow_id = await _ask(page, QUESTION)
    result = (await _api_json(web_api, f"/executions/{workflow_id}"))["result"]
    assert result["status"] == "completed"
    await expect(page.get_by_test_id("answer")).to_contain_text("90 days")

    # one element per plan step, each seen running and then done
    planned = [s["step_id"] for s in result["execution_summary"]["steps"]]
    steps = page.get_by_test_id("step")
    await expect(steps).to_have_count(len(planned))
    for step_id in planned:
        await expect(page.locator(f'[data-step-id="{step_id}"]')).to_have_attribute(
            "data-state", "done"
        )
    states: dict[str, list[str]] = await page.evaluate("window.stepStates")
    assert all("running" in states[step_id] for step_id in planned), states

    # numbered citations; the first opens its passage, which is the document's text at its anchor
    citations = page.get_by_test_id("citation")
    await expect(citations).to_have_count(len(result["citations"]))
    assert len(result["citations"]) >= 1
    first = result["citations"][0]
    text = (samples / first["document_name"]).read_text()
    assert text[first["anchor"]["char_start"] : first["anchor"]["char_end"]] == first["quote"]
    await citations.first.click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_test_id("passage")).to_have_text(first["quote"])
    await expect(dialog).to_contain_text(f"characters {first['anchor']['char_start']}")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(citations.first).to_be_focused()

    # confidence, the timeline from the trace, and the Temporal UI link
    await expect(page.locator("#confidence-text")).to_contain_text(
        f"{result['confidence_score']:.2f}"
    )
    trace = await _api_json(web_api, f"/executions/{workflow_id}/trace")
    await expect(page.locator(".timeline-row")).to_have_count(len(trace["rows"]))
    await expect(page.get_by_role("link", name="Open in the Temporal UI")).to_have_attribute(
        "href", f"http://127.0.0.1:8233/namespaces/default/workflows/{workflow_id}"
    )

    await page.screenshot(path=artifacts / "page-1280.png", full_page=True)
    await page.set_viewport_size(PHONE)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=artifacts / "page-390.png", full_page=True)
    assert errors.seen == []


async def test_a_follow_up_question_sees_the_earlier_answer(
    web_api: ApiServer, browser: BrowserContext, samples: Path
) -> None:
    page, errors = await _open_with_token(browser, web_api)
    await page.set_viewport_size(PHONE)
    await _upload(page, samples, DOCUMENTS)
    await page.get_by_label("Follow-up questions").check()

    first = await _ask(page, "What is the monthly fee?")
    assert first.startswith("session-")
    second = await _ask(page, "And what about the second contract?")
    assert second == first.replace("-turn-1", "-turn-2")
    await expect(page.get_by_test_id("answer")).to_contain_text("15,500")
    await expect(page.locator("#turns li")).to_have_count(2)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert errors.seen == []


async def test_a_dropped_stream_resumes_after_the_last_event_seen(
    web_api: ApiServer, browser: BrowserContext, samples: Path
) -> None:
    page, errors = await _open_with_token(browser, web_api)
    resumed_with: list[dict[str, str]] = []

    async def drop_after_three_events(route: Route) -> None:
        if resumed_with or not route.request.post_data:
            resumed_with.append(route.request.headers)
            await route.continue_()
            return
        resumed_with.append({})  # the first request: its stream breaks off after three events
        response = await route.fetch()
        blocks = (await response.text()).replace("\r\n", "\n").split("\n\n")
        await route.fulfill(response=response, body="\n\n".join(blocks[:3]) + "\n\n")

    await page.route("**/chat/stream", drop_after_three_events)
    await _upload(page, samples, DOCUMENTS[:1])
    await _ask(page, QUESTION)

    assert len(resumed_with) == 2
    assert resumed_with[1].get("last-event-id") == "2"  # offsets 0, 1, 2 were seen
    await expect(page.get_by_test_id("answer")).to_contain_text("90 days")
    # no event came twice: no step went back from done to an earlier state
    states: dict[str, list[str]] = await page.evaluate("window.stepStates")
    assert states and not any("done" in history for history in states.values()), states
    assert errors.seen == []


READ_SPLIT_STREAM = """
async (chunks) => {
  const { readEvents } = await import("./static/sse.js");
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const events = [];
  for await (const event of readEvents(body)) events.push(event);
  return events;
}
"""


async def test_the_stream_reader_joins_events_split_anywhere(
    web_api: ApiServer, browser: BrowserContext
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    errors = PageErrors(page)
    await page.goto(f"{web_api.base_url}/")
    stream = (
        ': ping\r\n\r\nevent: tool_execution\r\nid: 0\r\ndata: {"kind": "step_started"}\r\n\r\n'
        'event: final_answer\nid: 1\ndata: {"kind":\ndata: "final_answer"}\n\n'
    )
    # cut after every character, so that each "\r\n" and "\n\n" is split somewhere
    events = await page.evaluate(READ_SPLIT_STREAM, list(stream))
    assert events == [
        {"type": "tool_execution", "id": "0", "data": {"kind": "step_started"}},
        {"type": "final_answer", "id": "1", "data": {"kind": "final_answer"}},
    ]
    assert await page.evaluate(READ_SPLIT_STREAM, [stream]) == events
    assert errors.seen == []


async def test_a_wrong_token_is_refused_and_asked_for_again(
    web_api: ApiServer, browser: BrowserContext
) -> None:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    errors = PageErrors(page)
    await page.goto(f"{web_api.base_url}/")
    token = page.get_by_label("API token")
    await token.fill("not-the-token")
    async with page.expect_console_message(lambda message: "401" in message.text):
        await page.get_by_role("button", name="Use token").click()
    await expect(page.get_by_role("alert")).to_contain_text("The API needs its token")
    await expect(token).to_be_focused()
    assert len(errors.seen) == 1, errors.seen  # the refused call itself, nothing else
