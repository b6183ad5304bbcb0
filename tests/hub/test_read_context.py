"""Reads cache what they parse, but a change is seen on the very next request."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
import yaml

from hub.datasets.models import Dataset
from hub.errors import NotFound
from hub.records import context
from hub.state import HubState
from tests.hub.conftest import EXAMPLES, bearer, ingest_csv, load_example

TAX = {"agency": "thue", "roles": ("officer",)}
STEWARD = {
    "sub": "steward",
    "agency": "cong-an",
    "roles": ("steward",),
    "scopes": ("policies:write", "datasets:write"),
}
DATASET = "population-registry"
RECORDS = f"/v1/datasets/{DATASET}/records"


def _policy(**tax_fields: object) -> dict:
    policy = yaml.safe_load((EXAMPLES / "policies" / f"{DATASET}.yaml").read_text())
    for rule in policy["rules"]:
        if rule["id"] == "tax-identity-check":
            rule["fields"].update(tax_fields)
    return json.loads(json.dumps(policy, default=str))  # YAML dates as the API takes them


def _snapshot(hub: HubState) -> context.DatasetSnapshot:
    with hub.reads() as session:
        return hub.parsed.snapshot(session, DATASET)


def _sql(hub: HubState, statement: str, **params: object) -> None:
    """A change straight in the database, as no code path of the hub makes it: the cache
    must see it without any writer's cooperation."""
    with hub.sessions() as session:
        session.execute(sa.text(statement), params)
        session.commit()


def _first(client, headers) -> dict:
    response = client.get(
        RECORDS, params={"purpose": "tax-administration", "limit": 1}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["records"][0]


def _one(client, headers, key: str):
    return client.get(f"{RECORDS}/{key}", params={"purpose": "tax-administration"}, headers=headers)


def test_a_new_policy_applies_to_the_next_read(client, token, population):
    officer, steward = bearer(token(**TAX)), bearer(token(**STEWARD))
    record = _first(client, officer)
    assert "full_name" in record and len(record["full_name"]) > 3
    key = record["citizen_id"]
    assert "full_name" in _one(client, officer, key).json()  # parsed and cached now

    put = client.put(
        f"/v1/datasets/{DATASET}/policy", json=_policy(full_name="drop"), headers=steward
    )
    assert put.status_code == 200, put.text
    assert "full_name" not in _first(client, officer)
    assert "full_name" not in _one(client, officer, key).json()


def test_a_patched_descriptor_is_parsed_again(client, token, hub, population):
    steward = bearer(token(**STEWARD))
    _first(client, bearer(token(**TAX)))
    with hub.sessions() as session:
        before = hub.parsed.descriptor(context.load(session, DATASET))
    fields = [f.model_dump(mode="json", exclude_none=True) for f in before.fields]
    fields[1]["description"] = "changed by a steward"
    patched = client.patch(f"/v1/datasets/{DATASET}", json={"fields": fields}, headers=steward)
    assert patched.status_code == 200, patched.text
    with hub.sessions() as session:
        after = hub.parsed.descriptor(context.load(session, DATASET))
    assert after.fields[1].description == "changed by a steward"
    assert before.fields[1].description != "changed by a steward"


def test_a_dataset_registered_again_does_not_inherit_the_old_policy(
    client, token, hub, population, population_csv
):
    officer, admin = (
        bearer(token(**TAX)),
        bearer(token(sub="admin", agency="cong-an", roles=("admin",), scopes=("datasets:write",))),
    )
    key = _first(client, officer)["citizen_id"]
    assert _one(client, officer, key).status_code == 200  # old policy cached
    assert client.delete(f"/v1/datasets/{DATASET}", headers=admin).status_code in (200, 204)
    load_example(hub, DATASET, population_csv)  # same id, same policy numbers (1)
    steward = bearer(token(**STEWARD))
    closed = _policy()
    closed["rules"] = [r for r in closed["rules"] if r["id"] != "tax-identity-check"]
    put = client.put(f"/v1/datasets/{DATASET}/policy", json=closed, headers=steward)
    assert put.status_code == 200, put.text
    assert _one(client, officer, key).status_code == 403


def test_an_unchanged_dataset_reuses_its_snapshot_beyond_the_session(hub, population):
    first = _snapshot(hub)
    second = _snapshot(hub)
    assert second.dataset is first.dataset and second.version is first.version
    # the session that loaded them is closed and committed: they are copies, still readable
    assert second.dataset.id == DATASET
    assert second.version is not None and second.version.number == population.version


@pytest.mark.parametrize(
    ("statement", "seen"),
    [
        ("UPDATE datasets SET classification = 'secret'", lambda s: s.dataset.classification),
        ("UPDATE datasets SET title = 'renamed'", lambda s: s.dataset.title),
        (
            "UPDATE dataset_versions SET rows_written = rows_written + 1",
            lambda s: s.version.rows_written,
        ),
    ],
    ids=["classification", "title", "version-row"],
)
def test_any_column_changed_in_the_database_is_seen_on_the_next_read(
    hub, population, statement, seen
):
    before = _snapshot(hub)
    _sql(hub, statement)
    after = _snapshot(hub)
    assert after.dataset is not before.dataset
    assert seen(after) != seen(before)


def test_a_descriptor_changed_in_the_database_is_parsed_again(hub, population):
    before = _snapshot(hub)
    with hub.sessions() as session:
        dataset = session.scalars(sa.select(Dataset).where(Dataset.id == DATASET)).one()
        descriptor = json.loads(json.dumps(dataset.descriptor))
        descriptor["fields"][1]["description"] = "edited in the database"
        dataset.descriptor = descriptor
        session.commit()
    after = _snapshot(hub)
    assert after.descriptor_key != before.descriptor_key
    assert hub.parsed.descriptor(after).fields[1].description == "edited in the database"


def test_a_new_version_is_read_at_once(hub, population, population_csv):
    before = _snapshot(hub)
    second = ingest_csv(hub, DATASET, population_csv)
    after = _snapshot(hub)
    assert before.version is not None and after.version is not None
    assert after.version.number == second.version != before.version.number


def test_policy_number_and_grant_count_are_never_taken_from_the_cache(hub, population):
    before = _snapshot(hub)
    _sql(
        hub,
        "INSERT INTO policy_versions (dataset_pk, version, document, applied_by, applied_at) "
        "SELECT dataset_pk, version + 1, document, applied_by, applied_at FROM policy_versions "
        "WHERE version = (SELECT max(version) FROM policy_versions)",
    )
    after = _snapshot(hub)
    assert after.dataset is before.dataset  # the dataset's rows did not change
    assert after.policy_version == (before.policy_version or 0) + 1


def test_a_dataset_gone_is_not_found_although_its_snapshot_was_cached(hub, population):
    _snapshot(hub)
    _sql(hub, "UPDATE datasets SET id = 'renamed-away'")
    with pytest.raises(NotFound):
        _snapshot(hub)
