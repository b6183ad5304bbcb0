"""A process that owns its heap freezes its startup objects; one that shares it does not."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hub import heap
from hub.app import create_app
from hub.settings import Settings
from hub.state import HubState


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    """Each test starts and ends with nothing frozen: the test process's heap is shared."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_freezes_what_is_alive_and_collects_what_is_not() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    garbage = weakref.ref(Node())  # a cycle nothing refers to: only a collection frees it
    kept = Node()
    # the count alone, not compared with a later reading: a frozen temporary of the test
    # process (pytest's, a thread's) may be freed in between and lower it
    assert heap.settle() > 0
    assert garbage() is None  # collected first, not frozen forever
    assert gc.is_tracked(kept)
    assert not any(o is kept for o in gc.get_objects())  # tracked, in no generation: frozen


def test_a_server_worker_settles_its_heap_on_startup(settings: Settings, hub: HubState) -> None:
    # created without a state, the app builds its own: it is a server worker
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0


def test_an_app_on_a_shared_state_leaves_the_heap_alone(hub: HubState) -> None:
    with TestClient(create_app(hub.settings, state=hub)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
