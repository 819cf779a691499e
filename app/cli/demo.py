"""``docorch demo``: sample questions over the sample documents (samples/make_samples.py) on the
embedded server."""

from __future__ import annotations

from pathlib import Path

from app.cli.common import JsonOption, cli_settings, console, embedded_sdk, run, trace_link
from app.cli.render import print_result

DEMO_QUERIES = (
    # one query of each type, over Markdown, text, PDF and DOCX samples
    (
        "Find where the expired certificate is mentioned",
        ["q3_operations_report.md", "incident_review_2025-09-22.docx"],
    ),
    (
        "Summarize the incident review and the Umbrella agreement",
        ["incident_review_2025-09-22.docx", "contract_acme_umbrella.pdf"],
    ),
    (
        "What are the main risks to availability?",
        [
            "q3_operations_report.md",
            "steering_meeting_notes.txt",
            "incident_review_2025-09-22.docx",
        ],
    ),
    (
        "Compare the Globex and Umbrella service agreements",
        ["contract_acme_globex.md", "contract_acme_umbrella.pdf"],
    ),
    (
        "Extract the amounts and dates due after August",
        ["contract_acme_umbrella.pdf", "incident_review_2025-09-22.docx"],
    ),
    ("Extract the tables", ["contract_acme_umbrella.pdf", "incident_review_2025-09-22.docx"]),
    (
        "What is the notice period for termination for convenience?",
        ["contract_acme_globex.md", "contract_acme_initech.md", "contract_acme_umbrella.pdf"],
    ),
)


def samples_dir() -> Path:
    """The repository's samples/ folder."""
    return Path(__file__).resolve().parents[2] / "samples"


def demo(as_json: JsonOption = False) -> None:
    """Answer sample questions over the sample documents on the embedded server."""
    settings = cli_settings()
    folder = samples_dir()

    async def run_demo() -> None:
        async with embedded_sdk(settings.model_copy(update={"allowed_roots": (folder,)})) as (
            sdk,
            rt,
        ):
            console.print(f"[bold]docorch demo[/] · Temporal {rt.address} · UI {rt.ui_url}")
            for question, names in DEMO_QUERIES:
                docs = [str(folder / n) for n in names]
                console.rule(f"[bold]Q:[/] {question}")
                console.print(f"[dim]documents: {', '.join(names)}[/]")
                result = await sdk.run(question, docs)
                if as_json:
                    console.print_json(result.model_dump_json())
                else:
                    link = trace_link(rt.ui_url, rt.client, result.workflow_id)
                    print_result(console, result, trace_url=link)

    run(run_demo())
