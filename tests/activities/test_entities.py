"""extract_entities: kinds, normalised values, anchors, and what the query asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.context import ToolContext
from activities.documents.ingestion import ingest_file
from activities.tools.entities import date_filter, extract_entities, requested_kinds
from activities.tools.entity_patterns import EntityKind, find_amounts, find_dates, find_entities
from tests.activities.factories import assert_citations_exact, ingest

NOTES = """Steering Committee - 2 October 2025

Attendees: Dana Whitfield (Acme Corp), Priya Raman (Globex Ltd), Dr. Tom Becker.

The Q4 budget of EUR 95,000 was approved; the storage region must not exceed $20k.
Availability was 99.7 percent against a 99.9% target.
Credits of EUR 775 are due on 30 November 2025.
An invoice of £1,250.50 is due 15 March 2026. Questions: Ops-Team@Acme.example.
Acme will report again on 2025-12-15.
"""


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1 March 2025", "2025-03-01"),
        ("March 1, 2025", "2025-03-01"),
        ("3rd of Sept 2025", "2025-09-03"),
        ("2025-12-15", "2025-12-15"),
        ("15.03.2026", "2026-03-15"),
        ("12/31/2025", "2025-12-31"),
        ("December 2025", "2025-12"),
    ],
)
def test_dates_are_normalised_to_iso(text: str, iso: str) -> None:
    assert [d.value for d in find_dates(f"Due {text}.")] == [iso]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("EUR 12,000", "EUR 12000.00"),
        ("€4.10", "EUR 4.10"),
        ("$20k", "USD 20000.00"),
        ("USD 1.5 million", "USD 1500000.00"),
        ("12.000,50 EUR", "EUR 12000.50"),
        ("£1,250.50", "GBP 1250.50"),
    ],
)
def test_amounts_carry_their_currency(text: str, value: str) -> None:
    assert [a.value for a in find_amounts(f"It costs {text} per month.")] == [value]


def test_every_kind_is_found_with_exact_offsets() -> None:
    found = find_entities(NOTES)
    by_kind = {kind: [f.value for f in found if f.kind is kind] for kind in EntityKind}
    assert by_kind[EntityKind.PERSON] == ["Dana Whitfield", "Priya Raman", "Tom Becker"]
    assert set(by_kind[EntityKind.ORGANIZATION]) == {"Acme Corp", "Globex Ltd"}
    assert by_kind[EntityKind.PERCENTAGE] == ["99.7%", "99.9%"]
    assert by_kind[EntityKind.EMAIL] == ["ops-team@acme.example"]
    assert "2025-12-15" in by_kind[EntityKind.DATE]
    for item in found:
        assert NOTES[item.start : item.end] == item.text
    bare = [f for f in found if f.text == "Acme" and f.kind is EntityKind.ORGANIZATION]
    assert bare and bare[0].value == "Acme Corp"  # a bare mention is tied to the full name


def test_query_picks_kinds_in_the_order_it_names_them() -> None:
    assert requested_kinds("amounts due after March") == (
        [EntityKind.AMOUNT, EntityKind.DATE],
        True,
    )
    assert requested_kinds("who are the parties?")[0] == [
        EntityKind.PERSON,
        EntityKind.ORGANIZATION,
    ]
    kinds, named = requested_kinds("extract all entities")
    assert not named and len(kinds) == len(EntityKind)


def test_date_filters_read_from_the_query() -> None:
    dates = {
        d.value: d for d in find_dates("1 March 2025, 15 April 2025, 30 June 2025, 3 January 2026")
    }
    keep, described = date_filter("amounts due after March")
    assert described == "dates after March" and keep is not None
    assert sorted(v for v, d in dates.items() if keep(d)) == ["2025-04-15", "2025-06-30"]
    keep, described = date_filter("deadlines before June 2025")
    assert keep is not None
    assert sorted(v for v, d in dates.items() if keep(d)) == ["2025-03-01", "2025-04-15"]
    keep, _ = date_filter("everything in 2026")
    assert keep is not None
    assert [v for v, d in dates.items() if keep(d)] == ["2026-01-03"]
    keep, _ = date_filter("between 1 April 2025 and 30 June 2025")
    assert keep is not None
    assert sorted(v for v, d in dates.items() if keep(d)) == ["2025-04-15", "2025-06-30"]
    assert date_filter("what are the amounts?") == (None, None)


def test_extraction_cites_every_entity_at_its_anchor(context: ToolContext, tmp_path: Path) -> None:
    ref = ingest(context, tmp_path, "notes.md", NOTES)
    result = extract_entities(ref)
    assert result.label == "notes.md"
    assert {e.kind for e in result.entities} == set(EntityKind)
    assert_citations_exact(context, [e.citation for e in result.entities])
    assert_citations_exact(context, result.citations)
    assert "People (3): Dana Whitfield" in result.answer
    assert 0.5 < result.confidence <= 1.0


def test_amounts_due_after_a_month_keep_only_amounts_dated_after_it(
    context: ToolContext, samples: Path
) -> None:
    globex = ingest_file(context.store, samples / "contract_acme_globex.md", max_bytes=10**7)
    initech = ingest_file(context.store, samples / "contract_acme_initech.md", max_bytes=10**7)
    early = extract_entities(globex, "amounts due after March")
    late = extract_entities(initech, "amounts due after March")
    assert [e.value for e in early.entities if e.kind is EntityKind.AMOUNT] == []
    assert [(e.text, e.related_date) for e in late.entities if e.kind is EntityKind.AMOUNT] == [
        ("EUR 8,500", "2025-06-30")
    ]
    assert [e.value for e in late.entities if e.kind is EntityKind.DATE] == [
        "2025-06-01",
        "2025-06-30",
    ]
    assert late.filters == ["dates after March"]
    assert "left out" in late.answer
    assert late.confidence > early.confidence  # amounts were asked for and only one found them


def test_nothing_found_is_said_with_low_confidence(context: ToolContext, tmp_path: Path) -> None:
    ref = ingest(context, tmp_path, "plain.txt", "nothing of note here, only lower case words.\n")
    result = extract_entities(ref, "list the emails")
    assert result.answer == "No emails found."
    assert result.entities == [] and result.confidence < 0.5
