// The answer with its numbered citations: markers like [2] in the text and the list of sources
// (data-testid="citation") open the quoted passage, with where it stands in its document, in a
// modal dialog (Escape or Close returns to the citation).

import { el } from "./dom.js";

const MARKER = /\[(\d+)\]/g;

// A short label such as "page 3, §7.2 Notice" (the same rule as the Python Anchor.label).
export function anchorLabel(anchor) {
  const parts = [];
  if (anchor.page !== null && anchor.page !== undefined) parts.push(`page ${anchor.page}`);
  if (anchor.section) parts.push(`§${anchor.section.split(" > ").at(-1)}`);
  if (!parts.length) parts.push(`chars ${anchor.char_start}-${anchor.char_end}`);
  return parts.join(", ");
}

function shortened(text, limit) {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

export class AnswerView {
  constructor({ answer, citations, meter, meterText, dialog }) {
    this.answerRoot = answer;
    this.citationsRoot = citations;
    this.meter = meter;
    this.meterText = meterText;
    this.dialog = dialog;
    this.citations = [];
    dialog.querySelector("#passage-close").addEventListener("click", () => dialog.close());
  }

  reset() {
    this.answerRoot.replaceChildren();
    this.citationsRoot.replaceChildren();
    this.meterText.textContent = "";
    this.citations = [];
  }

  show(result) {
    this.reset();
    this.citations = result.citations ?? [];
    for (const paragraph of result.answer.split(/\n{2,}/)) {
      const node = el("p");
      paragraph.split("\n").forEach((line, index) => {
        if (index) node.append(el("br"));
        node.append(...this.withMarkers(line));
      });
      this.answerRoot.append(node);
    }
    this.citations.forEach((citation, index) => {
      const number = index + 1;
      this.citationsRoot.append(
        el(
          "li",
          { id: `citation-${number}` },
          el(
            "button",
            {
              type: "button",
              class: "citation",
              "data-testid": "citation",
              "aria-haspopup": "dialog",
              onclick: () => this.open(number),
            },
            `[${number}] ${citation.document_name}, ${anchorLabel(citation.anchor)}`,
          ),
          el("q", {}, shortened(citation.quote, 160)),
        ),
      );
    });
    const confidence = result.confidence_score;
    this.meter.value = confidence;
    const status = result.status === "completed" ? "" : ` · ${result.status}`;
    const degraded = result.execution_summary?.degraded ? " · direct path" : "";
    this.meterText.textContent = `${confidence.toFixed(2)}${status}${degraded}`;
  }

  withMarkers(line) {
    const parts = [];
    let last = 0;
    for (const match of line.matchAll(MARKER)) {
      const number = Number(match[1]);
      if (number < 1 || number > this.citations.length) continue;
      parts.push(line.slice(last, match.index));
      parts.push(
        el(
          "button",
          {
            type: "button",
            class: "marker",
            "aria-label": `Source ${number}`,
            "aria-haspopup": "dialog",
            onclick: () => this.open(number),
          },
          `[${number}]`,
        ),
      );
      last = match.index + match[0].length;
    }
    parts.push(line.slice(last));
    return parts;
  }

  open(number) {
    const citation = this.citations[number - 1];
    const anchor = citation.anchor;
    this.dialog.querySelector("#passage-title").textContent =
      `[${number}] ${citation.document_name}`;
    this.dialog.querySelector("#passage-anchor").textContent =
      `${anchorLabel(anchor)} · characters ${anchor.char_start}–${anchor.char_end}` +
      (anchor.section ? ` · ${anchor.section}` : "");
    this.dialog.querySelector("#passage-quote").textContent = citation.quote;
    this.dialog.showModal();
  }
}
