"""The lookup baseline: one FastAPI endpoint doing the hub's indexed SELECT, nothing else.

    uvicorn bench.bare:create_app --factory --workers 2      (bench/servers.py starts it)

Same framework, server, driver (psycopg 3), engine and pool settings (``hub.db.make_engine``)
and the same threadpool hop as the hub's records route; the same table, columns and
index: the citizen id's blind index (HMAC, ``FieldCipher.blind``) is the table's primary
key. No token, policy, decryption, masking or audit: the row goes out as stored.

Configured by the environment (``BENCH_BARE_*``), set by bench/lookup.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException

from hub import heap
from hub.auth.keys import Keyring
from hub.db import make_engine


def create_app() -> FastAPI:
    engine = make_engine(os.environ["BENCH_BARE_DATABASE_URL"])
    cipher = Keyring(Path(os.environ["BENCH_BARE_KEYS_DIR"])).cipher()
    table = os.environ["BENCH_BARE_TABLE"]
    columns = os.environ["BENCH_BARE_COLUMNS"].split(",")
    key_column = os.environ["BENCH_BARE_KEY_COLUMN"]
    domain = os.environ["BENCH_BARE_DOMAIN"]
    names = ", ".join(f'"{c}"' for c in columns)
    query = sa.text(f'SELECT {names} FROM "{table}" WHERE "{key_column}" = :key LIMIT 1')

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        heap.settle()  # as the hub's server workers do (hub/app.py), so neither gains alone
        yield

    app = FastAPI(title="bench: bare lookup", lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/datasets/{dataset_id}/records/{key}")
    def read_record(dataset_id: str, key: str) -> dict[str, Any]:
        with engine.connect() as conn:
            row = conn.execute(query, {"key": cipher.blind(domain, key)}).first()
        if row is None:
            raise HTTPException(404, f"no record {key!r}")
        return dict(row._mapping)

    return app
