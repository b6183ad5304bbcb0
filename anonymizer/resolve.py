"""Overlap resolution across entity types.

Presidio removes overlapping duplicates of one type only. Here a 10-digit number can be a
phone number, a BHXH number and a tax code at once, and "123 Nguyễn Huệ" is both an
address and a name. Two rules, applied in order:

1. A span strictly inside a longer span of another type loses to it when the longer span
   scores at least ``CONTAINMENT_MARGIN`` less (the street beats the person it is named
   after; an e-mail beats the URL inside it).
2. Among the rest, the highest score wins, then the longer span, then the earlier one.
   Recognizers give context-backed matches the higher scores, so "the best-scored,
   context-backed one" wins.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Protocol, TypeVar


class Span(Protocol):
    entity_type: str
    start: int
    end: int
    score: float


CONTAINMENT_MARGIN = 0.15
S = TypeVar("S", bound=Span)


def resolve(spans: Sequence[S]) -> list[S]:
    by_start = sorted(spans, key=lambda s: (s.start, -(s.end - s.start)))
    dominated: set[int] = set()
    for i, outer in enumerate(by_start):
        for inner in by_start[i + 1 :]:
            if inner.start >= outer.end:
                break
            if (
                inner.end <= outer.end
                and (inner.end - inner.start) < (outer.end - outer.start)
                and inner.entity_type != outer.entity_type
                and outer.score >= inner.score - CONTAINMENT_MARGIN
            ):
                dominated.add(id(inner))
    ranked = sorted(
        (s for s in by_start if id(s) not in dominated),
        key=lambda s: (-s.score, -(s.end - s.start), s.start),
    )
    starts: list[int] = []
    chosen: list[S] = []  # kept sorted by start, non-overlapping
    for span in ranked:
        at = bisect.bisect_left(starts, span.start)
        if at > 0 and chosen[at - 1].end > span.start:
            continue
        if at < len(chosen) and chosen[at].start < span.end:
            continue
        starts.insert(at, span.start)
        chosen.insert(at, span)
    return chosen
