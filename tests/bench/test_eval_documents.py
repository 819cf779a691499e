"""The evaluation set ships whole: every document its questions ask about is in
``bench/eval/documents`` with the sha256 the manifest records, and named in its README with a
licence (so ``make eval`` runs from a fresh clone)."""

from __future__ import annotations

from bench.eval.dataset import (
    DEFAULT_DOCS,
    check_documents,
    check_questions,
    load_manifest,
    load_questions,
)


def test_every_document_is_shipped_unchanged() -> None:
    manifest = load_manifest()
    assert check_questions(load_questions(), manifest) == []
    assert check_documents(DEFAULT_DOCS, manifest) == []


def test_every_document_is_listed_with_its_licence() -> None:
    readme = (DEFAULT_DOCS / "README.md").read_text(encoding="utf-8")
    for document in load_manifest():
        assert f"| `{document.name}` |" in readme
        assert document.licence.split(" ")[0] in readme
