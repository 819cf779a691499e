// The page: documents (upload, or choose stored ones), a question, its plan and progress live,
// the answer with its sources, the steps' timeline and a link to the query in the Temporal UI.
// With "Follow-up questions" on, questions go to a session, which gives each one the earlier
// answers.

import { ApiError, describe, getJson, newQueryId, postJson, request, setToken, token, upload }
  from "./api.js";
import { AnswerView } from "./answer.js";
import { el } from "./dom.js";
import { ProgressView } from "./progress.js";
import { follow } from "./sse.js";
import { drawTimeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const state = {
  selected: new Set(),
  uploads: Promise.resolve(),
  busy: false,
  workflowId: null,
  session: null,
};
const progress = new ProgressView({
  steps: $("steps"),
  notes: $("notes"),
  summary: $("plan-summary"),
  announce: $("announce"),
});
const answer = new AnswerView({
  answer: $("answer"),
  citations: $("citations"),
  meter: $("confidence"),
  meterText: $("confidence-text"),
  dialog: $("passage"),
});

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function report(error) {
  showError(describe(error));
  if (error instanceof ApiError && error.status === 401) askForToken();
}

function askForToken() {
  $("token-panel").open = true;
  $("token").focus();
}

// ---- documents ---------------------------------------------------------------------------

function documentItem(ref) {
  const count = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  const details = [ref.format, ref.pages ? count(ref.pages, "page") : null, count(ref.chunks, "chunk")]
    .filter(Boolean);
  const box = el("input", {
    type: "checkbox",
    value: ref.id,
    checked: state.selected.has(ref.id),
    onchange: (event) => {
      if (event.target.checked) state.selected.add(ref.id);
      else state.selected.delete(ref.id);
    },
  });
  return el(
    "li",
    {},
    el("label", {}, box, " ", ref.name, " ", el("span", { class: "hint" }, details.join(", "))),
  );
}

async function loadDocuments() {
  const stored = await getJson("documents");
  const refs = [...stored.documents].sort((a, b) => a.name.localeCompare(b.name));
  $("stored-list").replaceChildren(...refs.map(documentItem));
  $("stored-empty").hidden = refs.length > 0;
}

async function uploadFiles(files) {
  for (const file of files) {
    $("files-hint").textContent = `Uploading and indexing ${file.name}…`;
    const ref = await upload(file);
    state.selected.add(ref.id);
  }
  $("files-hint").textContent = `Uploaded ${files.map((f) => f.name).join(", ")}.`;
  await loadDocuments();
}

function onFilesChosen(event) {
  const files = [...event.target.files];
  if (!files.length) return;
  event.target.value = "";
  showError("");
  state.uploads = state.uploads.then(() => uploadFiles(files)).catch(report);
}

// ---- asking ------------------------------------------------------------------------------

function resumeHeaders(lastEventId) {
  return lastEventId === null ? {} : { "Last-Event-ID": lastEventId };
}

async function startInSession(question, documents) {
  if (!state.session) {
    state.session = (await postJson("sessions", { documents })).session_id;
    $("new-conversation").hidden = false;
  }
  const path = `sessions/${encodeURIComponent(state.session)}/ask?wait_started=true`;
  return (await postJson(path, { question, documents })).query_workflow_id;
}

// How to open (and reopen) the query's event stream.
function opener(workflowId, question, documents, inSession) {
  if (inSession) {
    const path = `executions/${encodeURIComponent(workflowId)}/events`;
    return (lastEventId) => request(path, { headers: resumeHeaders(lastEventId) });
  }
  const body = { query: question, documents, workflow_id: workflowId };
  return (lastEventId) =>
    request("chat/stream", { method: "POST", json: body, headers: resumeHeaders(lastEventId) });
}

function setRunning(running) {
  $("ask").disabled = running;
  $("ask").textContent = running ? "Working…" : "Ask";
  $("stop").hidden = !running;
}

function showRun(workflowId) {
  $("run").hidden = false;
  $("run-id").textContent = workflowId;
  $("ui-link").hidden = true;
  $("answer-panel").hidden = true;
  $("timeline-panel").hidden = true;
  progress.reset();
  answer.reset();
}

function showUiLink(url) {
  if (!url) return;
  $("ui-link").href = url;
  $("ui-link").hidden = false;
}

async function showTimeline(workflowId) {
  const trace = await getJson(`executions/${encodeURIComponent(workflowId)}/trace`);
  showUiLink(trace.ui_url);
  drawTimeline($("timeline"), $("timeline-axis"), trace);
  $("timeline-panel").hidden = false;
}

function addTurn(question, result) {
  $("turns-heading").hidden = false;
  $("turns").append(
    el("li", {}, el("strong", {}, question), " ", el("span", {}, result.answer.slice(0, 160))),
  );
}

async function ask(event) {
  event.preventDefault();
  if (state.busy) return;
  const question = $("question").value.trim();
  if (!question) {
    showError("Write a question first.");
    $("question").focus();
    return;
  }
  showError("");
  state.busy = true;
  setRunning(true);
  try {
    await state.uploads;
    const documents = [...state.selected];
    if (!documents.length) {
      showError("Choose a stored document or upload one first.");
      return;
    }
    const inSession = $("conversation").checked;
    const workflowId = inSession ? await startInSession(question, documents) : newQueryId();
    state.workflowId = workflowId;
    showRun(workflowId);
    let linked = false;
    const final = await follow(opener(workflowId, question, documents, inSession), (data) => {
      progress.apply(data);
      if (!linked) {
        linked = true;
        getJson(`executions/${encodeURIComponent(workflowId)}`)
          .then((view) => showUiLink(view.ui_url))
          .catch(() => {});
      }
    });
    progress.finish();
    if (final.result) {
      answer.show(final.result);
      $("answer-panel").hidden = false;
      if (inSession) addTurn(question, final.result);
    } else {
      showError(`The query failed: ${final.message}`);
    }
    await showTimeline(workflowId);
  } catch (error) {
    progress.finish();
    report(error);
  } finally {
    state.busy = false;
    state.workflowId = null;
    setRunning(false);
    // how many questions have ended (answered or not): a hook for tests and scripts
    const form = $("ask-form");
    form.dataset.ended = String(Number(form.dataset.ended ?? 0) + 1);
  }
}

async function stop() {
  if (!state.workflowId) return;
  try {
    await request(`executions/${encodeURIComponent(state.workflowId)}/cancel`, { method: "POST" });
  } catch (error) {
    report(error);
  }
}

async function endConversation() {
  const session = state.session;
  state.session = null;
  $("new-conversation").hidden = true;
  $("turns").replaceChildren();
  $("turns-heading").hidden = true;
  if (session) {
    try {
      await request(`sessions/${encodeURIComponent(session)}/close`, { method: "POST" });
    } catch (error) {
      report(error);
    }
  }
}

// ---- start -------------------------------------------------------------------------------

function useToken(event) {
  event.preventDefault();
  setToken($("token").value.trim());
  showError("");
  loadDocuments()
    .then(() => {
      $("token-panel").open = false;
    })
    .catch(report);
}

function start() {
  $("token").value = token();
  $("token-form").addEventListener("submit", useToken);
  $("files").addEventListener("change", onFilesChosen);
  $("refresh-documents").addEventListener("click", () => loadDocuments().catch(report));
  $("ask-form").addEventListener("submit", ask);
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("ask-form").requestSubmit();
  });
  $("stop").addEventListener("click", stop);
  $("conversation").addEventListener("change", (event) => {
    if (!event.target.checked) endConversation();
  });
  $("new-conversation").addEventListener("click", endConversation);
  const required = document.querySelector('meta[name="docorch-auth"]')?.content === "required";
  if (required && !token()) {
    askForToken();
    $("stored-empty").textContent = "Enter the API token to see the stored documents.";
    return;
  }
  loadDocuments().catch(report);
}

start();
