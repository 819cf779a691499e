// The steps' timeline (a Gantt chart) from the query's trace: one row per step activity, its bar
// placed by start and end relative to the workflow's start, so steps that ran in parallel
// overlap. The pale lead-in is the time from scheduled to started (waiting for a worker).

import { el, ms } from "./dom.js";

function time(value) {
  return value ? Date.parse(value) : null;
}

export function drawTimeline(list, axis, trace) {
  const origin = time(trace.started_at);
  const rows = trace.rows
    .map((row) => {
      const scheduled = time(row.scheduled_at);
      const started = time(row.started_at) ?? scheduled;
      return { row, scheduled: scheduled ?? started, started, closed: time(row.closed_at) };
    })
    .filter((r) => r.started !== null && origin !== null);
  list.replaceChildren();
  if (!rows.length) {
    axis.textContent = "No step activity in this query's history.";
    return;
  }
  const end = Math.max(
    time(trace.closed_at) ?? 0,
    ...rows.map((r) => r.closed ?? r.started),
    origin + 1,
  );
  const span = end - origin;
  const percent = (at) => `${(((at - origin) / span) * 100).toFixed(2)}%`;
  const width = (from, to) => `${Math.max(((to - from) / span) * 100, 0.4).toFixed(2)}%`;
  for (const { row, scheduled, started, closed } of rows) {
    const finished = closed ?? end;
    const wait = el("span", { class: "wait", "aria-hidden": "true" });
    wait.style.left = percent(scheduled);
    wait.style.width = width(scheduled, started);
    const bar = el("span", { class: "bar", "aria-hidden": "true", dataset: { status: row.status } });
    bar.style.left = percent(started);
    bar.style.width = width(started, finished);
    const spoken = `${row.status}, from ${ms(started - origin)} to ${ms(finished - origin)}`;
    list.append(
      el(
        "li",
        { class: "timeline-row", dataset: { status: row.status } },
        el("span", { class: "timeline-label" }, el("code", {}, row.activity_id), " ", row.tool),
        el("span", { class: "track" }, wait, bar, el("span", { class: "visually-hidden" }, spoken)),
      ),
    );
  }
  axis.textContent = `0 to ${ms(span)} after the query started · ${rows.length} activities`;
}
