"""The open data API: no token, published rows only, paginated, filtered, rate-limited."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.context import cli_actor
from hub.datasets import service as datasets
from hub.db import session_scope
from hub.demo import synth
from hub.publishing import flows
from hub.settings import Settings
from tests.hub.conftest import ingest_csv, register
from tests.hub.test_publish import (
    DATASET,
    PUBLISHED_FIELDS,
    leaked,
    publications,
    publish,
    raw_identifiers,
)

DATASETS = "/v1/open/datasets"
RECORDS = f"/v1/open/datasets/{DATASET}/records"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Paging 300 rows 7 at a time is past an anonymous client's default rate: these tests
    turn it off; the rate test builds its own app with a small one."""
    return settings.model_copy(update={"rate_limit_anonymous_per_minute": 0})


@pytest.fixture
def published(client, token, population) -> dict:
    response = publish(client, token, {"target": "local"})
    assert response.status_code == 200, response.text
    return response.json()


def _all_pages(client, params: dict) -> list[dict]:
    records, cursor, pages = [], None, 0
    while True:
        response = client.get(RECORDS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["records"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return records
        assert pages < 1000


def test_published_datasets_are_listed_without_a_token(client, hub, published, tmp_path):
    response = client.get(DATASETS)  # no Authorization header at all
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert item["id"] == DATASET and item["agency"] == "cong-an"
    assert item["license"] == "cc-by-4.0" and item["k"] >= 5
    assert item["rows"] == published["rows"] and item["suppressed"] == published["suppressed"]
    assert item["published_at"] and item["urls"]["records"] == RECORDS
    assert [f["name"] for f in item["fields"]] == PUBLISHED_FIELDS
    assert item["fields"][0]["title"] == "Ngày sinh"
    # a dataset that is registered but not published is not listed
    with session_scope(hub.sessions) as session:
        d = datasets.get(session, DATASET)
        other = datasets.descriptor_of(d).model_copy(update={"id": "unpublished-registry"})
    register(hub, other, tmp_path)
    assert [i["id"] for i in client.get(DATASETS).json()["items"]] == [DATASET]


def test_records_page_through_every_published_row(client, published):
    records = _all_pages(client, {"limit": 7})
    assert len(records) == published["rows"]
    assert all(list(r) == PUBLISHED_FIELDS for r in records)
    first = client.get(RECORDS, params={"limit": 7}).json()
    assert len(first["records"]) == 7 and first["dataset"] == DATASET
    assert records[:7] == first["records"]


def test_no_raw_identifier_is_served(client, published, population_csv):
    identifiers = raw_identifiers(population_csv)
    for fmt in ("json", "ndjson", "csv"):
        params = {"format": fmt, **({"limit": 1000} if fmt == "json" else {})}
        response = client.get(RECORDS, params=params)
        assert response.status_code == 200
        assert leaked(response.text, identifiers) == []
    assert leaked(client.get(DATASETS).text, identifiers) == []


def test_exports_hold_the_same_rows(client, published):
    ndjson = client.get(RECORDS, params={"format": "ndjson"})
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in ndjson.text.splitlines()]
    exported = client.get(RECORDS, params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(rows) == len(table) == published["rows"]
    assert rows == [{k: v or None for k, v in r.items()} for r in table]
    capped = client.get(RECORDS, params={"format": "ndjson", "limit": 5})
    assert len(capped.text.splitlines()) == 5


def test_equality_filters_on_published_fields(client, published):
    women = _all_pages(client, {"gender": "nu", "limit": 50})
    men = _all_pages(client, {"gender": "nam", "limit": 50})
    assert women and men and {r["gender"] for r in women} == {"nu"}
    assert len(women) + len(men) == published["rows"]
    ward = women[0]["ward"]
    both = _all_pages(client, {"gender": "nu", "ward": ward})
    assert both and all(r["ward"] == ward and r["gender"] == "nu" for r in both)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"citizen_id": "079190001234"}, 400, "unknown filter field(s): citizen_id"),  # dropped
        ({"nope": "1"}, 400, "filter on a published field"),
        ({"limit": 1001}, 400, "limit must be between 1 and 1000"),
        ({"limit": 0}, 400, "limit"),
        ({"cursor": "not-a-cursor"}, 400, "cursor is not valid"),
        ({"format": "xml"}, 400, "format"),
    ],
)
def test_bad_requests_are_400(client, published, params, status, words):
    response = client.get(RECORDS, params=params)
    assert response.status_code == status
    assert words in response.json()["detail"]


def test_unpublished_and_unknown_datasets_are_404(client, token, population):
    for path in (RECORDS, "/v1/open/datasets/no-such-dataset/records"):
        response = client.get(path)
        assert response.status_code == 404
        assert "not published as open data" in response.json()["detail"]
    # a dry run publishes nothing either
    assert publish(client, token, {"dry_run": True}).status_code == 200
    assert client.get(RECORDS).status_code == 404


def test_a_republication_is_served_and_old_cursors_expire(client, token, hub, published, tmp_path):
    cursor = client.get(RECORDS, params={"limit": 3}).json()["next_cursor"]
    synth.write_population(tmp_path / "new.csv", 350, seed=5)
    ingest_csv(hub, DATASET, tmp_path / "new.csv")
    second = publish(client, token).json()
    assert len(_all_pages(client, {"limit": 1000})) == second["rows"]
    # the previous publication is kept for cursors in flight
    assert client.get(RECORDS, params={"cursor": cursor}).status_code == 200
    publish(client, token)
    gone = client.get(RECORDS, params={"cursor": cursor})
    assert gone.status_code == 410 and "without `cursor`" in gone.json()["detail"]


def test_a_deleted_dataset_is_no_longer_served(client, hub, published):
    with session_scope(hub.sessions) as session:
        datasets.delete(session, dataset=datasets.get(session, DATASET), actor=cli_actor())
    assert client.get(DATASETS).json()["items"] == []
    assert client.get(RECORDS).status_code == 404


def test_clients_past_the_rate_get_429_with_retry_after(hub, published):
    settings = hub.settings.model_copy(
        update={"rate_limit_anonymous_per_minute": 6, "rate_limit_anonymous_burst": 3}
    )
    with TestClient(create_app(settings, state=hub)) as anonymous:
        statuses = [anonymous.get(RECORDS, params={"limit": 1}).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = anonymous.get(DATASETS)  # the bucket is per client, across open routes
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["Retry-After"]) <= 10
        assert "rate limit" in refused.json()["detail"]


def test_a_publication_in_progress_is_not_served(client, hub, population):
    seen: list[tuple[int, int]] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "write" and done == 0:  # every row is in the open table, not switched
            [running] = [p for p in publications(hub) if p.status == "running"]
            table = sa.Table(running.table_name, sa.MetaData(), autoload_with=hub.engine)
            with hub.engine.connect() as conn:
                filled = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            seen.append((client.get(RECORDS).status_code, filled))

    result = flows.publish(
        hub,
        request=flows.PublishRequest(DATASET, target="local"),
        actor=cli_actor(),
        progress=progress,
    )
    assert seen == [(404, result.rows)]
    assert client.get(RECORDS).status_code == 200
