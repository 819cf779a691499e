"""Where benchmarks find the repository and its sample documents."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
SAMPLE_DOCUMENT = SAMPLES / "contract_acme_globex.md"
