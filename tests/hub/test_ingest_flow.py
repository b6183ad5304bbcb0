"""Ingest as a job: versions switch atomically, crashes and concurrency are handled."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.descriptor import SourceSpec
from hub.context import cli_actor
from hub.datasets import flows
from hub.datasets.models import DatasetVersion
from hub.db import session_scope, utcnow
from hub.errors import Conflict
from tests.hub.conftest import load_example

URL = "/v1/datasets/population-registry/records"


def _csv_source(hub, path: Path) -> dict:
    return {
        "context": hub.connector_context(base_dir=str(path.parent), api_registered=False),
        "source": SourceSpec(connector="csv", path=str(path)),
        "cipher": hub.cipher,
    }


def _police(token) -> dict[str, str]:
    tok = token(agency="cong-an", roles=("officer",))
    return {"Authorization": f"Bearer {tok}"}


def _count(client, headers) -> int:
    body = client.get(
        URL, params={"purpose": "residence-management", "format": "ndjson"}, headers=headers
    )
    return len(body.text.splitlines())


def test_readers_see_the_old_version_until_the_new_one_is_complete(
    client, token, hub, population_csv, tmp_path
):
    load_example(hub, "population-registry", population_csv)
    headers = _police(token)
    assert _count(client, headers) == 300
    bigger = tmp_path / "bigger.csv"
    lines = population_csv.read_text(encoding="utf-8").splitlines()
    bigger.write_text(
        "\n".join([*lines, lines[1].replace(lines[1][:12], "079299999999", 1)]) + "\n"
    )
    seen_during: list[int] = []

    def progress(done, total, unit, rows):
        seen_during.append(_count(client, headers))

    result = flows.ingest(
        hub.sessions,
        dataset_id="population-registry",
        actor=cli_actor(),
        batch_size=50,
        progress=progress,
        **_csv_source(hub, bigger),
    )
    assert result.rows_written == 301 and result.version == 2
    assert len(seen_during) == 7 and set(seen_during) == {300}  # never a partial version
    assert _count(client, headers) == 301


def test_an_abandoned_loading_version_is_cleaned_up(hub, population_csv):
    # a version left "loading" by a killed process, heartbeat still fresh: the next ingest
    # holds the lock the dead process lost, so it knows the version is abandoned
    load_example(hub, "population-registry", population_csv)
    with session_scope(hub.sessions) as session:
        version = session.scalar(sa.select(DatasetVersion))
        ghost = DatasetVersion(
            dataset_pk=version.dataset_pk,
            number=99,
            table_name="data_ghost",
            fields=version.fields,
            status="loading",
            heartbeat_at=utcnow(),
        )
        session.add(ghost)
    result = flows.ingest(
        hub.sessions,
        dataset_id="population-registry",
        actor=cli_actor(),
        **_csv_source(hub, population_csv),
    )
    assert result.version == 100
    with hub.sessions() as session:
        status = session.scalar(sa.select(DatasetVersion.status).where(DatasetVersion.number == 99))
    assert status == "failed"


def test_a_live_ingest_blocks_a_second_one(hub, population_csv):
    load_example(hub, "population-registry", population_csv)

    def progress(done, total, unit, rows):
        with pytest.raises(Conflict, match="already running"):
            flows.ingest(
                hub.sessions,
                dataset_id="population-registry",
                actor=cli_actor(),
                **_csv_source(hub, population_csv),
            )

    flows.ingest(
        hub.sessions,
        dataset_id="population-registry",
        actor=cli_actor(),
        batch_size=100,
        progress=progress,
        **_csv_source(hub, population_csv),
    )


def test_old_versions_are_retired_and_their_tables_dropped(hub, population_csv):
    load_example(hub, "population-registry", population_csv)
    for _ in range(2):
        flows.ingest(
            hub.sessions,
            dataset_id="population-registry",
            actor=cli_actor(),
            **_csv_source(hub, population_csv),
        )
    with hub.sessions() as session:
        rows = session.execute(
            sa.select(
                DatasetVersion.number, DatasetVersion.status, DatasetVersion.table_name
            ).order_by(DatasetVersion.number)
        ).all()
    assert [(n, s) for n, s, _ in rows] == [(1, "retired"), (2, "ready"), (3, "ready")]
    inspector = sa.inspect(hub.engine)
    assert not inspector.has_table(rows[0].table_name)
    assert inspector.has_table(rows[1].table_name)  # kept for cursors issued on v2
