"""The per-process cache table: bounded, least recently used out first, built once."""

from __future__ import annotations

from hub.lru import Lru


def test_bounded_and_least_recently_used_goes_first():
    table: Lru[int] = Lru(2)
    table.put("a", 1)
    table.put("b", 2)
    assert table.get("a") == 1  # "b" is now the least recently used
    table.put("c", 3)
    assert (table.get("a"), table.get("b"), table.get("c")) == (1, None, 3)
    assert len(table) == 2


def test_get_or_build_builds_once_and_pop_forgets():
    table: Lru[str] = Lru(4)
    built: list[str] = []

    def build() -> str:
        built.append("x")
        return "value"

    assert table.get_or_build("k", build) == "value"
    assert table.get_or_build("k", build) == "value"
    assert built == ["x"]
    table.pop("k")
    assert table.get("k") is None
    table.get_or_build("k", build)
    assert built == ["x", "x"]
