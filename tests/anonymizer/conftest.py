"""The PII engine is built once per test session: building it imports Presidio (~2 s)."""

from __future__ import annotations

import pytest

from anonymizer.engine import PiiEngine, get_engine


@pytest.fixture(scope="session")
def engine() -> PiiEngine:
    return get_engine()
