// The plan's steps, by level, kept up to date from the query's progress events: one element
// per step (data-testid="step") whose data-state says where it is: planned, scheduled, running,
// done, failed or skipped, with data-fallback when an alternative tool took over. Changes are
// announced through a polite live region.

import { el, ms } from "./dom.js";

const STATE_LABELS = {
  planned: "planned",
  scheduled: "scheduled",
  running: "running",
  done: "done",
  failed: "failed",
  skipped: "skipped",
};

class StepItem {
  constructor(id, tool, description) {
    this.id = id;
    this.badge = el("span", { class: "badge" });
    this.fallbackBadge = el("span", { class: "badge fallback", hidden: true }, "fallback");
    this.tool = el("span", { class: "tool" }, tool || "");
    this.meta = el("span", { class: "meta" });
    this.note = el("span", { class: "note" });
    this.node = el(
      "li",
      { class: "step", dataset: { testid: "step", stepId: id } },
      el("span", { class: "badges" }, this.badge, this.fallbackBadge),
      el("span", { class: "step-name" }, el("code", {}, id), " ", this.tool),
      el("span", { class: "description" }, description || ""),
      this.meta,
      this.note,
    );
    this.set("planned");
  }

  set(state) {
    this.state = state;
    this.node.dataset.state = state;
    this.badge.textContent = STATE_LABELS[state] ?? state;
  }
}

export class ProgressView {
  constructor({ steps, notes, summary, announce }) {
    this.stepsRoot = steps;
    this.notesRoot = notes;
    this.summary = summary;
    this.announceNode = announce;
    this.reset();
  }

  reset() {
    this.items = new Map();
    this.extraGroup = null;
    this.stepsRoot.replaceChildren();
    this.notesRoot.replaceChildren();
    this.summary.textContent = "Planning…";
    this.stepsRoot.setAttribute("aria-busy", "true");
  }

  apply(event) {
    const handler = this[`on_${event.kind}`];
    if (handler) handler.call(this, event);
  }

  announce(text) {
    this.announceNode.textContent = text;
  }

  group(title) {
    const list = el("ol", { class: "steps" });
    const heading = el("h3", {}, title);
    this.stepsRoot.append(el("section", { class: "level" }, heading, list));
    return list;
  }

  item(event) {
    const id = event.step_id ?? "?";
    let item = this.items.get(id);
    if (!item) {
      item = new StepItem(id, event.tool, event.kind === "step_scheduled" ? event.message : "");
      this.items.set(id, item);
      this.extraGroup ??= this.group("Other steps");
      this.extraGroup.append(item.node);
    }
    if (event.tool) item.tool.textContent = event.tool;
    return item;
  }

  addNote(kind, text) {
    this.notesRoot.append(el("li", { class: `note-${kind}` }, text));
  }

  on_plan_created(event) {
    const data = event.data;
    this.summary.textContent =
      `${data.query_type} plan (${data.source}, ${data.strategy}): ${event.message}`;
    const described = new Map((data.steps ?? []).map((s) => [s.id, s]));
    (data.levels ?? []).forEach((level, index) => {
      const list = this.group(`Level ${index + 1}`);
      for (const id of level) {
        const step = described.get(id) ?? { id, tool: "", description: "" };
        const item = new StepItem(id, step.tool, step.description);
        this.items.set(id, item);
        list.append(item.node);
      }
    });
    this.announce(`Plan ready: ${described.size} steps in ${(data.levels ?? []).length} levels`);
  }

  on_step_scheduled(event) {
    this.item(event).set("scheduled");
  }

  on_step_started(event) {
    const item = this.item(event);
    item.set("running");
    this.announce(`${item.id} running`);
  }

  on_step_retrying(event) {
    const item = this.item(event);
    item.note.textContent = event.message;
  }

  on_step_completed(event) {
    const item = this.item(event);
    const data = event.data;
    item.set("done");
    const parts = [ms(data.duration_ms)];
    if (typeof data.confidence === "number") parts.push(`confidence ${data.confidence.toFixed(2)}`);
    if (data.attempts > 1) parts.push(`${data.attempts} attempts`);
    item.meta.textContent = parts.join(" · ");
    this.announce(`${item.id} done`);
  }

  on_step_failed(event) {
    const item = this.item(event);
    item.set("failed");
    item.note.textContent = event.message;
    this.announce(`${item.id} failed`);
  }

  on_step_skipped(event) {
    const item = this.item(event);
    item.set("skipped");
    item.note.textContent = event.message;
  }

  on_step_fell_back(event) {
    const item = this.item(event);
    item.node.dataset.fallback = "true";
    item.fallbackBadge.hidden = false;
    item.note.textContent = `fell back from ${event.data.failed_tool ?? "another tool"}`;
    this.announce(`${item.id} falls back to ${event.tool}`);
  }

  on_replan_started(event) {
    this.addNote("replan", `Replanning (attempt ${event.data.attempt}): ${event.message}`);
    this.extraGroup = this.group(`Replan ${event.data.attempt}`);
    this.announce("Replanning");
  }

  on_replan_finished(event) {
    const ok = event.data.ok !== false;
    this.addNote("replan", `Replan ${ok ? "ready" : "failed"}: ${event.message}`);
  }

  on_degraded(event) {
    if (event.data.llm_budget_exhausted) {
      this.addNote("degraded", `LLM budget: ${event.message}`);
      return;
    }
    this.addNote("degraded", `Degraded to the direct path: ${event.message}`);
    this.extraGroup = this.group("Direct path");
    this.announce("Degraded to the direct path");
  }

  on_error(event) {
    this.addNote("error", event.message);
  }

  on_final_answer(event) {
    this.stepsRoot.setAttribute("aria-busy", "false");
    this.announce(`Answer ready (${event.message})`);
  }

  finish() {
    this.stepsRoot.setAttribute("aria-busy", "false");
  }
}
