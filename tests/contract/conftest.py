"""Contract tests build one app on SQLite; they check shapes, not databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from hub.app import create_app
from hub.auth.keys import Keyring
from hub.settings import Settings
from hub.state import HubState
from hub.store import migrate


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("contract") / "var"
    settings = Settings(database_url=f"sqlite:///{data.parent / 'hub.db'}", data_dir=data)
    Keyring(settings.keys_dir).ensure()
    state = HubState.build(settings)
    migrate(state.engine)
    yield create_app(settings, state=state)
    state.close()


def api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """(path, methods, route) for every API route, through included routers."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            out.append((ctx.path, set(ctx.methods or ()), route))
    return out


def data_dir_of(app: FastAPI) -> Path:
    return app.state.hub.settings.data_dir
