"""The embedded document store: SQLite FTS5 (BM25) over anchored chunks, files for the rest.

Layout under its root (``<data dir>/store``):

* ``index.sqlite``: documents, chunks, the FTS5 index of the chunks and their embedding
  vectors (when the semantic extra computed them);
* ``text/<id>.txt``: each document's parsed text, which every anchor indexes into;
* ``content/<id[:2]>/<id>``: content bytes put by clients (the claim check).

Same bytes, same id: a second put of the same content or document writes nothing. Content files
appear atomically (written aside, then hard-linked into place), so concurrent puts of the same
bytes, from threads or processes, leave one file and report one ``created``.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from models.documents import DocumentRef, Passage, StoreStats, Table
from store.base import ContentRef, DocumentPut, DocumentRecord
from store.content import spool
from store.embedded.database import Database
from store.embedded.files import open_private, write_private
from store.rows import document_ref as _ref
from store.rows import passage as _passage
from store.rows import passage_parts
from store.search import OVERFETCH, MatchTerm, match_terms, uncovered_documents

SCHEMA_VERSION = 2
"""1: documents, chunks, FTS5. 2: chunk_vectors (embeddings of the semantic extra)."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT, format TEXT NOT NULL, title TEXT,
    pages INTEGER, size_bytes INTEGER NOT NULL, chunks INTEGER NOT NULL, warnings TEXT NOT NULL,
    tables TEXT NOT NULL DEFAULT '[]', ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_name ON documents(name);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, document_id TEXT NOT NULL, seq INTEGER NOT NULL, text TEXT NOT NULL,
    page INTEGER, section TEXT, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    UNIQUE(document_id, seq)
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, section, content='chunks', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE TABLE IF NOT EXISTS chunk_vectors (
    document_id TEXT NOT NULL, model TEXT NOT NULL, seq INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (document_id, model, seq)
);
"""
_HEX = re.compile(r"[0-9a-f]+")
_BM25 = "bm25(chunks_fts, 1.0, 0.5)"
"""BM25 with a chunk's section heading weighted half its text."""


def fts_expression(terms: Sequence[MatchTerm]) -> str:
    """An FTS5 MATCH expression matching any of ``terms``."""
    return " OR ".join(f'"{t.text}"*' if t.prefix else f'"{t.text}"' for t in terms)


def _link_new(aside: Path, path: Path) -> bool:
    """Hard-link the written file ``aside`` to ``path`` unless ``path`` exists; True when this
    call created it. Linking fails for every concurrent writer but one."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(aside, path)
        return True
    except FileExistsError:
        return False


class EmbeddedDocuments:
    """``store.base.DocumentStore`` on SQLite FTS5 and files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.text_dir = root / "text"
        self.content_dir = root / "content"
        self.text_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(root / "index.sqlite", _SCHEMA, version=SCHEMA_VERSION)

    # ---- content ---------------------------------------------------------------------------

    def _content_path(self, cid: str) -> Path:
        return self.content_dir / cid[:2] / cid

    def put_content(self, data: bytes) -> ContentRef:
        return self.put_content_stream([data], max_bytes=len(data))

    def put_content_stream(self, chunks: Iterable[bytes], *, max_bytes: int) -> ContentRef:
        # written aside in the content folder (same file system), then linked into place
        self.content_dir.mkdir(parents=True, exist_ok=True)
        aside = self.content_dir / f".upload.{uuid.uuid4().hex}"
        try:
            with open_private(aside) as into:
                spooled = spool(chunks, into, max_bytes=max_bytes)
            created = _link_new(aside, self._content_path(spooled.id))
        finally:
            aside.unlink(missing_ok=True)
        return ContentRef(id=spooled.id, size_bytes=spooled.size_bytes, created=created)

    def _stored(self, content_id: str) -> Path | None:
        if not _HEX.fullmatch(content_id):
            return None
        path = self._content_path(content_id)
        return path if path.is_file() else None

    def read_content(self, content_id: str) -> bytes | None:
        path = self._stored(content_id)
        return path.read_bytes() if path else None

    def content_size(self, content_id: str) -> int | None:
        path = self._stored(content_id)
        return path.stat().st_size if path else None

    # ---- documents -------------------------------------------------------------------------

    def put_document(self, record: DocumentRecord) -> DocumentPut:
        tables = [t.model_dump() for t in record.tables]
        with self.db.write() as db:
            inserted = db.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING",
                (
                    record.id,
                    record.name,
                    record.source,
                    record.format,
                    record.title,
                    record.pages,
                    record.size_bytes,
                    len(record.chunks),
                    json.dumps(list(record.warnings)),
                    json.dumps(tables),
                    time.time(),
                ),
            ).rowcount
            if inserted:
                # under the write lock, so only the first put of this id writes its text
                text = self.text_dir / f"{record.id}.txt"
                aside = text.with_name(f".{text.name}.{uuid.uuid4().hex}")
                write_private(aside, record.text.encode("utf-8"))
                aside.replace(text)
                db.executemany(
                    "INSERT INTO chunks(document_id, seq, text, page, section, char_start, "
                    "char_end) VALUES (?,?,?,?,?,?,?)",
                    [
                        (
                            record.id,
                            c.seq,
                            c.text,
                            c.anchor.page,
                            c.anchor.section,
                            c.anchor.char_start,
                            c.anchor.char_end,
                        )
                        for c in record.chunks
                    ],
                )
                db.execute(
                    "INSERT INTO chunks_fts(rowid, text, section) SELECT rowid, text, "
                    "coalesce(section, '') FROM chunks WHERE document_id=?",
                    (record.id,),
                )
            row = db.execute("SELECT * FROM documents WHERE id=?", (record.id,)).fetchone()
        return DocumentPut(document=_ref(row), created=bool(inserted))

    def get(self, doc_id: str) -> DocumentRef | None:
        with self.db.read() as db:
            row = db.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone()
        return _ref(row) if row else None

    def find(self, id_or_name: str) -> DocumentRef | None:
        with self.db.read() as db:
            row = db.execute("SELECT * FROM documents WHERE id=?", (id_or_name,)).fetchone()
            if row is None and len(id_or_name) >= 6 and _HEX.fullmatch(id_or_name):
                rows = db.execute(
                    "SELECT * FROM documents WHERE id LIKE ? LIMIT 2", (id_or_name + "%",)
                ).fetchall()
                row = rows[0] if len(rows) == 1 else None
            if row is None:
                row = db.execute(
                    "SELECT * FROM documents WHERE name=? ORDER BY ingested_at DESC LIMIT 1",
                    (id_or_name,),
                ).fetchone()
        return _ref(row) if row else None

    def list_documents(self) -> list[DocumentRef]:
        with self.db.read() as db:
            rows = db.execute("SELECT * FROM documents ORDER BY ingested_at").fetchall()
        return [_ref(r) for r in rows]

    def text(self, doc_id: str) -> str | None:
        if self.get(doc_id) is None:
            return None
        return (self.text_dir / f"{doc_id}.txt").read_text(encoding="utf-8")

    def _column(self, doc_id: str, column: str) -> list[object]:
        with self.db.read() as db:
            row = db.execute(f"SELECT {column} FROM documents WHERE id=?", (doc_id,)).fetchone()
        return list(json.loads(row[0])) if row else []

    def warnings(self, doc_id: str) -> list[str]:
        return [str(w) for w in self._column(doc_id, "warnings")]

    def tables(self, doc_id: str) -> list[Table]:
        return [Table.model_validate(t) for t in self._column(doc_id, "tables")]

    def put_vectors(self, doc_id: str, model: str, vectors: Mapping[int, bytes]) -> None:
        with self.db.write() as db:
            known = {
                r[0] for r in db.execute("SELECT seq FROM chunks WHERE document_id=?", (doc_id,))
            }
            db.executemany(
                "INSERT INTO chunk_vectors VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                [(doc_id, model, seq, v) for seq, v in sorted(vectors.items()) if seq in known],
            )

    def vectors(self, doc_ids: Sequence[str], model: str) -> dict[str, bytes]:
        if not doc_ids:
            return {}
        marks = ",".join("?" * len(doc_ids))
        with self.db.read() as db:
            rows = db.execute(
                f"SELECT document_id, seq, vector FROM chunk_vectors "
                f"WHERE model=? AND document_id IN ({marks})",
                [model, *doc_ids],
            ).fetchall()
        return {f"{r['document_id']}:{r['seq']}": bytes(r["vector"]) for r in rows}

    def stats(self) -> StoreStats:
        with self.db.read() as db:
            documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
            chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return StoreStats(documents=documents, chunks=chunks, index_bytes=self.db.size_bytes())

    # ---- passages --------------------------------------------------------------------------

    @staticmethod
    def _names(db: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, str]:
        marks = ",".join("?" * len(doc_ids))
        rows = db.execute(f"SELECT id, name FROM documents WHERE id IN ({marks})", list(doc_ids))
        return {r["id"]: r["name"] for r in rows}

    def passages(self, doc_id: str, *, limit: int | None = None) -> list[Passage]:
        with self.db.read() as db:
            names = self._names(db, [doc_id])
            rows = db.execute(
                "SELECT * FROM chunks WHERE document_id=? ORDER BY seq LIMIT ?",
                (doc_id, limit if limit is not None else -1),
            ).fetchall()
        return [_passage(r, names) for r in rows]

    def passage(self, passage_id: str) -> Passage | None:
        parts = passage_parts(passage_id)
        if parts is None:
            return None
        doc_id, seq = parts
        with self.db.read() as db:
            names = self._names(db, [doc_id])
            row = db.execute(
                "SELECT * FROM chunks WHERE document_id=? AND seq=?", (doc_id, seq)
            ).fetchone()
        return _passage(row, names) if row else None

    @staticmethod
    def _ranked(
        db: sqlite3.Connection, expression: str, doc_ids: Sequence[str], top_k: int
    ) -> list[sqlite3.Row]:
        """The top_k chunks of ``doc_ids`` matching ``expression``, best first.

        Ranking the index alone is several times faster than ranking it joined to the chunks, so
        the best OVERFETCH × top_k of the whole index are ranked first and filtered to
        ``doc_ids``. That is exact whenever top_k survive the filter (a better chunk of these
        documents would have been among them); otherwise the joined query decides.
        """
        wanted = set(doc_ids)
        candidates = db.execute(
            f"""SELECT c.*, -best.rank AS score FROM (
                    SELECT rowid, {_BM25} AS rank FROM chunks_fts
                    WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?
                ) AS best JOIN chunks c ON c.rowid = best.rowid ORDER BY best.rank""",
            [expression, top_k * OVERFETCH],
        ).fetchall()
        kept = [r for r in candidates if r["document_id"] in wanted][:top_k]
        if len(kept) == top_k or len(candidates) < top_k * OVERFETCH:
            return kept
        marks = ",".join("?" * len(doc_ids))
        return db.execute(
            f"""SELECT c.*, -{_BM25} AS score FROM chunks_fts
                JOIN chunks c ON c.rowid = chunks_fts.rowid
                WHERE chunks_fts MATCH ? AND c.document_id IN ({marks})
                ORDER BY {_BM25} LIMIT ?""",
            [expression, *doc_ids, top_k],
        ).fetchall()

    def search(
        self, query: str, doc_ids: Sequence[str], *, top_k: int = 5, broaden: int = 0
    ) -> list[Passage]:
        if not doc_ids:
            return []
        terms = match_terms(query, broaden)
        found: list[Passage] = []
        with self.db.read() as db:
            names = self._names(db, doc_ids)
            if terms:
                rows = self._ranked(db, fts_expression(terms), doc_ids, top_k)
                found = [_passage(r, names, float(r["score"])) for r in rows]
            for doc_id in uncovered_documents(
                (p.document_id for p in found), doc_ids, top_k=top_k, broaden=broaden
            ):
                row = db.execute(
                    "SELECT * FROM chunks WHERE document_id=? ORDER BY seq LIMIT 1", (doc_id,)
                ).fetchone()
                if row:
                    found.append(_passage(row, names, 0.0))
        return found
