"""A stored document's text with its chunks, so a tool can cite any span of it exactly.

Citations made here quote ``text[start:end]`` of the stored text and take page and section from
the chunk the span starts in — the guarantee every citation keeps.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property

from activities.context import current
from activities.errors import DocumentNotFound
from activities.tools.text import Sentence, sentences
from models.documents import Anchor, Citation, DocumentRef, Passage


@dataclass
class DocumentText:
    document: DocumentRef
    text: str
    passages: list[Passage]
    _starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._starts = [p.anchor.char_start for p in self.passages]

    @classmethod
    def load(cls, document: DocumentRef) -> DocumentText:
        """The stored text and chunks of ``document`` (DocumentNotFound when not ingested)."""
        store = current().store
        text = store.text(document.id)
        if text is None:
            raise DocumentNotFound(f"document {document.id}: not in the store; ingest it first")
        return cls(document, text, store.passages(document.id))

    def passage_at(self, offset: int) -> Passage | None:
        index = bisect.bisect_right(self._starts, offset) - 1
        if index >= 0 and offset < self.passages[index].anchor.char_end:
            return self.passages[index]
        return None

    def citation(self, start: int, end: int) -> Citation | None:
        """A citation of ``text[start:end]``, trimmed of surrounding whitespace; None when the
        span is empty or outside every chunk."""
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        passage = self.passage_at(start)
        if passage is None or start == end:
            return None
        anchor = Anchor(
            page=passage.anchor.page, section=passage.anchor.section, char_start=start, char_end=end
        )
        return Citation(
            passage_id=passage.id,
            document_id=self.document.id,
            document_name=self.document.name,
            anchor=anchor,
            quote=self.text[start:end],
        )

    @cached_property
    def sentences(self) -> list[Sentence]:
        return [s for p in self.passages for s in sentences(p)]

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def sentence_at(self, offset: int) -> Sentence | None:
        index = bisect.bisect_right(self._sentence_starts, offset) - 1
        if index >= 0 and offset < self.sentences[index].end:
            return self.sentences[index]
        return None

    def line_around(self, start: int, end: int) -> tuple[int, int]:
        """The whole line(s) holding ``text[start:end]``."""
        line_start = self.text.rfind("\n", 0, start) + 1
        line_end = self.text.find("\n", end)
        return line_start, len(self.text) if line_end < 0 else line_end
