"""The chaos soak's section of BENCHMARKS.md."""

from __future__ import annotations

from typing import Any

from bench.chaos_audit import audit_table
from bench.results import md_table

SIDE_EFFECTS = (
    "**What a step writes besides its history** (read from the activities' calls into "
    "`store/`), each checked against the Temporal histories once every run had closed: the "
    "*tool figures* (`record_call`: one success row per completed tool step — a call whose "
    "completion never counted, because its worker was killed right after or the server was "
    "away, runs again and must not add a second; failed attempts are rows of their own), "
    "*documents* with their *chunks* and *search-index entries* (`put_document`, the resolve "
    "activity: one per distinct bytes, however often a killed ingest resumes), *content bytes* "
    "(`put_content`, the SDK's uploads) and the *LLM ledger* (none here: no LLM endpoint). "
    "Before the tool figures were keyed by workflow run and step (`call_key`, `ON CONFLICT DO "
    "NOTHING`), the quick soak (40 queries, 2 kills) recorded 5 tool successes twice."
)


STORES = {"embedded": "Embedded", "postgresql": "PostgreSQL"}


def _statuses(statuses: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in statuses.items())


def _round(r: dict[str, Any]) -> list[str]:
    shape, soak, base = r["shape"], r["soak"], r["baseline"]
    parts = [
        f"**{STORES.get(r['store'], r['store'])} store.** {soak['queries']} queries, "
        f"{shape['in_flight']} in flight, every {shape['kill_every_s']:g} s the worker or the "
        "server killed with SIGKILL (alternately) and replaced at once; every second query "
        f"waits {shape['long_step_s']:g} s on a slow service. **{soak['answered']}/"
        f"{soak['queries']} answered** ({_statuses(soak['statuses'])}) in {soak['wall_s']} s "
        f"with {len(r['kills'])} kills; without kills, {base['queries']} of the same queries "
        f"took {base['wall_s']} s ({base['answered']} answered), so the soak's queries would "
        f"have taken {r['expected_wall_s']} s. **Seconds lost per kill: "
        f"{r['seconds_lost_per_kill']}** (the difference over the kills). Worker processes "
        f"that died unasked: {r['worker_deaths']}.\n"
    ]
    if soak["errors"]:
        parts.append("Errors: " + "; ".join(f"`{e}`" for e in soak["errors"]) + "\n")
    rows = [
        [k["target"], k["at_s"], k["in_flight"], k["replaced_s"], k["next_answer_s"]]
        for k in r["kills"]
    ]
    headers = [
        "killed",
        "at, s",
        "in flight",
        "kill → replacement serving, s",
        "kill → next answer, s",
    ]
    parts.append(
        md_table(headers, rows)
        + "\n\nKill → next answer is long when every query in flight was in its slow call "
        "(most of them are, at any moment): those calls start over.\n"
    )
    kinds = dict.fromkeys([*base["median_latency_s"], *soak["median_latency_s"]])
    latency = [
        [kind, base["median_latency_s"].get(kind, "–"), soak["median_latency_s"].get(kind, "–")]
        for kind in kinds
    ]
    parts.append(
        "Median latency per query kind: a kill costs the queries that were waiting on the slow "
        "service most (the stand-in keeps no checkpoint: its call starts over after the "
        "heartbeat timeout, 1 s, also when the server was away longer than that).\n\n"
        + md_table(["query", "without kills, s", "soak, s"], latency)
        + "\n"
    )
    parts.append(audit_table(r["audit"]))
    return parts


def report(results: dict[str, Any]) -> str:
    """Every round (the embedded store's soak, then PostgreSQL's in full runs) and the side
    effects' definition."""
    parts = [SIDE_EFFECTS + "\n"]
    for r in results["rounds"]:
        parts += _round(r)
    return "\n".join(parts)
