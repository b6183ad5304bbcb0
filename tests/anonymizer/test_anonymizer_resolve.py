"""Overlap resolution across entity types, on plain spans (no Presidio)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from anonymizer.resolve import resolve


@dataclass(frozen=True)
class S:
    entity_type: str
    start: int
    end: int
    score: float


@pytest.mark.parametrize(
    ("spans", "kept"),
    [
        # same span, three readings: the best score wins
        ([S("PHONE_NUMBER", 0, 10, 0.75), S("VN_TAX_CODE", 0, 10, 0.95),
          S("VN_SOCIAL_INSURANCE", 0, 10, 0.3)], [S("VN_TAX_CODE", 0, 10, 0.95)]),
        # equal scores: the longer span wins
        ([S("PERSON", 4, 14, 0.8), S("LOCATION", 0, 14, 0.8)], [S("LOCATION", 0, 14, 0.8)]),
        # a street beats the person it is named after, even scoring a little lower
        ([S("PERSON", 4, 14, 0.75), S("LOCATION", 0, 14, 0.65)], [S("LOCATION", 0, 14, 0.65)]),
        # ... but not when the inner span is much more certain
        ([S("PHONE_NUMBER", 5, 15, 0.95), S("URL", 0, 20, 0.55)], [S("PHONE_NUMBER", 5, 15, 0.95)]),
        # partial overlap: higher score wins, the other is dropped
        ([S("A", 0, 10, 0.6), S("B", 5, 15, 0.9)], [S("B", 5, 15, 0.9)]),
        # disjoint spans all stay, sorted by start
        ([S("B", 20, 25, 0.6), S("A", 0, 10, 0.9)], [S("A", 0, 10, 0.9), S("B", 20, 25, 0.6)]),
        ([], []),
    ],
)  # fmt: skip
def test_resolve(spans: list[S], kept: list[S]) -> None:
    assert resolve(spans) == kept
