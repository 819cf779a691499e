// Server-sent events read with fetch() (EventSource can neither POST nor send a Bearer token).
// A query's stream ends with a final event; if the connection drops before that, the stream is
// reopened with Last-Event-ID = the offset of the last event seen, so that no event is lost and
// none arrives twice.

import { ApiError } from "./api.js";

const RETRIES = 5;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseBlock(block) {
  const event = { type: "message", data: [], id: null };
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue; // a comment (the server's pings)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event.type = value;
    else if (field === "data") event.data.push(value);
    else if (field === "id") event.id = value;
  }
  if (!event.data.length) return null;
  return { type: event.type, id: event.id, data: JSON.parse(event.data.join("\n")) };
}

// The events of one response body, as {type, id, data} with data parsed from JSON.
export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    // a "\r" at the end may be the first half of "\r\n": keep it for the next chunk
    const held = buffer.endsWith("\r") ? "\r" : "";
    const text = (held ? buffer.slice(0, -1) : buffer).replace(/\r\n?/g, "\n");
    const blocks = text.split("\n\n");
    buffer = blocks.pop() + held;
    for (const block of blocks) {
      const event = parseBlock(block);
      if (event) yield event;
    }
  }
}

export function isFinal(event) {
  if (event.type === "final_answer") return true;
  return event.type === "error" && event.data.data?.fatal !== false;
}

// Follow a query's events to the end: `open(lastEventId)` returns the streaming Response
// (lastEventId is null at first), `onEvent(data)` sees each event once, in order. Resolves to
// the final event's data; throws on a refusal (4xx) or once RETRIES reconnects have failed.
export async function follow(open, onEvent) {
  let lastId = null;
  let failures = 0;
  let lastError = new Error("the progress stream ended before the answer");
  for (;;) {
    try {
      const response = await open(lastId);
      for await (const event of readEvents(response.body)) {
        failures = 0;
        if (event.id !== null) lastId = event.id;
        onEvent(event.data);
        if (isFinal(event)) return event.data;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) throw error;
      lastError = error;
    }
    failures += 1;
    if (failures > RETRIES) throw lastError;
    await sleep(250 * 2 ** failures);
  }
}
