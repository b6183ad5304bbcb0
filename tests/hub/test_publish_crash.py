"""Kill -9 ``civichub publish`` at random points: the published package stays whole, the
open API keeps serving a complete publication, the audit chain verifies, a rerun converges."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalog.package import read_package
from hub.demo import synth
from tests.hub.conftest import EXAMPLES, kill_9_after, run, timed_run

DATASET = "population-registry"
ROWS = 20_000


@pytest.fixture
def crash_env(cli_env, tmp_path) -> dict[str, str]:
    run(cli_env, "init")
    descriptor = (EXAMPLES / "datasets" / f"{DATASET}.yaml").read_text(encoding="utf-8")
    (tmp_path / "pop.yaml").write_text(
        descriptor.replace("path: data/population.csv", "path: population.csv"), encoding="utf-8"
    )
    synth.write_population(tmp_path / "population.csv", ROWS, seed=1)
    run(cli_env, "dataset", "register", str(tmp_path / "pop.yaml"))
    run(cli_env, "ingest", DATASET)
    run(cli_env, "publish", DATASET, "--target", "local")
    return cli_env


PUBLISH = ("publish", DATASET, "--target", "local")


@pytest.fixture
def publish_seconds(crash_env) -> float:
    """A whole publication of this size here (the same version again)."""
    return timed_run(crash_env, *PUBLISH)


def _package(env: dict[str, str]) -> tuple[int, int]:
    """(published rows, source rows) of the package readers see; checks it is complete."""
    catalog = Path(env["CIVICHUB_DATA_DIR"]) / "catalog"
    meta, rows = read_package(catalog, DATASET)
    data = (catalog / DATASET / "data.csv").read_bytes()
    resource = meta["resources"][0]
    assert resource["bytes"] == len(data)
    assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    report = meta["civichub"]["report"]
    assert len(rows) - 1 == report["rows"]["out"]
    return report["rows"]["out"], report["rows"]["in"]


def _served(env: dict[str, str]) -> tuple[int, list[str], set[str]]:
    """(rows in the newest published open table, statuses, open tables not accounted for)."""
    engine = sa.create_engine(env["CIVICHUB_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            runs = conn.execute(
                sa.text("SELECT id, status, table_name, rows FROM publications ORDER BY id")
            ).all()
            newest = [r for r in runs if r.status == "published"][-1]
            count = conn.execute(sa.text(f'SELECT count(*) FROM "{newest.table_name}"')).scalar()
            assert count == newest.rows
        tables = {t for t in sa.inspect(engine).get_table_names() if t.startswith("open_")}
    finally:
        engine.dispose()
    known = {r.table_name for r in runs if r.table_name}
    return newest.rows, [r.status for r in runs], tables - known


def test_kill_9_during_publish_leaves_the_previous_publication_whole(
    crash_env, publish_seconds, tmp_path
):
    old_rows, old_in = _package(crash_env)
    assert old_in == ROWS
    synth.write_population(tmp_path / "population.csv", ROWS + 700, seed=2)  # new content
    run(crash_env, "ingest", DATASET)
    rng = random.Random(11)
    mid_run = 0  # kills that caught a run in progress (it stays `running` until the next)
    for _ in range(6):
        kill_9_after(crash_env, publish_seconds * rng.uniform(0.4, 0.95), *PUBLISH)
        rows, source_rows = _package(crash_env)
        # readers see a complete package: the old one, or the new one if it got that far
        assert source_rows in (ROWS, ROWS + 700)
        served, statuses, strays = _served(crash_env)
        assert served in (old_rows, rows) and "published" in statuses
        assert "intact" in run(crash_env, "audit", "verify").stdout
        mid_run += statuses[-1] == "running"
        if mid_run == 3:
            break
    assert mid_run >= 1, "no kill caught a publication in progress; the test proved nothing"

    # a rerun converges: abandoned runs are marked failed, their tables dropped
    result = run(crash_env, "publish", DATASET, "--target", "local")
    assert "published population-registry v2" in result.stdout
    rows, source_rows = _package(crash_env)
    assert source_rows == ROWS + 700
    served, statuses, strays = _served(crash_env)
    assert served == rows and strays == set()
    assert "running" not in statuses and statuses[-1] == "published"
    assert statuses.count("failed") >= mid_run  # the abandoned runs, each on record
    assert "intact" in run(crash_env, "audit", "verify").stdout
    catalog = Path(crash_env["CIVICHUB_DATA_DIR"]) / "catalog"
    assert [p.name for p in catalog.iterdir() if not p.name.startswith(".")] == [DATASET]
