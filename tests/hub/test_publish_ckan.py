"""Publishing through the hub to a real CKAN 2.12 with the DataStore (the ``ckan`` fixture).

Checked as a developer sees it, with an anonymous CKAN client: the package of the
agency's organization with its extras, one current CSV resource, the same rows in the
DataStore with a data dictionary, and no raw CCCD, phone number or name anywhere. Each
test publishes the example population registry under an id of its own, so tests share
the session's CKAN safely.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import ckanapi
import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from catalog.ckan import CURRENT, ROLE
from connectors.descriptor import load_descriptor
from hub.app import create_app
from hub.demo import synth
from hub.settings import Settings
from hub.state import HubState
from tests.hub.conftest import EXAMPLES, ingest_csv, register
from tests.hub.test_publish import (
    PUBLISHED_FIELDS,
    leaked,
    open_tables,
    patch_open_data,
    publications,
    publish,
    raw_identifiers,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def settings(settings: Settings, ckan) -> Settings:
    return settings.model_copy(
        update={"ckan_url": ckan.url, "ckan_api_token": SecretStr(ckan.api_token)}
    )


@pytest.fixture
def dataset_id(hub, population_csv, tmp_path) -> str:
    """The example population registry, under a fresh id, with the 300 test citizens."""
    dataset_id = f"population-{uuid.uuid4().hex[:8]}"
    text = (EXAMPLES / "datasets" / "population-registry.yaml").read_text(encoding="utf-8")
    text = text.replace("id: population-registry", f"id: {dataset_id}")
    register(hub, load_descriptor(text, source="population.yaml"), tmp_path)
    ingest_csv(hub, dataset_id, population_csv)
    return dataset_id


@pytest.fixture
def developer(ckan) -> Iterator[ckanapi.RemoteCKAN]:
    """CKAN as anyone on the internet sees it: no API key."""
    client = ckanapi.RemoteCKAN(ckan.url)
    yield client
    client.close()


def _current(client: ckanapi.RemoteCKAN, dataset_id: str) -> dict[str, Any]:
    package = client.action.package_show(id=dataset_id)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    resource = next(r for r in package["resources"] if r["id"] == extras[CURRENT])
    table = client.action.datastore_search(resource_id=resource["id"], limit=32000)
    return {"package": package, "extras": extras, "resource": resource, "table": table}


def test_ckan_publication_end_to_end(
    client, token, hub, ckan, developer, dataset_id, population_csv
):
    response = publish(client, token, dataset=dataset_id)  # CKAN is configured: the default
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "published" and body["target"] == "ckan"
    assert body["url"] == f"{ckan.url}/dataset/{dataset_id}"

    state = _current(developer, dataset_id)
    package, extras = state["package"], state["extras"]
    assert package["organization"]["name"] == "cong-an" and package["private"] is False
    assert package["title"].startswith("Cơ sở dữ liệu dân cư") and package["license_id"] == "cc-by"
    assert "at least 5 times" in package["notes"]
    assert int(extras["k"]) == body["k"] >= int(extras["k_requested"]) == 5
    assert int(extras["suppressed_rows"]) == body["suppressed"]
    assert int(extras["rows"]) == body["rows"]
    assert extras["source_agency"] == "cong-an" and extras["hub_version"]
    assert 0 < float(extras["avg_risk"]) <= float(extras["max_risk"]) <= 1 / 5
    assert extras["update_frequency"] == "irregular" and extras["residual_pii_findings"] == "0"
    assert [r[ROLE] for r in package["resources"]] == ["current"]
    assert state["resource"]["format"] == "CSV"

    table = state["table"]
    assert table["total"] == body["rows"]
    fields = {f["id"]: f for f in table["fields"] if f["id"] != "_id"}
    assert list(fields) == PUBLISHED_FIELDS
    info = developer.action.datastore_info(id=state["resource"]["id"])
    dictionary = {f["id"]: f.get("info", {}) for f in info["fields"]}
    assert dictionary["date_of_birth"]["label"] == "Ngày sinh"
    assert "k-anonymity" in dictionary["date_of_birth"]["notes"]
    assert dictionary["ethnicity"]["label"] == "Dân tộc"

    download = httpx.get(state["resource"]["url"], timeout=30)
    assert download.status_code == 200
    lines = download.text.splitlines()
    assert lines[0] == ",".join(PUBLISHED_FIELDS) and len(lines) - 1 == body["rows"]
    identifiers = raw_identifiers(population_csv)
    seen = json.dumps(package, ensure_ascii=False) + json.dumps(table, ensure_ascii=False)
    assert leaked(seen + download.text, identifiers) == []

    # the hub serves the same rows, and points developers at CKAN
    [listed] = client.get("/v1/open/datasets").json()["items"]
    assert listed["urls"]["ckan"] == body["url"] and listed["rows"] == body["rows"]
    assert not (hub.settings.catalog_dir / dataset_id).exists()


def test_republishing_updates_the_same_package(client, token, hub, developer, dataset_id, tmp_path):
    first = publish(client, token, dataset=dataset_id).json()
    before = _current(developer, dataset_id)
    synth.write_population(tmp_path / "more.csv", 380, seed=4)
    ingest_csv(hub, dataset_id, tmp_path / "more.csv")
    second = publish(client, token, {"target": "ckan"}, dataset=dataset_id).json()
    assert second["status"] == "published" and second["url"] == first["url"]

    after = _current(developer, dataset_id)
    assert after["package"]["id"] == before["package"]["id"]
    assert [r["id"] for r in after["package"]["resources"]] == [after["resource"]["id"]]
    assert after["resource"]["id"] != before["resource"]["id"]
    assert after["table"]["total"] == second["rows"] and after["extras"]["source_version"] == "2"
    with pytest.raises(ckanapi.NotFound):
        developer.action.resource_show(id=before["resource"]["id"])


def test_ckan_rejecting_a_field_keeps_the_previous_publication(
    client, token, hub, developer, dataset_id
):
    good = publish(client, token, dataset=dataset_id).json()
    before = _current(developer, dataset_id)
    patch_open_data(
        hub,
        dataset_id,
        {"quasi_identifiers": ["date_of_birth", "gender", "ward"], "k": 5, "tags": ["dân/số!"]},
    )
    response = publish(client, token, dataset=dataset_id)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/ckan-rejected")
    assert "CKAN rejected package_patch" in problem["detail"] and "dân/số!" in problem["detail"]

    after = _current(developer, dataset_id)
    assert after["resource"]["id"] == before["resource"]["id"]
    assert after["extras"] == before["extras"] and after["table"]["total"] == good["rows"]
    assert [r["id"] for r in after["package"]["resources"]] == [before["resource"]["id"]]
    runs = [p for p in publications(hub) if p.dataset_id == dataset_id]
    assert [p.status for p in runs] == ["published", "failed"]
    assert open_tables(hub) == {runs[0].table_name}
    records = f"/v1/open/datasets/{dataset_id}/records"
    assert len(client.get(records, params={"format": "ndjson"}).text.splitlines()) == good["rows"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("change", "status", "slug", "words"),
    [
        # nothing listens there: refused before a row is read
        ({"ckan_url": "http://127.0.0.1:{port}"}, 502, "ckan-unreachable",
         ["did not answer", "CIVICHUB_CKAN_URL"]),
        # a URL without a token is configuration the hub cannot use
        ({"ckan_api_token": None}, 503, "ckan-misconfigured", ["CIVICHUB_CKAN_API_TOKEN"]),
    ],
    ids=["unreachable", "no-token"],
)  # fmt: skip
def test_ckan_that_cannot_be_used_publishes_nothing(
    hub, token, developer, dataset_id, change, status, slug, words
):
    update = {k: v.format(port=_closed_port()) if isinstance(v, str) else v
              for k, v in change.items()}  # fmt: skip
    state = HubState.build(hub.settings.model_copy(update=update))
    try:
        with TestClient(create_app(state.settings, state=state)) as other:
            response = publish(other, token, dataset=dataset_id)
    finally:
        state.close()
    assert response.status_code == status, response.text
    assert response.json()["type"].endswith("/" + slug)
    for word in words:
        assert word in response.json()["detail"]
    with pytest.raises(ckanapi.NotFound):
        developer.action.package_show(id=dataset_id)
    assert open_tables(hub) == set()
    assert publications(hub) == []  # checked before the run started
