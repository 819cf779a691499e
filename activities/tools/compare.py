"""compare_documents: align two documents by section; report what differs and what only one has.

1. Sections are aligned by heading similarity (numbering ignored), then leftovers by content.
2. Within aligned sections, sentences are paired by their words (numbers ignored), so "fee of
   EUR 12,000" pairs with "fee of EUR 15,500".
3. Paired sentences are diffed token by token; a change is widened to the entity it falls in
   (a date, an amount, a duration, a party), so the difference reads "1 March 2025 → 1 June
   2025", not "March → June".
Every difference cites its sentence on both sides; sentences and sections only one document has
are reported with their citation.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass

from activities.llm.grounded import rewrite_answer_sync
from activities.tools.alignment import Section, align_sections, document_sections, pair_sentences
from activities.tools.anchoring import DocumentText
from activities.tools.entities import requested_kinds
from activities.tools.entity_patterns import EntityKind, find_entities
from activities.tools.results import Comparison, Difference, OneSided, SectionPair
from activities.tools.text import Sentence, stems
from models.documents import Citation, DocumentRef, Passage

SHOWN_DIFFERENCES = 20
SHOWN_ONE_SIDED = 8
MAX_DIFFERENCES = 100
MAX_ALIGNED = 100
MAX_ONE_SIDED = 30
"""Caps on what a result carries: it travels through workflow history, so it stays well under
Temporal's payload limits even for long documents that barely align."""
MAX_VALUE_CHARS = 120

_TOKEN = re.compile(r"\w+(?:[.,:'’-]\w+)*|[^\w\s]")
_DURATION = re.compile(
    r"\b\d+(?:[.,]\d+)?\s+(?:business\s+|calendar\s+|working\s+)?"
    r"(?:days?|weeks?|months?|years?|hours?|minutes?)\b",
    re.IGNORECASE,
)
_ENTITY_KIND_NAMES = {
    EntityKind.ORGANIZATION: "party",
    EntityKind.PERSON: "party",
    EntityKind.DATE: "date",
    EntityKind.AMOUNT: "amount",
    EntityKind.PERCENTAGE: "percentage",
    EntityKind.EMAIL: "email",
}
_FOCUS_NOISE = {
    "compar",
    "differ",
    "differen",
    "two",
    "both",
    "versus",
    "vs",
    "contrast",
    "agreement",
}


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str


# ---- sentences --------------------------------------------------------------------------------


class _Spans:
    """A document's entity and duration spans, found once, looked up by range."""

    LONGEST = 200

    def __init__(self, doc: DocumentText) -> None:
        found = [_Span(f.start, f.end, _ENTITY_KIND_NAMES[f.kind]) for f in find_entities(doc.text)]
        found += [_Span(m.start(), m.end(), "duration") for m in _DURATION.finditer(doc.text)]
        self.spans = sorted(found, key=lambda span: span.start)
        self.starts = [span.start for span in self.spans]

    def within(self, start: int, end: int) -> list[_Span]:
        low = bisect.bisect_left(self.starts, start - self.LONGEST)
        high = bisect.bisect_left(self.starts, end)
        return [span for span in self.spans[low:high] if span.end > start]


def _widen(start: int, end: int, spans: list[_Span]) -> tuple[int, int, str | None]:
    """The change widened to every entity it touches, and the kind of the first of them."""
    kind = None
    for span in spans:
        touches = (
            span.start < end and start < span.end if end > start else span.start <= start < span.end
        )
        if touches:
            start, end = min(start, span.start), max(end, span.end)
            kind = kind or span.kind
    return start, end, kind


def _tokens(sentence: Sentence) -> list[tuple[int, int, str]]:
    return [
        (sentence.start + m.start(), sentence.start + m.end(), m.group(0).lower())
        for m in _TOKEN.finditer(sentence.text)
    ]


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def sentence_changes(
    a: DocumentText, x: Sentence, spans_a: _Spans, b: DocumentText, y: Sentence, spans_b: _Spans
) -> list[tuple[str, str, str]]:
    """(kind, value in A, value in B) for each change between two paired sentences."""
    local_a, local_b = spans_a.within(x.start, x.end), spans_b.within(y.start, y.end)
    ta, tb = _tokens(x), _tokens(y)
    matcher = difflib.SequenceMatcher(None, [t[2] for t in ta], [t[2] for t in tb], autojunk=False)
    changes: list[tuple[int, int, int, int, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        a_start, a_end = (
            (ta[i1][0], ta[i2 - 1][1])
            if i2 > i1
            else ((ta[i1][0],) * 2 if i1 < len(ta) else (x.end, x.end))
        )
        b_start, b_end = (
            (tb[j1][0], tb[j2 - 1][1])
            if j2 > j1
            else ((tb[j1][0],) * 2 if j1 < len(tb) else (y.end, y.end))
        )
        a_start, a_end, kind_a = _widen(a_start, a_end, local_a)
        b_start, b_end, kind_b = _widen(b_start, b_end, local_b)
        changed = [t[2] for t in ta[i1:i2]] + [t[2] for t in tb[j1:j2]]
        numeric = changed and all(re.fullmatch(r"[\d.,:%]+", t) for t in changed)
        kind = kind_a or kind_b or ("number" if numeric else "text")
        if changes and a_start < changes[-1][1] and b_start < changes[-1][3]:
            last = changes.pop()  # two edits inside one entity are one difference
            a_start, b_start, kind = min(a_start, last[0]), min(b_start, last[2]), last[4]
            a_end, b_end = max(a_end, last[1]), max(b_end, last[3])
        changes.append((a_start, a_end, b_start, b_end, kind))
    return [
        (kind, _short(a.text[s1:e1]) or "(absent)", _short(b.text[s2:e2]) or "(absent)")
        for s1, e1, s2, e2, kind in changes
    ]


# ---- the tool ---------------------------------------------------------------------------------


@dataclass
class _Findings:
    differences: list[Difference]
    only_a: list[OneSided]
    only_b: list[OneSided]
    pairs: list[SectionPair]
    sentences_paired: int
    sentences_total: int
    sections_a: int
    sections_b: int


def _section_citation(doc: DocumentText, section: Section) -> Citation | None:
    line_start, line_end = doc.line_around(section.start, section.start)
    citation = doc.citation(line_start, line_end)
    if section.sentences and (citation is None or not citation.quote.startswith("#")):
        first = section.sentences[0]
        citation = doc.citation(first.start, first.end)
    return citation


def _one_sided_section(doc: DocumentText, section: Section) -> OneSided | None:
    citation = _section_citation(doc, section)
    if citation is None:
        return None
    return OneSided(section=section.label or "(no heading)", whole_section=True, citation=citation)


def _record(
    findings: _Findings,
    pairs: list[tuple[Sentence, Sentence]],
    a: DocumentText,
    spans_a: _Spans,
    b: DocumentText,
    spans_b: _Spans,
) -> None:
    for p, q in pairs:
        if p.text == q.text:
            continue
        section = p.passage.anchor.section or "(no heading)"
        for kind, value_a, value_b in sentence_changes(a, p, spans_a, b, q, spans_b):
            findings.differences.append(
                Difference(
                    kind=kind,
                    section=section,
                    value_a=value_a,
                    value_b=value_b,
                    citation_a=p.citation(),
                    citation_b=q.citation(),
                )
            )


def _one_sided(
    doc: DocumentText, sections: list[Section], unaligned: list[int], remaining: set[int]
) -> list[OneSided]:
    """What only this document says, in its order: a section none of whose sentences has a
    counterpart once, by its heading; otherwise each sentence without a counterpart."""
    found: list[OneSided] = []
    for index, section in enumerate(sections):
        left = [s for s in section.sentences if s.start in remaining]
        if index in unaligned and left and len(left) == len(section.sentences):
            if (whole := _one_sided_section(doc, section)) is not None:
                found.append(whole)
            continue
        found += [
            OneSided(section=section.label or "(no heading)", citation=s.citation()) for s in left
        ]
    return found


def _compare(a: DocumentText, b: DocumentText) -> _Findings:
    sa, sb = document_sections(a), document_sections(b)
    aligned, only_a_sections, only_b_sections = align_sections(a, sa, b, sb)
    spans_a, spans_b = _Spans(a), _Spans(b)
    findings = _Findings([], [], [], [], 0, len(a.sentences) + len(b.sentences), len(sa), len(sb))
    left_a: list[Sentence] = [s for i in only_a_sections for s in sa[i].sentences]
    left_b: list[Sentence] = [s for j in only_b_sections for s in sb[j].sentences]
    for i, j, similarity in aligned:
        x, y = sa[i], sb[j]
        pairs = pair_sentences(x.sentences, y.sentences)
        identical = len(pairs) == len(x.sentences) == len(y.sentences) and all(
            p.text == q.text for p, q in pairs
        )
        findings.pairs.append(
            SectionPair(
                section_a=x.label,
                section_b=y.label,
                similarity=round(similarity, 4),
                identical=identical,
            )
        )
        _record(findings, pairs, a, spans_a, b, spans_b)
        findings.sentences_paired += 2 * len(pairs)
        paired_a, paired_b = {p.start for p, _ in pairs}, {q.start for _, q in pairs}
        left_a += [s for s in x.sentences if s.start not in paired_a]
        left_b += [s for s in y.sentences if s.start not in paired_b]
    # clauses moved to another section (restructured or renumbered) still pair up
    moved = pair_sentences(
        sorted(left_a, key=lambda s: s.start), sorted(left_b, key=lambda s: s.start)
    )
    _record(findings, moved, a, spans_a, b, spans_b)
    findings.sentences_paired += 2 * len(moved)
    findings.differences.sort(
        key=lambda d: (d.citation_a.anchor.char_start, d.citation_b.anchor.char_start)
    )
    moved_a, moved_b = {p.start for p, _ in moved}, {q.start for _, q in moved}
    findings.only_a = _one_sided(a, sa, only_a_sections, {s.start for s in left_a} - moved_a)
    findings.only_b = _one_sided(b, sb, only_b_sections, {s.start for s in left_b} - moved_b)
    return findings


def _focus_first(differences: list[Difference], focus: str | None) -> tuple[list[Difference], bool]:
    """Differences about the focus first, when the focus singles some out."""
    if not focus:
        return differences, False
    wanted = stems(focus) - _FOCUS_NOISE
    kinds, named = requested_kinds(focus)
    kind_names = {_ENTITY_KIND_NAMES[k] for k in kinds} if named else set()

    def relevant(d: Difference) -> bool:
        context = stems(f"{d.section} {d.citation_a.quote} {d.citation_b.quote}")
        return bool(wanted & context) or d.kind in kind_names

    first = [d for d in differences if relevant(d)]
    if not first or len(first) == len(differences):
        return differences, False
    return first + [d for d in differences if not relevant(d)], True


def _confidence(findings: _Findings) -> float:
    """How meaningful the comparison is: sections aligned, headings alike, sentences paired."""
    if not findings.pairs:
        return 0.1
    sections_a, sections_b = findings.sections_a, findings.sections_b
    alignment = 2 * len(findings.pairs) / (sections_a + sections_b)
    headings = sum(p.similarity for p in findings.pairs) / len(findings.pairs)
    pairing = findings.sentences_paired / max(1, findings.sentences_total)
    # sections that align by heading but share no sentence are different documents alike in form
    value = 0.4 * alignment + 0.2 * min(1.0, headings) + 0.4 * pairing
    if sections_a == sections_b == 1:
        value *= 0.85  # no headings to align by: the comparison rests on sentences alone
    return round(min(1.0, value), 4)


def _section_name(label: str) -> str:
    return f"§{label.split(' > ')[-1]}" if label else "(no heading)"


def _answer(
    a: DocumentRef,
    b: DocumentRef,
    findings: _Findings,
    differences: list[Difference],
    focused: bool,
) -> str:
    changed = sum(1 for p in findings.pairs if not p.identical)
    lines = [
        f"A = {a.name}, B = {b.name}: {len(findings.pairs)} sections aligned, "
        f"{len(findings.pairs) - changed} identical; {len(differences)} difference(s)"
        + (" (those about the focus first)." if focused else ".")
    ]
    for d in differences[:SHOWN_DIFFERENCES]:
        lines.append(f"- {_section_name(d.section)} — {d.kind}: A {d.value_a} → B {d.value_b}")
    if len(differences) > SHOWN_DIFFERENCES:
        lines.append(f"- … and {len(differences) - SHOWN_DIFFERENCES} more")
    for side, items in (("A", findings.only_a), ("B", findings.only_b)):
        if items:
            names = "; ".join(
                f"{_section_name(o.section)} (the whole section)"
                if o.whole_section
                else f"{_section_name(o.section)}: “{_short(o.citation.quote)}”"
                for o in items[:SHOWN_ONE_SIDED]
            )
            more = (
                f"; and {len(items) - SHOWN_ONE_SIDED} more" if len(items) > SHOWN_ONE_SIDED else ""
            )
            lines.append(f"Only in {side}: {names}{more}.")
    if not differences and not findings.only_a and not findings.only_b:
        lines.append("The documents say the same thing.")
    return "\n".join(lines)


def compare_documents(
    document_a: DocumentRef, document_b: DocumentRef, focus: str | None = None
) -> Comparison:
    """Compare two documents: align their sections, list what differs (numbers, dates, amounts,
    parties) and what only one has, each with citations on both sides.

    ``focus`` (e.g. "fees and dates") puts the differences about it first. The confidence is how
    well the documents align (sections matched, headings alike, sentences paired).
    """
    a, b = DocumentText.load(document_a), DocumentText.load(document_b)
    findings = _compare(a, b)
    differences, focused = _focus_first(findings.differences, focus)
    shown = differences[:SHOWN_DIFFERENCES]
    citations: dict[tuple[str, int, int], Citation] = {}
    for c in [
        *(c for d in shown for c in (d.citation_a, d.citation_b)),
        *(o.citation for o in findings.only_a[:SHOWN_ONE_SIDED]),
        *(o.citation for o in findings.only_b[:SHOWN_ONE_SIDED]),
    ]:
        citations.setdefault((c.document_id, c.anchor.char_start, c.anchor.char_end), c)
    passages: dict[str, Passage] = {}
    for c in citations.values():
        doc = a if c.document_id == a.document.id else b
        passage = doc.passage_at(c.anchor.char_start)
        if passage is not None:
            passages.setdefault(passage.id, passage)
    comparison = Comparison(
        document_a=document_a,
        document_b=document_b,
        label=f"{document_a.name} vs {document_b.name}",
        answer=_answer(document_a, document_b, findings, differences, focused),
        citations=list(citations.values()),
        confidence=_confidence(findings),
        passages=list(passages.values())[:10],
        sections_aligned=len(findings.pairs),
        sections_identical=sum(1 for p in findings.pairs if p.identical),
        aligned=sorted(findings.pairs, key=lambda p: p.identical)[:MAX_ALIGNED],
        differences=differences[:MAX_DIFFERENCES],
        only_in_a=findings.only_a[:MAX_ONE_SIDED],
        only_in_b=findings.only_b[:MAX_ONE_SIDED],
    )
    # with an LLM configured it writes the answer from the passages the differences cite
    task = f"Compare {document_a.name} with {document_b.name}" + (f", on: {focus}" if focus else "")
    return rewrite_answer_sync(comparison, task, list(passages.values()), purpose="compare")
