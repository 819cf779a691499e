"""The PostgreSQL document store: content bytes in parts, documents, chunks with a ``tsvector``
(GIN-indexed) and BM25 search in the database (``docorch.search``, see ``schema``).

Same bytes, same id. A put inserts its key first (``ON CONFLICT DO NOTHING``): a concurrent put
of the same key waits for the first one's transaction and then finds it, so two workers putting
the same bytes or document leave one copy and exactly one reports ``created``. Ingestion adds to
the BM25 statistics (``docorch.lexemes``, then ``docorch.corpus``) in a fixed order (lexemes
sorted), so concurrent ingestions queue there instead of deadlocking.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from psycopg.types.json import Jsonb

from models.documents import DocumentRef, Passage, StoreStats, Table
from store.base import ContentRef, DocumentPut, DocumentRecord
from store.content import PART_BYTES, parts, spool
from store.postgres.database import Connection, Database
from store.postgres.schema import TEXT_SEARCH
from store.rows import document_ref, passage, passage_parts
from store.search import match_terms, uncovered_documents

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
"""An upload up to this size is hashed in memory; a larger one in a temporary file."""
_HEX = re.compile(r"[0-9a-f]+")

_INSERT_CHUNKS = f"""
INSERT INTO docorch.chunks
    (document_id, seq, text, page, section, char_start, char_end, length, tsv)
SELECT %(id)s, s.seq, s.text, s.page, s.section, s.char_start, s.char_end, s.length,
       setweight(to_tsvector('{TEXT_SEARCH}', s.text), 'D')
       || setweight(to_tsvector('{TEXT_SEARCH}', coalesce(s.section, '')), 'A')
  FROM unnest(%(seq)s::integer[], %(text)s::text[], %(page)s::integer[], %(section)s::text[],
              %(start)s::integer[], %(end)s::integer[], %(length)s::real[])
       AS s(seq, text, page, section, char_start, char_end, length)
"""
_WORDS = re.compile(r"\w+")
"""A chunk's length for BM25 is its words (text and heading), counted here rather than in the
database (counting the tsvector's positions there cost twice building it)."""
_ADD_LEXEMES = """
INSERT INTO docorch.lexemes AS l (lexeme, df, max_tf)
SELECT word, ndoc, nentry
  FROM ts_stat(format('SELECT tsv FROM docorch.chunks WHERE document_id = %%L', %s::text))
 ORDER BY word COLLATE "C"
    ON CONFLICT (lexeme)
    DO UPDATE SET df = l.df + excluded.df, max_tf = greatest(l.max_tf, excluded.max_tf)
"""
"""A document's share of the BM25 statistics: per lexeme the chunks containing it, and its
occurrences in the whole document, an upper bound of its frequency in any one chunk (exact for
the rare words that matter to the search's pruning; ``ts_stat`` is several times faster than
taking the chunks' tsvectors apart). Sorted, so concurrent ingestions lock in one order."""
_ADD_TO_CORPUS = """
UPDATE docorch.corpus AS k
   SET chunks = k.chunks + n.chunks, tokens = k.tokens + n.tokens,
       min_length = least(k.min_length, n.shortest)
  FROM (SELECT count(*) AS chunks, coalesce(sum(length), 0) AS tokens, min(length) AS shortest
          FROM docorch.chunks WHERE document_id = %s) AS n
"""
_SEARCH = """
SELECT c.document_id, c.seq, c.text, c.page, c.section, c.char_start, c.char_end, d.name,
       r.score
  FROM docorch.search(%s, %s, %s, %s) AS r
  JOIN docorch.chunks c ON c.id = r.chunk
  JOIN docorch.documents d ON d.id = c.document_id
 ORDER BY r.score DESC, c.id
"""


class PostgresDocuments:
    """``store.base.DocumentStore`` in PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- content ---------------------------------------------------------------------------

    def put_content(self, data: bytes) -> ContentRef:
        return self.put_content_stream([data], max_bytes=len(data))

    def put_content_stream(self, chunks: Iterable[bytes], *, max_bytes: int) -> ContentRef:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as upload:
            spooled = spool(chunks, upload, max_bytes=max_bytes)  # type: ignore[arg-type]
            if self.content_size(spooled.id) is not None:  # kept already: not sent again
                return ContentRef(spooled.id, spooled.size_bytes, created=False)
            with self.db.transaction() as db:
                inserted = db.execute(
                    "INSERT INTO docorch.content (id, size_bytes, parts) VALUES (%s, %s, %s) "
                    "ON CONFLICT (id) DO NOTHING",
                    (spooled.id, spooled.size_bytes, -(-spooled.size_bytes // PART_BYTES)),
                ).rowcount
                if inserted:
                    with db.cursor() as cursor:
                        for seq, part in enumerate(parts(upload)):  # type: ignore[arg-type]
                            cursor.execute(
                                "INSERT INTO docorch.content_parts (content_id, seq, data) "
                                "VALUES (%s, %s, %s)",
                                (spooled.id, seq, part),
                            )
        return ContentRef(spooled.id, spooled.size_bytes, created=bool(inserted))

    def read_content(self, content_id: str) -> bytes | None:
        if not _HEX.fullmatch(content_id):
            return None
        with self.db.connection() as db:
            rows = db.execute(
                "SELECT c.parts, p.data FROM docorch.content c "
                "LEFT JOIN docorch.content_parts p ON p.content_id = c.id "
                "WHERE c.id = %s ORDER BY p.seq",
                (content_id,),
            ).fetchall()
        if not rows:
            return None
        return b"".join(bytes(r["data"]) for r in rows if r["data"] is not None)

    def content_size(self, content_id: str) -> int | None:
        with self.db.connection() as db:
            row = db.execute(
                "SELECT size_bytes FROM docorch.content WHERE id = %s", (content_id,)
            ).fetchone()
        return int(row["size_bytes"]) if row else None

    # ---- documents -------------------------------------------------------------------------

    def put_document(self, record: DocumentRecord) -> DocumentPut:
        with self.db.transaction() as db:
            inserted = db.execute(
                "INSERT INTO docorch.documents (id, name, source, format, title, pages, "
                "size_bytes, chunks, warnings, tables, text) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO NOTHING",
                (
                    record.id,
                    record.name,
                    record.source,
                    record.format,
                    record.title,
                    record.pages,
                    record.size_bytes,
                    len(record.chunks),
                    Jsonb(list(record.warnings)),
                    Jsonb([t.model_dump() for t in record.tables]),
                    record.text,
                ),
            ).rowcount
            if inserted:
                self._index(db, record)
            row = db.execute(
                "SELECT * FROM docorch.documents WHERE id = %s", (record.id,)
            ).fetchone()
        assert row is not None, "inserted or found in the same transaction"
        return DocumentPut(document=document_ref(row), created=bool(inserted))

    @staticmethod
    def _index(db: Connection, record: DocumentRecord) -> None:
        """The record's chunks, then its share of the BM25 statistics."""
        chunks = record.chunks
        db.execute(
            _INSERT_CHUNKS,
            {
                "id": record.id,
                "seq": [c.seq for c in chunks],
                "text": [c.text for c in chunks],
                "page": [c.anchor.page for c in chunks],
                "section": [c.anchor.section for c in chunks],
                "start": [c.anchor.char_start for c in chunks],
                "end": [c.anchor.char_end for c in chunks],
                "length": [
                    len(_WORDS.findall(c.text)) + len(_WORDS.findall(c.anchor.section or ""))
                    for c in chunks
                ],
            },
        )
        db.execute(_ADD_LEXEMES, (record.id,))
        db.execute(_ADD_TO_CORPUS, (record.id,))

    def _one(self, sql: str, *params: Any) -> DocumentRef | None:
        with self.db.connection() as db:
            row = db.execute(sql, params).fetchone()
        return document_ref(row) if row else None

    def get(self, doc_id: str) -> DocumentRef | None:
        return self._one("SELECT * FROM docorch.documents WHERE id = %s", doc_id)

    def find(self, id_or_name: str) -> DocumentRef | None:
        found = self.get(id_or_name)
        if found is None and len(id_or_name) >= 6 and _HEX.fullmatch(id_or_name):
            with self.db.connection() as db:
                rows = db.execute(
                    "SELECT * FROM docorch.documents WHERE id LIKE %s LIMIT 2",
                    (id_or_name + "%",),
                ).fetchall()
            found = document_ref(rows[0]) if len(rows) == 1 else None
        if found is None:
            found = self._one(
                "SELECT * FROM docorch.documents WHERE name = %s ORDER BY ordinal DESC LIMIT 1",
                id_or_name,
            )
        return found

    def list_documents(self) -> list[DocumentRef]:
        with self.db.connection() as db:
            rows = db.execute(
                "SELECT id, name, format, title, pages, size_bytes, chunks "
                "FROM docorch.documents ORDER BY ordinal"
            ).fetchall()
        return [document_ref(r) for r in rows]

    def _column(self, doc_id: str, column: str) -> Any:
        with self.db.connection() as db:
            row = db.execute(
                f"SELECT {column} AS value FROM docorch.documents WHERE id = %s",
                (doc_id,),
            ).fetchone()
        return row["value"] if row else None

    def text(self, doc_id: str) -> str | None:
        value = self._column(doc_id, "text")
        return str(value) if value is not None else None

    def warnings(self, doc_id: str) -> list[str]:
        return [str(w) for w in self._column(doc_id, "warnings") or []]

    def tables(self, doc_id: str) -> list[Table]:
        return [Table.model_validate(t) for t in self._column(doc_id, "tables") or []]

    def put_vectors(self, doc_id: str, model: str, vectors: Mapping[int, bytes]) -> None:
        ordered = sorted(vectors.items())
        with self.db.connection() as db:
            db.execute(
                "INSERT INTO docorch.chunk_vectors (document_id, model, seq, vector) "
                "SELECT %s, %s, v.seq, v.vector "
                "  FROM unnest(%s::integer[], %s::bytea[]) AS v(seq, vector) "
                "  JOIN docorch.chunks c ON c.document_id = %s AND c.seq = v.seq "
                "ON CONFLICT DO NOTHING",
                (doc_id, model, [q for q, _ in ordered], [v for _, v in ordered], doc_id),
            )

    def vectors(self, doc_ids: Sequence[str], model: str) -> dict[str, bytes]:
        if not doc_ids:
            return {}
        with self.db.connection() as db:
            rows = db.execute(
                "SELECT document_id, seq, vector FROM docorch.chunk_vectors "
                "WHERE model = %s AND document_id = ANY(%s)",
                (model, list(doc_ids)),
            ).fetchall()
        return {f"{r['document_id']}:{r['seq']}": bytes(r["vector"]) for r in rows}

    def stats(self) -> StoreStats:
        with self.db.connection() as db:
            row = db.execute(
                "SELECT (SELECT count(*) FROM docorch.documents) AS documents, "
                "(SELECT chunks FROM docorch.corpus) AS chunks"
            ).fetchone()
        assert row is not None
        return StoreStats(
            documents=int(row["documents"]),
            chunks=int(row["chunks"]),
            index_bytes=self.db.size_bytes("documents", "chunks", "lexemes", "chunk_vectors"),
        )

    # ---- passages --------------------------------------------------------------------------

    def passages(self, doc_id: str, *, limit: int | None = None) -> list[Passage]:
        with self.db.connection() as db:
            rows = db.execute(
                "SELECT c.*, d.name FROM docorch.chunks c "
                "JOIN docorch.documents d ON d.id = c.document_id "
                "WHERE c.document_id = %s ORDER BY c.seq LIMIT %s",
                (doc_id, limit),
            ).fetchall()
        return [passage(r, {doc_id: r["name"]}) for r in rows]

    def passage(self, passage_id: str) -> Passage | None:
        parts_ = passage_parts(passage_id)
        if parts_ is None:
            return None
        with self.db.connection() as db:
            row = db.execute(
                "SELECT c.*, d.name FROM docorch.chunks c "
                "JOIN docorch.documents d ON d.id = c.document_id "
                "WHERE c.document_id = %s AND c.seq = %s",
                parts_,
            ).fetchone()
        return passage(row, {row["document_id"]: row["name"]}) if row else None

    def search(
        self, query: str, doc_ids: Sequence[str], *, top_k: int = 5, broaden: int = 0
    ) -> list[Passage]:
        if not doc_ids:
            return []
        terms = match_terms(query, broaden)
        found: list[Passage] = []
        with self.db.connection() as db:
            if terms:
                rows = db.execute(
                    _SEARCH,
                    (
                        [t.text for t in terms],
                        [t.prefix for t in terms],
                        list(doc_ids),
                        top_k,
                    ),
                ).fetchall()
                found = [passage(r, {r["document_id"]: r["name"]}, r["score"]) for r in rows]
            uncovered = uncovered_documents(
                (p.document_id for p in found), doc_ids, top_k=top_k, broaden=broaden
            )
            if uncovered:
                rows = db.execute(
                    "SELECT DISTINCT ON (c.document_id) c.*, d.name FROM docorch.chunks c "
                    "JOIN docorch.documents d ON d.id = c.document_id "
                    "WHERE c.document_id = ANY(%s) ORDER BY c.document_id, c.seq",
                    (uncovered,),
                ).fetchall()
                openings = {r["document_id"]: r for r in rows}
                found += [
                    passage(openings[d], {d: openings[d]["name"]})
                    for d in uncovered
                    if d in openings
                ]
        return found
