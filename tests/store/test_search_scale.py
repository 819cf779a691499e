"""Search over 10,000 chunks ranks an exact passage first (store built directly, no parsing)."""

from __future__ import annotations

from pathlib import Path

from bench.documents import PLANTED, PLANTED_QUERY, build_store, synthetic_corpus


def test_planted_passage_is_first_among_ten_thousand_chunks(tmp_path: Path) -> None:
    corpus = synthetic_corpus(10_000)
    store, ids, _ = build_store(tmp_path, corpus)
    assert store.stats().chunks == 10_000
    found = store.search(PLANTED_QUERY, ids, top_k=5)
    assert found[0].text.endswith(PLANTED)
    assert found[0].anchor.section == "Section 5000"
    # decoys share some of the words, so the ranking (not mere matching) is what is tested
    assert len(found) == 5 and all(p.score < found[0].score for p in found[1:])
