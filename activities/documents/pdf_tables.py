"""Ruled tables from a page's ruling lines: which pages hold one, and where each cell is.

The PDF reader hands over the page's axis-aligned path segments — straight lines and the sides
of rectangles, filled or stroked, what pdfplumber calls a page's ``edges`` — as
:class:`Edge` s; pdfplumber's own table
finder then snaps and joins them, intersects them and assembles cells into tables with its
default settings, exactly as ``page.find_tables()`` does. Only the source of the edges differs:
pdfplumber would lay out every character of the page to get them, which is what made PDF
ingest slow. Cell text is read by the caller (it owns the page's text).

Everything here is pure geometry in PDF points, ``top`` growing downwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pdfplumber import table as plumber_table
from pdfplumber.utils.geometry import filter_edges

from activities.documents.pdf_layout import Box

_SETTINGS = plumber_table.TableSettings()
"""pdfplumber's defaults (snap/join/intersection tolerance 3 pt, minimum edge 3 pt)."""


@dataclass(frozen=True, slots=True)
class Edge:
    """A horizontal (``h``) or vertical (``v``) ruling line."""

    orientation: Literal["h", "v"]
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class TableGrid:
    """A table's box and its cells row by row (None where a merged cell leaves a gap)."""

    box: Box
    cells: list[list[Box | None]]


def segment_edge(x0: float, top: float, x1: float, bottom: float) -> Edge | None:
    """The edge a straight segment draws, or None when it is neither horizontal nor vertical
    (pdfplumber keeps exactly-axis-aligned segments; a little float noise is allowed here)."""
    if abs(top - bottom) < 0.01:
        return Edge("h", min(x0, x1), top, max(x0, x1), top)
    if abs(x0 - x1) < 0.01:
        return Edge("v", x0, min(top, bottom), x0, max(top, bottom))
    return None


def _as_plumber(edge: Edge) -> dict[str, Any]:
    return {
        "orientation": edge.orientation,
        "x0": edge.x0,
        "x1": edge.x1,
        "top": edge.top,
        "bottom": edge.bottom,
        "width": edge.x1 - edge.x0,
        "height": edge.bottom - edge.top,
    }


def find_tables(edges: list[Edge]) -> list[TableGrid]:
    """The ruled tables these edges draw, top to bottom (pdfplumber's ``lines`` strategy)."""
    if not any(e.orientation == "h" for e in edges) or not any(e.orientation == "v" for e in edges):
        return []
    unique = dict.fromkeys(edges)  # neighbouring cells' boxes share their sides
    candidates = filter_edges(
        [_as_plumber(e) for e in unique], min_length=_SETTINGS.edge_min_length_prefilter
    )
    merged = plumber_table.merge_edges(
        candidates,
        snap_x_tolerance=_SETTINGS.snap_x_tolerance,
        snap_y_tolerance=_SETTINGS.snap_y_tolerance,
        join_x_tolerance=_SETTINGS.join_x_tolerance,
        join_y_tolerance=_SETTINGS.join_y_tolerance,
    )
    merged = filter_edges(merged, min_length=_SETTINGS.edge_min_length)
    intersections = plumber_table.edges_to_intersections(
        merged, _SETTINGS.intersection_x_tolerance, _SETTINGS.intersection_y_tolerance
    )
    cells = plumber_table.intersections_to_cells(intersections)
    grids = []
    for group in plumber_table.cells_to_tables(cells):
        found = plumber_table.Table(None, group)  # type: ignore[arg-type]  # rows need no page
        grids.append(
            TableGrid(
                box=found.bbox,
                cells=[list(row.cells) for row in found.rows],
            )
        )
    return sorted(grids, key=lambda g: (g.box[1], g.box[0]))
