"""The evaluation set: questions with gold answers (questions.json) over public documents
(manifest.json), shipped in ``bench/eval/documents`` (or read from DOCORCH_EVAL_DOCS)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_DOCS = HERE / "documents"
DOCS_ENV = "DOCORCH_EVAL_DOCS"

Kind = Literal["paraphrase", "fields", "tables", "numbers_dates", "multi_document", "non_english"]
KINDS: tuple[Kind, ...] = (
    "paraphrase",
    "fields",
    "tables",
    "numbers_dates",
    "multi_document",
    "non_english",
)


class Question(BaseModel):
    """One question, the documents it is asked over, and its acceptable answers."""

    id: str
    kind: Kind
    question: str
    documents: list[str] = Field(min_length=1)
    answers: list[str] = Field(min_length=1, description="Gold answer and its accepted variants.")
    source: str | None = Field(
        default=None, description="The document the answer must be cited from (multi-document)."
    )


class EvalDocument(BaseModel):
    name: str
    format: str
    repo: str
    path: str
    commit: str
    sha256: str
    bytes: int
    licence: str


class QuestionSet(BaseModel):
    description: str
    questions: list[Question]


class Manifest(BaseModel):
    description: str
    documents: list[EvalDocument]


def docs_dir() -> Path:
    """Where the documents are: DOCORCH_EVAL_DOCS, else ``bench/eval/documents`` (shipped)."""
    return Path(os.environ.get(DOCS_ENV) or DEFAULT_DOCS).expanduser().resolve()


def load_questions() -> list[Question]:
    data = json.loads((HERE / "questions.json").read_text(encoding="utf-8"))
    return QuestionSet.model_validate(data).questions


def load_manifest() -> list[EvalDocument]:
    data = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    return Manifest.model_validate(data).documents


def check_documents(root: Path, documents: list[EvalDocument]) -> list[str]:
    """Problems with the documents under ``root``: missing files and changed bytes."""
    problems: list[str] = []
    for document in documents:
        path = root / document.name
        if not path.is_file():
            problems.append(
                f"missing {document.name}: fetch {document.path} from github.com/"
                f"{document.repo} at {document.commit[:12]}"
            )
        elif hashlib.sha256(path.read_bytes()).hexdigest() != document.sha256:
            problems.append(f"changed {document.name}: its sha256 is not the manifest's")
    return problems


def check_questions(questions: list[Question], documents: list[EvalDocument]) -> list[str]:
    """Questions naming documents the manifest does not list, or duplicate ids."""
    known = {d.name for d in documents}
    problems = [
        f"{q.id}: unknown document {name}"
        for q in questions
        for name in [*q.documents, *([q.source] if q.source else [])]
        if name not in known
    ]
    ids = [q.id for q in questions]
    problems += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return problems
