"""Content-addressed document store with a SQLite FTS5 (BM25) index of anchored chunks.

Layout under the data directory: ``store/index.sqlite`` (documents, chunks, FTS index) and
``store/text/<id>.txt`` (the parsed text, so anchors can always be checked against it).
Same bytes -> same id: ingesting a file twice is a no-op.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from activities.documents.chunking import chunk_document
from activities.documents.parsed import ParsedDocument, Table
from activities.documents.parsers import parse_document
from activities.errors import DocumentNotFound, DocumentTooLarge
from models.documents import Anchor, DocumentRef, Passage

ID_LENGTH = 16
OVERFETCH = 8
"""Search ranks this many times top_k over the whole index before filtering to documents."""
_WORD = re.compile(r"[\w][\w'\-]*", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "should",
        "could",
        "can",
        "all",
        "any",
        "each",
        "every",
        "about",
        "after",
        "before",
        "between",
        "into",
        "over",
        "under",
        "than",
        "then",
        "so",
        "such",
        "not",
        "no",
        "yes",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "list",
        "show",
        "tell",
        "give",
        "find",
        "please",
        "compare",
        "summarize",
        "summarise",
        "describe",
        "explain",
        "document",
        "documents",
    ]
)

_SCHEMA = """
PRAGMA journal_mode=WAL;
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
"""


def document_id_for(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:ID_LENGTH]


def query_terms(query: str) -> list[str]:
    """Lower-cased content words of a query, stopwords removed, order kept, no duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        word = word.strip("'-")
        if len(word) > 1 and word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def password_for(name: str, passwords: Mapping[str, str]) -> str | None:
    """The password configured for file ``name``: an exact name, else the first matching glob
    (``"*.pdf"``, ``"*"``), else None."""
    if name in passwords:
        return passwords[name]
    return next((pw for pattern, pw in passwords.items() if fnmatch.fnmatch(name, pattern)), None)


def _fts_expression(terms: Sequence[str], broaden: int) -> str:
    """FTS5 MATCH expression: exact terms OR'ed; at broaden >= 1 prefixes of them too."""
    parts: list[str] = []
    for term in terms:
        clean = term.replace('"', "")
        parts.append(f'"{clean}"')
        if broaden >= 1 and len(clean) > 4:
            parts.append(f'"{clean[:5]}"*')
    return " OR ".join(parts)


class DocumentStore:
    """Thread-safe access to the store; every method opens its own short transaction."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).expanduser().resolve() / "store"
        self.text_dir = self.root / "text"
        self.text_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "index.sqlite"
        self._write_lock = threading.Lock()
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, in a transaction committed on success.

        Connections are kept per thread: opening one per call (and the WAL checkpoint on its
        close) cost more than a search.
        """
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.db_path, timeout=30)
            db.row_factory = sqlite3.Row
            self._local.db = db
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    # ---- ingestion -------------------------------------------------------------------------

    def ingest_file(
        self, path: Path, *, max_bytes: int, passwords: Mapping[str, str] | None = None
    ) -> DocumentRef:
        """Parse and index ``path`` unless the same bytes are already stored.

        ``passwords`` maps file names or globs to PDF passwords (DOCORCH_PDF_PASSWORDS).
        """
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentTooLarge(
                f"{path.name}: {size / 1e6:.1f} MB is over the limit of {max_bytes / 1e6:.1f} MB "
                "(DOCORCH_MAX_DOCUMENT_BYTES)"
            )
        data = path.read_bytes()
        existing = self.get(document_id_for(data))
        if existing is not None:
            return existing
        password = password_for(path.name, passwords or {})
        return self.ingest_parsed(path, data, parse_document(path, data, password=password))

    def ingest_parsed(self, path: Path, data: bytes, parsed: ParsedDocument) -> DocumentRef:
        doc_id = document_id_for(data)
        chunks = chunk_document(parsed)
        (self.text_dir / f"{doc_id}.txt").write_text(parsed.text, encoding="utf-8")
        tables = [
            {"rows": t.rows, "page": t.page, "caption": t.caption, "start": t.start, "end": t.end}
            for t in parsed.tables
        ]
        with self._write_lock, self._connect() as db:
            if db.execute("SELECT 1 FROM documents WHERE id=?", (doc_id,)).fetchone():
                db.rollback()
            else:
                db.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        doc_id,
                        path.name,
                        str(path),
                        parsed.format,
                        parsed.title,
                        parsed.page_count,
                        len(data),
                        len(chunks),
                        json.dumps(parsed.warnings),
                        json.dumps(tables),
                        time.time(),
                    ),
                )
                db.executemany(
                    "INSERT INTO chunks(document_id, seq, text, page, section, char_start, "
                    "char_end)"
                    " VALUES (?,?,?,?,?,?,?)",
                    [
                        (
                            doc_id,
                            c.seq,
                            c.text,
                            c.anchor.page,
                            c.anchor.section,
                            c.anchor.char_start,
                            c.anchor.char_end,
                        )
                        for c in chunks
                    ],
                )
                db.execute(
                    "INSERT INTO chunks_fts(rowid, text, section) SELECT rowid, text, "
                    "coalesce(section, '') FROM chunks WHERE document_id=?",
                    (doc_id,),
                )
        ref = self.get(doc_id)
        assert ref is not None
        return ref

    # ---- lookup ----------------------------------------------------------------------------

    @staticmethod
    def _ref(row: sqlite3.Row) -> DocumentRef:
        return DocumentRef(
            id=row["id"],
            name=row["name"],
            format=row["format"],
            title=row["title"],
            pages=row["pages"],
            size_bytes=row["size_bytes"],
            chunks=row["chunks"],
        )

    def get(self, doc_id: str) -> DocumentRef | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone()
        return self._ref(row) if row else None

    def find(self, id_or_name: str) -> DocumentRef | None:
        """A document by id, unique id prefix (>= 6 chars) or file name (the newest)."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM documents WHERE id=?", (id_or_name,)).fetchone()
            if row is None and len(id_or_name) >= 6 and re.fullmatch(r"[0-9a-f]+", id_or_name):
                rows = db.execute(
                    "SELECT * FROM documents WHERE id LIKE ? LIMIT 2", (id_or_name + "%",)
                ).fetchall()
                row = rows[0] if len(rows) == 1 else None
            if row is None:
                row = db.execute(
                    "SELECT * FROM documents WHERE name=? ORDER BY ingested_at DESC LIMIT 1",
                    (id_or_name,),
                ).fetchone()
        return self._ref(row) if row else None

    def require(self, doc_id: str) -> DocumentRef:
        ref = self.get(doc_id)
        if ref is None:
            raise DocumentNotFound(f"document {doc_id}: not in the store; ingest it first")
        return ref

    def list_documents(self) -> list[DocumentRef]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM documents ORDER BY ingested_at").fetchall()
        return [self._ref(r) for r in rows]

    def warnings(self, doc_id: str) -> list[str]:
        with self._connect() as db:
            row = db.execute("SELECT warnings FROM documents WHERE id=?", (doc_id,)).fetchone()
        return list(json.loads(row["warnings"])) if row else []

    def tables(self, doc_id: str) -> list[Table]:
        with self._connect() as db:
            row = db.execute("SELECT tables FROM documents WHERE id=?", (doc_id,)).fetchone()
        if not row:
            return []
        return [
            Table(
                rows=t["rows"],
                page=t["page"],
                caption=t["caption"],
                start=t.get("start"),
                end=t.get("end"),
            )
            for t in json.loads(row["tables"])
        ]

    def text(self, doc_id: str) -> str:
        self.require(doc_id)
        return (self.text_dir / f"{doc_id}.txt").read_text(encoding="utf-8")

    def stats(self) -> dict[str, int]:
        with self._connect() as db:
            documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
            chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        size = self.db_path.stat().st_size if self.db_path.exists() else 0
        return {"documents": documents, "chunks": chunks, "index_bytes": size}

    # ---- passages --------------------------------------------------------------------------

    @staticmethod
    def _passage(row: sqlite3.Row, names: dict[str, str], score: float = 0.0) -> Passage:
        return Passage(
            id=f"{row['document_id']}:{row['seq']}",
            document_id=row["document_id"],
            document_name=names.get(row["document_id"], row["document_id"]),
            text=row["text"],
            anchor=Anchor(
                page=row["page"],
                section=row["section"],
                char_start=row["char_start"],
                char_end=row["char_end"],
            ),
            score=score,
        )

    def _names(self, db: sqlite3.Connection, doc_ids: Sequence[str]) -> dict[str, str]:
        marks = ",".join("?" * len(doc_ids))
        rows = db.execute(f"SELECT id, name FROM documents WHERE id IN ({marks})", list(doc_ids))
        return {r["id"]: r["name"] for r in rows}

    def passages(self, doc_id: str, *, limit: int | None = None) -> list[Passage]:
        """The document's chunks in order."""
        with self._connect() as db:
            names = self._names(db, [doc_id])
            rows = db.execute(
                "SELECT * FROM chunks WHERE document_id=? ORDER BY seq LIMIT ?",
                (doc_id, limit if limit is not None else -1),
            ).fetchall()
        return [self._passage(r, names) for r in rows]

    def passage(self, passage_id: str) -> Passage | None:
        doc_id, _, seq = passage_id.rpartition(":")
        with self._connect() as db:
            names = self._names(db, [doc_id])
            row = db.execute(
                "SELECT * FROM chunks WHERE document_id=? AND seq=?", (doc_id, int(seq or -1))
            ).fetchone()
        return self._passage(row, names) if row else None

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
            """SELECT c.*, -best.rank AS score FROM (
                    SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS rank FROM chunks_fts
                    WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?
                ) AS best JOIN chunks c ON c.rowid = best.rowid ORDER BY best.rank""",
            [expression, top_k * OVERFETCH],
        ).fetchall()
        kept = [r for r in candidates if r["document_id"] in wanted][:top_k]
        if len(kept) == top_k or len(candidates) < top_k * OVERFETCH:
            return kept
        marks = ",".join("?" * len(doc_ids))
        return db.execute(
            f"""SELECT c.*, -bm25(chunks_fts, 1.0, 0.5) AS score FROM chunks_fts
                JOIN chunks c ON c.rowid = chunks_fts.rowid
                WHERE chunks_fts MATCH ? AND c.document_id IN ({marks})
                ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?""",
            [expression, *doc_ids, top_k],
        ).fetchall()

    def search(
        self, query: str, doc_ids: Sequence[str], *, top_k: int = 5, broaden: int = 0
    ) -> list[Passage]:
        """BM25-ranked passages of ``doc_ids`` matching ``query`` (best first, score > 0).

        ``broaden`` widens the match: 0 exact terms, 1 also prefixes; >= 2 also returns the
        opening passages of documents nothing matched in (at most ``top_k`` of them, so the
        result stays small however many documents are searched).
        """
        if not doc_ids:
            return []
        terms = query_terms(query)
        found: list[Passage] = []
        with self._connect() as db:
            names = self._names(db, doc_ids)
            if terms:
                rows = self._ranked(db, _fts_expression(terms, broaden), doc_ids, top_k)
                found = [self._passage(r, names, float(r["score"])) for r in rows]
            if broaden >= 2:
                covered = {p.document_id for p in found}
                uncovered = [d for d in doc_ids if d not in covered][:top_k]
                for doc_id in uncovered:
                    row = db.execute(
                        "SELECT * FROM chunks WHERE document_id=? ORDER BY seq LIMIT 1",
                        (doc_id,),
                    ).fetchone()
                    if row:
                        found.append(self._passage(row, names, 0.0))
        return found
