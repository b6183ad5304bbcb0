"""Kill -9 an ingest at random points: nothing partial is visible, a rerun converges."""

from __future__ import annotations

import csv
import random

import pytest
import sqlalchemy as sa

from hub.demo import synth
from tests.hub.conftest import EXAMPLES, kill_9_after, run, timed_run

ROWS = 20_000


@pytest.fixture
def crash_env(cli_env, tmp_path) -> dict[str, str]:
    run(cli_env, "init")
    descriptor = (EXAMPLES / "datasets" / "population-registry.yaml").read_text(encoding="utf-8")
    (tmp_path / "pop.yaml").write_text(
        descriptor.replace("path: data/population.csv", "path: population.csv"), encoding="utf-8"
    )
    synth.write_population(tmp_path / "population.csv", ROWS, seed=1)
    run(cli_env, "dataset", "register", str(tmp_path / "pop.yaml"))
    run(cli_env, "ingest", "population-registry")
    return cli_env


def _state(env: dict[str, str]) -> tuple[int, int, list[str]]:
    """(current version number, its row count, statuses of all versions)."""
    engine = sa.create_engine(env["CIVICHUB_DATABASE_URL"])
    with engine.connect() as conn:
        current = conn.execute(
            sa.text(
                "SELECT v.number, v.table_name FROM datasets d "
                "JOIN dataset_versions v ON v.id = d.current_version_id"
            )
        ).one()
        rows = conn.execute(sa.text(f'SELECT count(*) FROM "{current.table_name}"')).scalar_one()
        statuses = (
            conn.execute(sa.text("SELECT status FROM dataset_versions ORDER BY number"))
            .scalars()
            .all()
        )
    engine.dispose()
    return current.number, rows, list(statuses)


INGEST = ("ingest", "population-registry", "--batch-size", "500")


@pytest.fixture
def ingest_seconds(crash_env) -> float:
    """A whole ingest of this size here (the same rows again: a new, equal version)."""
    return timed_run(crash_env, *INGEST)


def test_kill_9_during_ingest_leaves_the_previous_version_whole(
    crash_env, ingest_seconds, tmp_path
):
    rng = random.Random(7)
    synth.write_population(tmp_path / "population.csv", ROWS + 500, seed=2)  # new content
    kills = 0
    for _ in range(3):
        kills += kill_9_after(crash_env, ingest_seconds * rng.uniform(0.3, 0.9), *INGEST)
        number, rows, statuses = _state(crash_env)
        # readers see a complete version: the old one, or the new one if it finished
        assert rows in (ROWS, ROWS + 500), (number, rows, statuses)
        assert statuses.count("ready") >= 1
        assert "intact" in run(crash_env, "audit", "verify").stdout
    assert kills >= 1, "the ingest always finished before the kill; the test proved nothing"
    # a rerun converges: it clears the abandoned version and lands the new data
    result = run(crash_env, "ingest", "population-registry")
    assert f"written {ROWS + 500}" in result.stdout
    number, rows, statuses = _state(crash_env)
    assert rows == ROWS + 500
    assert "loading" not in statuses
    assert "intact" in run(crash_env, "audit", "verify").stdout
    with (tmp_path / "population.csv").open(encoding="utf-8") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == rows  # no lost rows
