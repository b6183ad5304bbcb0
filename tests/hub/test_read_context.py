"""Reads cache what they parse, but a change is seen on the very next request."""

from __future__ import annotations

import json

import yaml

from hub.records import context
from tests.hub.conftest import EXAMPLES, bearer, load_example

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
