"""The answer-quality evaluation (``make eval``): questions with gold answers over public
documents, run through docorch offline and beside a plain BM25 baseline."""
