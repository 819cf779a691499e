"""What only the PostgreSQL backend has: opening by URL, clear failures (unreachable server,
a schema from a newer docorch), versioned migrations, and search that prunes (MaxScore) yet
ranks exactly as scoring every matching chunk would."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
import pytest

from activities.documents.ingestion import ingest_parsed
from bench.documents import synthetic_corpus
from models.settings import Settings
from store import IncompatibleStore, StoreUnavailable, open_store
from store.postgres import open_postgres
from store.postgres.schema import LATEST, MIGRATIONS
from store.search import match_terms
from store.urls import parse_store_url
from tests.postgres import PostgresCluster, free_port
from tests.store.helpers import CONTRACT

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def url(postgres_cluster: PostgresCluster) -> str:
    """A fresh empty database."""
    return postgres_cluster.create_database("pg")


def test_postgresql_urls_open_the_postgresql_store(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for form in ("postgresql://u:pw@db.example/docorch", "postgres://db.example:5433/d"):
        location = parse_store_url(form, data_dir=Settings().data_dir)
        assert (location.scheme, location.target) == ("postgresql", form)
    monkeypatch.setenv("DOCORCH_STORE_URL", url)
    opened = open_store(Settings())
    assert opened.backend == "postgresql" and opened.url == url
    assert open_store(Settings()) is opened, "one store per URL and process"


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://docorch:s3cret@127.0.0.1:{free_port()}/docorch"
    with pytest.raises(StoreUnavailable) as refused:
        open_store(url)
    message = str(refused.value)
    assert "s3cret" not in message
    assert message.startswith(f"postgresql://docorch:***@127.0.0.1:{url.rsplit(':', 1)[1]}")
    assert "cannot open the PostgreSQL store" in message and "\n" not in message


def test_a_missing_database_is_a_clear_error(postgres_cluster: PostgresCluster) -> None:
    with pytest.raises(StoreUnavailable, match='database "no_such_db" does not exist'):
        open_postgres(postgres_cluster.url("no_such_db"))


def test_the_schema_is_created_once_and_versioned(url: str) -> None:
    first = open_postgres(url)
    again = open_postgres(url)
    try:
        with psycopg.connect(url) as db:
            versions = db.execute("SELECT version FROM docorch.migrations").fetchall()
        assert versions == [(v,) for v in range(1, LATEST + 1)]
        assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1))
        assert again.documents.stats().documents == 0
    finally:
        first.close()
        again.close()


def test_a_version_1_store_is_migrated_and_keeps_its_documents(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store.postgres.database.MIGRATIONS", MIGRATIONS[:1])
    monkeypatch.setattr("store.postgres.database.LATEST", 1)
    old = open_postgres(url)
    old.documents.put_document(CONTRACT)
    old.close()
    monkeypatch.undo()
    store = open_postgres(url)
    try:
        with psycopg.connect(url) as db:
            versions = db.execute("SELECT version FROM docorch.migrations ORDER BY 1").fetchall()
        assert versions == [(v,) for v in range(1, LATEST + 1)]
        assert store.documents.get(CONTRACT.id) is not None
        store.documents.put_vectors(CONTRACT.id, "m", {0: b"\x01"})
        assert store.documents.vectors([CONTRACT.id], "m") == {f"{CONTRACT.id}:0": b"\x01"}
    finally:
        store.close()


def test_a_schema_written_by_a_newer_docorch_is_refused(url: str) -> None:
    open_postgres(url).close()
    with psycopg.connect(url) as db:
        db.execute("INSERT INTO docorch.migrations (version, description) VALUES (99, 'future')")
    with pytest.raises(IncompatibleStore, match="schema version 99 was written by a newer"):
        open_postgres(url)


# ---- search: pruning is exact -------------------------------------------------------------------

EXHAUSTIVE = """
WITH s AS MATERIALIZED (SELECT chunks::float8 AS n, tokens / chunks AS avgdl FROM docorch.corpus),
terms AS MATERIALIZED (
    SELECT row_number() OVER () AS term,
           (quote_literal(t.lexeme) || CASE WHEN t.prefix THEN ':*' ELSE '' END)::tsquery AS q
      FROM (SELECT DISTINCT u.lexeme, w.prefix
              FROM unnest(%(words)s::text[], %(prefixes)s::boolean[]) AS w(word, prefix),
                   unnest(to_tsvector('docorch.search', w.word)) AS u) AS t
), scored AS MATERIALIZED (
    SELECT t.term, t.q,
           greatest(ln((s.n - count(c.id) + 0.5) / (count(c.id) + 0.5)), 1e-6) AS idf
      FROM terms t CROSS JOIN s LEFT JOIN docorch.chunks c ON c.tsv @@ t.q
     GROUP BY t.term, t.q, s.n
)
SELECT c.document_id || ':' || c.seq AS id,
       sum(sc.idf * f.tf * 2.2 / (f.tf + 1.2 * (0.25 + 0.75 * c.length / s.avgdl))) AS score
  FROM docorch.chunks c CROSS JOIN s CROSS JOIN scored sc
  CROSS JOIN LATERAL (SELECT ts_rank_cd('{1,1,1,0.5}', c.tsv, sc.q) AS tf) AS f
 WHERE f.tf > 0 AND c.document_id = ANY(%(ids)s)
 GROUP BY c.id, c.document_id, c.seq
 ORDER BY score DESC, c.id
 LIMIT %(k)s
"""
"""BM25 of every matching chunk, document frequencies counted on the spot: the oracle."""


@pytest.fixture(scope="module")
def synthetic(
    postgres_cluster: PostgresCluster,
) -> Iterator[tuple[str, list[str], list[str]]]:
    """3,000 synthetic chunks in a PostgreSQL store: (url, document ids, its vocabulary)."""
    url = postgres_cluster.create_database("synthetic")
    store = open_postgres(url)
    corpus = synthetic_corpus(3_000, seed=3)
    ids = [
        ingest_parsed(store.documents, Path(name), parsed.text.encode(), parsed).id
        for name, parsed in corpus.documents
    ]
    yield url, ids, corpus.words
    store.close()


def _assert_same_ranking(
    found: Sequence[tuple[str, float]], expected: Sequence[tuple[str, float]]
) -> None:
    """Same scores in the same order, and the same chunks above the last score (chunks tied
    with it may differ: their scores are equal up to the order floats were added in)."""
    assert [round(s, 9) for _, s in found] == [round(s, 9) for _, s in expected]
    last = round(expected[-1][1], 9) if expected else None
    assert [i for i, s in found if round(s, 9) != last] == [
        i for i, s in expected if round(s, 9) != last
    ]


@pytest.mark.parametrize("broaden", [0, 1])
def test_pruned_search_ranks_exactly_as_scoring_every_match(
    synthetic: tuple[str, list[str], list[str]], broaden: int
) -> None:
    url, ids, words = synthetic
    store = open_postgres(url)
    rng = random.Random(broaden)
    try:
        with psycopg.connect(url, options="-c jit=off") as db:
            for _ in range(40):
                # common and rare words mixed, so pruning has something to skip
                query = " ".join(rng.sample(words[:3] + words[20:600], rng.randint(1, 4)))
                searched = rng.sample(ids, rng.randint(1, len(ids)))
                terms = match_terms(query, broaden)
                expected = db.execute(
                    EXHAUSTIVE,
                    {
                        "words": [t.text for t in terms],
                        "prefixes": [t.prefix for t in terms],
                        "ids": searched,
                        "k": 5,
                    },
                ).fetchall()
                found = store.documents.search(query, searched, top_k=5, broaden=broaden)
                _assert_same_ranking([(p.id, p.score) for p in found], expected)
    finally:
        store.close()


def test_a_worker_that_cannot_reach_the_store_stops_with_one_clear_line() -> None:
    url = f"postgresql://docorch:s3cret@127.0.0.1:{free_port()}/docorch"
    done = subprocess.run(
        [sys.executable, "-m", "worker"],
        cwd=REPO,
        env={**os.environ, "DOCORCH_STORE_URL": url, "TEMPORAL_ADDRESS": "127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("docorch worker: postgresql://docorch:***@127.0.0.1:")
    )
