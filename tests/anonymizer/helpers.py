"""Helpers shared by the anonymizer tests."""

from __future__ import annotations

from anonymizer.engine import PiiEngine


def found(engine: PiiEngine, text: str, language: str = "vi") -> list[tuple[str, str]]:
    """(entity type, matched text) pairs, in order: what a reader of a table wants to see."""
    return [(f.entity_type, text[f.start : f.end]) for f in engine.analyze(text, language)]
