"""PII detection and redaction for Vietnamese and English text (Presidio, offline).

Importing this package is free: the engine and Presidio load on first use::

    from anonymizer import get_engine
    findings = get_engine().analyze("SĐT 0903 123 456", "vi")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anonymizer.columns import ColumnFinding, classify_column
    from anonymizer.engine import Finding, PiiEngine, get_engine

__all__ = ["ColumnFinding", "Finding", "PiiEngine", "classify_column", "get_engine"]

_LAZY = {
    "get_engine": "anonymizer.engine",
    "PiiEngine": "anonymizer.engine",
    "Finding": "anonymizer.engine",
    "classify_column": "anonymizer.columns",
    "ColumnFinding": "anonymizer.columns",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'anonymizer' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
