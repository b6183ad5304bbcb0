"""A small thread-safe LRU table: per-process caches of the hub (parsed policies,
verified tokens) share it, so bounding and eviction are written once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Lru(Generic[V]):
    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._mutex = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._mutex:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._mutex:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def pop(self, key: Hashable) -> None:
        with self._mutex:
            self._items.pop(key, None)

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        value = self.get(key)
        if value is None:
            value = build()  # outside the lock: building may query or take milliseconds
            self.put(key, value)
        return value

    def __len__(self) -> int:
        return len(self._items)
