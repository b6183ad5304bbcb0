"""Context cues matched inside the recognizers, on accent-folded text.

Presidio's stock enhancer compares context words with token lemmas; with no trained
pipeline there are no lemmas, and Vietnamese cues are phrases ("mã số thuế", "số điện
thoại") written with or without accents. So each recognizer looks at a character window
around its match in the folded text (see ``anonymizer.text.fold``) for whole-word cue
phrases.

The window stops at the previous (or next) identifier-like run of digits, line break or
sentence end: in "CCCD 079090001234, STK 0071001234567" the cue "STK" belongs to the
account number, not to the CCCD before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from anonymizer.text import fold_phrase

# digit runs of 3+ (another identifier), line breaks, ';', and a full stop after a word
# of 3+ letters (sentence end; "TP. HCM" and "D.O.B." are not sentence ends)
_CUT = regex.compile(r"\d{3,}|[\n;]|(?<=[a-z]{3})\.\s")
# after a match, a comma also ends its context: "0903123456, STK ..." labels what follows
_CUT_AFTER = regex.compile(r"\d{3,}|[\n;,]|(?<=[a-z]{3})\.\s")


@dataclass(frozen=True)
class Window:
    """How many characters around a match count as its context."""

    before: int = 60
    after: int = 25


def before(folded: str, start: int, size: int) -> str:
    chunk = folded[max(0, start - size) : start]
    last = None
    for last in _CUT.finditer(chunk):  # noqa: B007 - we want the last one
        pass
    return chunk[last.end() :] if last else chunk


def after(folded: str, end: int, size: int) -> str:
    chunk = folded[end : end + size]
    found = _CUT_AFTER.search(chunk)
    return chunk[: found.start()] if found else chunk


class CueSet:
    """Whole-word, accent-insensitive phrase matcher over folded text."""

    def __init__(self, phrases: Iterable[str]) -> None:
        folded = sorted({fold_phrase(p) for p in phrases if p.strip()}, key=len, reverse=True)
        self.phrases: tuple[str, ...] = tuple(folded)
        body = "|".join(regex.escape(p).replace(r"\ ", r"\s+") for p in folded)
        self._regex = regex.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])") if folded else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def search(self, folded_text: str) -> bool:
        return bool(self._regex and self._regex.search(folded_text))

    def search_end(self, folded_text: str) -> bool:
        """True if a cue ends the text (allowing ':' and spaces), e.g. an honorific."""
        if not self._regex:
            return False
        stripped = folded_text.rstrip(" :.-\t")
        return any(m.end() == len(stripped) for m in self._regex.finditer(stripped))
