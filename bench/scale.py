"""Scale: one query over many small generated text documents (10, 100, 1,000).

Checks decision 1 of the architecture (documents travel by reference): the query completes, and
no payload in its history exceeds 512 KiB and the history stays under 4 MiB, read from the
history itself (serialized sizes of every event and of every payload in it, naming the largest).
Wall time is measured cold (the documents are ingested by the query's ``resolve_documents``
activities) and warm (already in the store; median of repeated runs).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from bench.environment import environment
from bench.histories import HistorySizes, history_sizes
from bench.results import md_table
from bench.stats import summary
from bench.workers import docorch_worker
from client.sdk import OrchestratorClient
from models.query import QueryStatus

NAME = "scale"
TITLE = "Scale: one query over many documents"
PAYLOAD_LIMIT = 512 * 1024
HISTORY_LIMIT = 4 * 1024 * 1024
ACCOUNT = 7
QUESTIONS = {
    "answerable": f"What is the renewal fee for account {ACCOUNT:04d}?",
    "unanswerable": "Which zebra herds migrate north in spring?",
}
"""One question every document set answers (document 7 states it), and one none does: the
second drives the search's broadening to its widest."""

_VOCABULARY = (
    "invoice delivery schedule warehouse supplier quarterly review contract service level "
    "payment terms shipment audit customer region forecast budget approval renewal notice "
    "inventory escalation maintenance license capacity pricing discount report"
)
_WORDS = _VOCABULARY.split()


def generate(folder: Path, count: int, tag: str) -> list[str]:
    """``count`` small text documents (~0.8 KB) in ``folder``; document i states the renewal
    fee of account i. ``tag`` makes the contents (hence the document ids) unique per set."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{tag}-{count}")
    paths = []
    for i in range(count):
        sentences = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 14))).capitalize() + "."
            for _ in range(7)
        ]
        fee = 100 + (i * 37) % 900
        sentences.insert(rng.randint(0, 7), f"The renewal fee for account {i:04d} is {fee} EUR.")
        path = folder / f"note_{i:04d}.txt"
        path.write_text(f"Operations note {i} ({tag})\n\n" + " ".join(sentences) + "\n")
        paths.append(str(path))
    return paths


async def _query(
    sdk: OrchestratorClient, question: str, paths: list[str]
) -> tuple[float, HistorySizes, int]:
    started = time.perf_counter()
    handle = await sdk.start(question, paths)
    result = await handle.result()
    wall = (time.perf_counter() - started) * 1000
    if result.status is not QueryStatus.COMPLETED:
        raise RuntimeError(f"{len(paths)} documents: the query ended {result.status}")
    history = await handle.fetch_history()
    description = await handle.describe()
    server_bytes = int(description.raw_description.workflow_execution_info.history_size_bytes)
    return wall, history_sizes(history), server_bytes


def _row(count: int, kind: str, runs: list[tuple[float, HistorySizes, int]]) -> dict[str, Any]:
    largest = max((r[1] for r in runs), key=lambda s: s.history_bytes)
    biggest = max((r[1] for r in runs), key=lambda s: s.max_payload_bytes)
    return {
        "documents": count,
        "question": kind,
        "wall_ms": summary([r[0] for r in runs]),
        "events": largest.events,
        "activities": largest.activities,
        "history_bytes": largest.history_bytes,
        "history_bytes_server": max(r[2] for r in runs),
        "max_payload_bytes": biggest.max_payload_bytes,
        "max_payload_event": biggest.max_payload_event,
        "max_event_bytes": largest.max_event_bytes,
        "max_event": largest.max_event,
        "largest_events": [{"event": name, "bytes": size} for name, size in biggest.largest_events],
        "payload_ok": biggest.max_payload_bytes <= PAYLOAD_LIMIT,
        "history_ok": largest.history_bytes <= HISTORY_LIMIT,
    }


async def run(quick: bool) -> dict[str, Any]:
    sizes = [10, 100] if quick else [10, 100, 1000]
    repeats = 2 if quick else 3
    bench = await environment()
    rows = []
    cold = []
    async with docorch_worker() as sdk:
        for count in sizes:
            paths = generate(bench.docs_dir / f"scale_{count}", count, tag=f"set{count}")
            first = await _query(sdk, QUESTIONS["answerable"], paths)
            cold.append(
                {
                    "documents": count,
                    "cold_ms": round(first[0], 1),
                    "ingested_per_s": round(count / (first[0] / 1000), 1),
                }
            )
            for kind, question in QUESTIONS.items():
                runs = [await _query(sdk, question, paths) for _ in range(repeats)]
                rows.append(_row(count, kind, [first, *runs] if kind == "answerable" else runs))
    largest = max(sizes)
    at_top = [r for r in rows if r["documents"] == largest]
    answerable = next(r for r in at_top if r["question"] == "answerable")
    per_doc = answerable["max_payload_bytes"] / largest
    per_doc_history = answerable["history_bytes"] / largest
    worst_payload = max(at_top, key=lambda r: r["max_payload_bytes"])
    worst_history = max(at_top, key=lambda r: r["history_bytes"])
    return {
        "questions": QUESTIONS,
        "repeats": repeats,
        "cold": cold,
        "sizes": rows,
        "payload_bytes_per_document": round(per_doc, 1),
        "history_bytes_per_document": round(per_doc_history, 1),
        "documents_at_payload_limit": int(PAYLOAD_LIMIT / per_doc),
        "documents_at_history_limit": int(HISTORY_LIMIT / per_doc_history),
        "goals": [
            {
                "goal": f"one query over {largest:,} documents completes with every payload "
                "≤ 512 KiB",
                "measured": f"largest {worst_payload['max_payload_bytes'] / 1024:,.0f} KiB "
                f"({worst_payload['question']} question: {worst_payload['max_payload_event']})",
                "met": all(r["payload_ok"] for r in rows),
            },
            {
                "goal": "… and a history ≤ 4 MiB",
                "measured": f"largest {worst_history['history_bytes'] / 1024:,.0f} KiB "
                f"({worst_history['question']} question, {worst_history['events']} events)",
                "met": all(r["history_ok"] for r in rows),
            },
        ],
    }


def table(results: dict[str, Any]) -> str:
    cold_rows = [
        [f"{c['documents']:,}", c["cold_ms"], c["ingested_per_s"]] for c in results["cold"]
    ]
    rows = []
    for r in results["sizes"]:
        rows.append(
            [
                f"{r['documents']:,}",
                r["question"],
                r["wall_ms"]["median"],
                f"{r['events']} / {r.get('activities', '-')}",
                f"{r['history_bytes'] / 1024:,.0f}" + ("" if r["history_ok"] else " ✗"),
                f"{r['max_payload_bytes'] / 1024:,.1f}" + ("" if r["payload_ok"] else " ✗"),
                r["max_payload_event"],
            ]
        )
    q = results["questions"]
    return (
        f"Questions: *answerable* “{q['answerable']}” (one document states it) and "
        f"*unanswerable* “{q['unanswerable']}” (none does). Generated text documents of ~0.8 KB. "
        "*Cold*: the documents are new and the query's `resolve_documents` activities ingest "
        f"them; the other runs find them in the store (median of {results['repeats']}). Sizes "
        "are serialized protobuf bytes read from the history (the largest over the runs); "
        "limits 512 KiB per payload, 4 MiB per history.\n\n"
        + md_table(["documents", "cold query ms (ingests)", "documents ingested/s"], cold_rows)
        + "\n\n"
        + md_table(
            [
                "documents",
                "question",
                "wall ms",
                "events / activities",
                "history KiB",
                "largest payload KiB",
                "largest payload in",
            ],
            rows,
        )
        + f"\n\nFor the answerable question the largest payload grows by "
        f"{results['payload_bytes_per_document']:.0f} bytes per document (the document "
        "references the plan request and the search carry), so at this rate one query reaches "
        f"the 512 KiB payload limit near {results['documents_at_payload_limit']:,} documents and "
        f"the 4 MiB history near {results['documents_at_history_limit']:,}.\n"
        + _fan_out_note(results)
        + _over_limit(results)
    )


def _fan_out_note(results: dict[str, Any]) -> str:
    busy = [
        r
        for r in results["sizes"]
        if r["question"] == "answerable" and r.get("activities", 0) > 2.5 * r["documents"]
    ]
    if not busy:
        return ""
    r = busy[0]
    return (
        f"\nAt {r['documents']} documents the QA template searches each document on its own "
        "(up to 12), and a search over a one-chunk document never finds the two passages its "
        "`repeat_until` asks for, so it runs three times (`broaden` 0, 1, 2): "
        f"{r['activities']} activities for {r['documents']} documents, more than at 100.\n"
    )


def _over_limit(results: dict[str, Any]) -> str:
    """What exceeds a limit, event by event (empty when nothing does)."""
    lines = []
    for r in results["sizes"]:
        if r["payload_ok"] and r["history_ok"]:
            continue
        over = [e for e in r.get("largest_events", []) if e["bytes"] > PAYLOAD_LIMIT]
        events = "; ".join(f"{e['event']}: {e['bytes'] / 1024:,.0f} KiB" for e in over)
        history = (
            ""
            if r["history_ok"]
            else f" The history is {r['history_bytes'] / 1024 / 1024:.2f} MiB (limit 4 MiB)."
        )
        lines.append(
            f"- **{r['documents']:,} documents, {r['question']} question:** events over "
            f"512 KiB: {events or 'none'}.{history}"
        )
    if not lines:
        return ""
    return (
        "\n**Over the limits** (architecture decision 1):\n\n"
        + "\n".join(lines)
        + "\n\nWhen a search finds fewer than two passages, the template's `repeat_until` "
        "reruns it with `broaden` 1 then 2, and `broaden=2` adds the opening passage of every "
        "document nothing matched: over many documents that result holds a passage per "
        "document, and the answer step's input carries it again (the direct path repeats "
        "both).\n"
    )
