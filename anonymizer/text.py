"""Text helpers shared by the recognizers: NFC with offset mapping, accent folding.

Findings must point into the text the caller passed. Vietnamese arrives NFC or NFD
(decomposed input from some macOS tools and old databases), and NFD defeats every name
and keyword pattern, so the engine analyzes an NFC copy and maps spans back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Normalized:
    """An NFC copy of a text plus the way back to the original offsets."""

    text: str
    original: str
    #: per normalized character: (start, end) of the original segment it came from;
    #: None when the text was already NFC (offsets are then the same)
    segments: tuple[tuple[int, int], ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.segments is None or start >= end:
            return start, end
        return self.segments[start][0], self.segments[end - 1][1]


def normalize(text: str) -> Normalized:
    """NFC-normalize ``text`` keeping a map back to the original offsets.

    Composition happens inside a base character and the combining marks after it, so
    each such segment is normalized on its own; every output character then knows which
    original segment it came from. (For scripts that compose across base characters,
    Hangul jamo, the result is a slightly less composed but still consistent copy.)
    """
    nfc = unicodedata.normalize("NFC", text)
    if nfc == text:
        return Normalized(text, text)
    parts: list[str] = []
    segments: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFC", text[i:j])
        parts.append(piece)
        segments.extend([(i, j)] * len(piece))
        i = j
    return Normalized("".join(parts), text, tuple(segments))


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    # One output character per input character, so folded text keeps the offsets of
    # the original and a match found in one is a match in the other.
    table: dict[int, str] = {}
    for cp in range(0x41, 0x2000):
        ch = chr(cp)
        stripped = "".join(
            c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
        ).lower()
        if len(stripped) == 1 and stripped != ch:
            table[cp] = stripped
    table[ord("Đ")] = table[ord("đ")] = "d"
    table[ord("\u00a0")] = " "
    return table


@lru_cache(maxsize=64)
def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics, ``đ`` -> ``d``; same length as ``text``.

    Cached because every recognizer folds the same text in one analysis.
    """
    return text.translate(_fold_table())


def fold_phrase(phrase: str) -> str:
    """Fold a cue phrase written by hand (any case, accents optional)."""
    return " ".join(fold(unicodedata.normalize("NFC", phrase)).split())
