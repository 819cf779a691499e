"""The PostgreSQL store's schema, as numbered migrations applied in order on first use.

Everything lives in the schema ``docorch`` (so the store may share a database); applied
versions are rows of ``docorch.migrations``. A migration is never edited once released: a
change is a new one appended to MIGRATIONS.

Search (the ``docorch.search`` function) ranks with the same BM25 as the embedded store's
FTS5: k1 = 1.2, b = 0.75, idf = ln((N - n + 0.5) / (n + 0.5)) (at least 1e-6), the section
heading's words counting half the text's, N, n and the average length over the whole index.
Term frequencies come from ``ts_rank_cd`` with one query term (the sum of its occurrences'
weights: text D = 1, heading A = 0.5); document frequencies, and a bound of each lexeme's
term frequency in any chunk, are kept in ``docorch.lexemes`` at ingestion.

Only chunks that can still reach the top k are scored. First every chunk matching two terms or
more (GIN answers the OR of the term pairs), in full; the k-th best of them sets the bar. The
chunks left match one term each, and score at most that term's bound (its idf at its largest
term frequency in the shortest chunk): they are scanned term by term, highest bound first,
while the bound can pass the bar. The result is exactly BM25's top k
(tests/store/test_postgres.py checks it against scoring every matching chunk).
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA = "docorch"
TEXT_SEARCH = "docorch.search"
"""The text search configuration: PostgreSQL's English parser and Snowball stemmer, without
stopwords (the query side removes docorch's own, ``store.search.STOPWORDS``)."""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: ``version`` (1, 2, ...) and the SQL that takes the schema there."""

    version: int
    description: str
    sql: str


_TABLES = """
CREATE TEXT SEARCH DICTIONARY docorch.english_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION docorch.search (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION docorch.search
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH docorch.english_stem;

CREATE TABLE docorch.content (
    id text COLLATE "C" PRIMARY KEY,
    size_bytes bigint NOT NULL,
    parts integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE docorch.content_parts (
    content_id text COLLATE "C" NOT NULL REFERENCES docorch.content (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (content_id, seq)
);
-- documents arrive compressed (PDF, DOCX) more often than not: no second compression
ALTER TABLE docorch.content_parts ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE docorch.documents (
    id text COLLATE "C" PRIMARY KEY,
    ordinal bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    name text NOT NULL,
    source text,
    format text NOT NULL,
    title text,
    pages integer,
    size_bytes bigint NOT NULL,
    chunks integer NOT NULL,
    warnings jsonb NOT NULL,
    tables jsonb NOT NULL,
    text text NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX documents_name ON docorch.documents (name, ordinal);

CREATE TABLE docorch.chunks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id text COLLATE "C" NOT NULL REFERENCES docorch.documents (id),
    seq integer NOT NULL,
    text text NOT NULL,
    page integer,
    section text,
    char_start integer NOT NULL,
    char_end integer NOT NULL,
    length real NOT NULL,
    tsv tsvector NOT NULL,
    UNIQUE (document_id, seq)
);
-- a small pending list: ingestion adds entries in batches, a search scans at most 256 kB of them
CREATE INDEX chunks_tsv ON docorch.chunks USING gin (tsv)
    WITH (fastupdate = on, gin_pending_list_limit = 256);

CREATE TABLE docorch.lexemes (
    lexeme text COLLATE "C" PRIMARY KEY,
    df integer NOT NULL,
    max_tf real NOT NULL
);
CREATE TABLE docorch.corpus (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    chunks bigint NOT NULL,
    tokens double precision NOT NULL,
    min_length real
);
INSERT INTO docorch.corpus (chunks, tokens) VALUES (0, 0);

CREATE TABLE docorch.tool_calls (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tool text NOT NULL,
    ok boolean NOT NULL,
    ms double precision NOT NULL,
    at double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp())
);
CREATE INDEX tool_calls_tool ON docorch.tool_calls (tool, id);

CREATE TABLE docorch.llm_budgets (
    query text PRIMARY KEY,
    max_tokens integer NOT NULL,
    at double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp())
);
CREATE TABLE docorch.llm_calls (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    query text NOT NULL,
    activity_id text NOT NULL,
    attempt integer NOT NULL,
    purpose text NOT NULL,
    model text NOT NULL,
    reserved integer NOT NULL,
    prompt_tokens integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    cost_usd double precision NOT NULL DEFAULT 0,
    at double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp())
);
CREATE INDEX llm_calls_query ON docorch.llm_calls (query);
CREATE INDEX llm_calls_at ON docorch.llm_calls (at);
"""

_SEARCH = """
CREATE FUNCTION docorch.search(words text[], prefixes boolean[], doc_ids text[], top_k integer)
RETURNS TABLE (chunk bigint, score double precision)
LANGUAGE plpgsql STABLE
-- JIT-compiling these short queries takes far longer than running them
SET jit = off
AS $search$
DECLARE
    k1 CONSTANT double precision := 1.2;
    b CONSTANT double precision := 0.75;
    weights CONSTANT real[] := '{1, 1, 1, 0.5}';
    total double precision;
    avgdl double precision;
    shortest_k double precision;
    searched double precision;
    queries tsquery[];
    idfs double precision[];
    bounds double precision[];
    pairs tsquery;
    documents text;
    best_ids bigint[];
    best_scores double precision[];
BEGIN
    SELECT c.chunks, c.tokens / greatest(c.chunks, 1), c.min_length
      INTO total, avgdl, shortest_k FROM docorch.corpus c;
    IF total = 0 THEN
        RETURN;
    END IF;
    -- the smallest length normalisation any chunk has: K = k1 * (1 - b + b * length / avgdl)
    shortest_k := k1 * (1 - b + b * shortest_k / avgdl);

    -- one term per lexeme of the words (a prefix word: any lexeme starting with it), with its
    -- idf and the most one chunk can score on it, highest first
    SELECT array_agg(s.query ORDER BY s.bound DESC, s.lexeme),
           array_agg(s.idf ORDER BY s.bound DESC, s.lexeme),
           array_agg(s.bound ORDER BY s.bound DESC, s.lexeme)
      INTO queries, idfs, bounds
      FROM (
        SELECT x.lexeme, x.query, x.idf,
               x.idf * (k1 + 1) * CASE WHEN x.max_tf IS NULL THEN 1
                                       ELSE 1 - shortest_k / (x.max_tf + shortest_k) END AS bound
          FROM (
            SELECT f.lexeme, f.query, f.max_tf,
                   greatest(ln((total - f.df + 0.5) / (f.df + 0.5)), 1e-6) AS idf
              FROM (
                -- an index look-up per term (a join may read the whole table instead)
                SELECT t.lexeme, t.query,
                       CASE WHEN t.prefix
                            THEN (SELECT count(*) FROM docorch.chunks c WHERE c.tsv @@ t.query)
                            ELSE (SELECT l.df FROM docorch.lexemes l WHERE l.lexeme = t.lexeme)
                       END AS df,
                       CASE WHEN NOT t.prefix
                            THEN (SELECT l.max_tf FROM docorch.lexemes l
                                   WHERE l.lexeme = t.lexeme)
                       END AS max_tf
                  FROM (
                    SELECT DISTINCT u.lexeme, w.prefix,
                           (quote_literal(u.lexeme)
                            || CASE WHEN w.prefix THEN ':*' ELSE '' END)::tsquery AS query
                      FROM unnest(words, prefixes) AS w(word, prefix),
                           unnest(to_tsvector('docorch.search', w.word)) AS u
                  ) t
              ) f
             WHERE f.df > 0
          ) x
      ) s;
    IF queries IS NULL THEN
        RETURN;
    END IF;

    -- the documents searched: all of them (no condition), or a condition the planner may answer
    -- through the document index (few documents) or by filtering the term's matches (many)
    SELECT coalesce(sum(d.chunks), 0) INTO searched
      FROM docorch.documents d WHERE d.id = ANY(doc_ids);
    documents := CASE WHEN searched >= total THEN '' ELSE 'AND c.document_id = ANY($7)' END;

    -- 1. every chunk matching two terms or more, scored in full: the top k of them set the bar
    SELECT string_agg(format('(%s & %s)', queries[i], queries[j]), ' | ')::tsquery INTO pairs
      FROM generate_subscripts(queries, 1) AS i, generate_subscripts(queries, 1) AS j
     WHERE i < j;
    IF pairs IS NOT NULL THEN
        EXECUTE format($rank$
            SELECT array_agg(id ORDER BY s DESC, id), array_agg(s ORDER BY s DESC, id) FROM (
                SELECT c.id, %s AS s FROM docorch.chunks c
                 WHERE c.tsv @@ $1 %s ORDER BY s DESC, c.id LIMIT $8) AS top
            $rank$,
            (SELECT format('%s * (%s)', k1 + 1, string_agg(format(
                 '$2[%s] * (1 - (%s * (%s + %s * c.length / $5)) / '
                 '(ts_rank_cd($6, c.tsv, $3[%s]) + %s * (%s + %s * c.length / $5)))',
                 i, k1, 1 - b, b, i, k1, 1 - b, b), ' + '))
               FROM generate_subscripts(queries, 1) AS i),
            documents)
          INTO best_ids, best_scores
          USING pairs, idfs, queries, NULL::bigint[], avgdl, weights, doc_ids, top_k;
    END IF;

    -- 2. chunks matching one term only score at most its bound: scanned term by term, highest
    -- bound first, while the bound can still pass the k-th best score
    FOR i IN 1 .. cardinality(queries) LOOP
        EXIT WHEN coalesce(cardinality(best_scores), 0) >= top_k
              AND bounds[i] <= best_scores[top_k];
        EXECUTE format($rank$
            SELECT array_agg(id ORDER BY s DESC, id), array_agg(s ORDER BY s DESC, id) FROM (
                SELECT id, s FROM unnest($4, $9) AS b(id, s)
                UNION ALL
                (SELECT c.id, %s * $2[%s] * (1 - (%s * (%s + %s * c.length / $5)) /
                        (ts_rank_cd($6, c.tsv, $3[%s]) + %s * (%s + %s * c.length / $5))) AS s
                   FROM docorch.chunks c
                  WHERE c.tsv @@ $3[%s] %s %s
                  ORDER BY s DESC, c.id LIMIT $8)
                ORDER BY s DESC, id LIMIT $8
            ) AS top
            $rank$, k1 + 1, i, k1, 1 - b, b, i, k1, 1 - b, b, i, documents,
            CASE WHEN pairs IS NULL THEN '' ELSE 'AND NOT c.tsv @@ $1' END)
          INTO best_ids, best_scores
          USING pairs, idfs, queries, coalesce(best_ids, '{}'), avgdl, weights, doc_ids,
                top_k, coalesce(best_scores, '{}');
    END LOOP;
    RETURN QUERY SELECT * FROM unnest(best_ids, best_scores);
END
$search$;
"""

_CALL_KEYS = """
ALTER TABLE docorch.tool_calls ADD COLUMN call_key text;
CREATE UNIQUE INDEX tool_calls_key ON docorch.tool_calls (call_key);
"""

_VECTORS = """
CREATE TABLE docorch.chunk_vectors (
    document_id text COLLATE "C" NOT NULL REFERENCES docorch.documents (id),
    model text NOT NULL,
    seq integer NOT NULL,
    vector bytea NOT NULL,
    PRIMARY KEY (document_id, model, seq)
);
-- float32 vectors do not compress
ALTER TABLE docorch.chunk_vectors ALTER COLUMN vector SET STORAGE EXTERNAL;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "documents, chunks and BM25 search; tool figures; LLM ledger", _TABLES + _SEARCH),
    Migration(
        2, "tool calls carry their idempotency key: a retried call is recorded once", _CALL_KEYS
    ),
    Migration(3, "chunk embedding vectors (the semantic extra)", _VECTORS),
)
LATEST = MIGRATIONS[-1].version
