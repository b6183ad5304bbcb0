"""Registering, changing, deleting and ingesting datasets over HTTP."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hub.datasets.models import DatasetVersion

STEWARD = {"agency": "cong-an", "roles": ("steward",), "scopes": ("datasets:write",)}

DESCRIPTOR = """\
id: wards-survey
title: Ward survey
agency: cong-an
classification: internal
primary_key: household_id
source: {connector: csv, path: survey.csv}
fields:
  - {name: household_id, type: integer}
  - {name: head_name, type: string, pii: PERSON}
  - {name: members, type: integer}
  - {name: surveyed_on, type: date}
"""

CSV_OK = (
    "household_id,head_name,members,surveyed_on\n"
    "1,Nguyễn Văn An,4,2025-03-01\n"
    "2,Lê Thị Bình,2,02/03/2025\n"
    "3,Trần Văn Cường,5,2025-03-04\n"
)


def _h(token, **claims) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(**claims)}"}


def _register(client, token, text=DESCRIPTOR, content_type="application/yaml"):
    headers = {**_h(token, **STEWARD), "Content-Type": content_type}
    return client.post("/v1/datasets", content=text.encode(), headers=headers)


def test_register_yaml_and_json_then_list_and_show(client, token):
    created = _register(client, token)
    assert created.status_code == 201, created.text
    assert created.json()["current_version"] is None
    as_json = json.dumps({**json.loads(json.dumps(_yaml(DESCRIPTOR))), "id": "wards-survey-2"})
    assert _register(client, token, as_json, "application/json").status_code == 201
    listing = client.get("/v1/datasets", headers=_h(token, agency="thue")).json()
    assert [d["id"] for d in listing["items"]] == ["wards-survey", "wards-survey-2"]
    shown = client.get("/v1/datasets/wards-survey", headers=_h(token, agency="thue")).json()
    assert shown["descriptor"]["fields"][1]["pii"] == "PERSON"


def _yaml(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)


@pytest.mark.parametrize(
    ("edit", "status", "needle"),
    [
        (("classification: internal", "classification: secret"), 422, "secret"),  # state secrets
        (("type: integer}", "type: int}"), 422, "line 8"),  # bad type, named with its line
        (("primary_key: household_id", "primary_key: nope"), 422, "primary_key"),  # unknown pk
        (("id: wards-survey", "id: Wards Survey"), 422, "slug"),  # bad id
        (("title: Ward survey\n", "title: Ward survey\ncolour: red\n"), 422, "colour"),  # typo key
    ],
)
def test_bad_descriptors_are_refused_with_what_to_fix(client, token, edit, status, needle):
    response = _register(client, token, DESCRIPTOR.replace(*edit))
    assert response.status_code == status, response.text
    assert needle in json.dumps(response.json())


def test_steward_of_another_agency_cannot_register_or_change(client, token):
    other = {**STEWARD, "agency": "thue"}
    headers = {**_h(token, **other), "Content-Type": "application/yaml"}
    assert (
        client.post("/v1/datasets", content=DESCRIPTOR.encode(), headers=headers).status_code == 403
    )
    assert _register(client, token).status_code == 201
    patch = client.patch(
        "/v1/datasets/wards-survey", json={"title": "x"}, headers=_h(token, **other)
    )
    assert patch.status_code == 403


def test_duplicate_registration_is_409(client, token):
    assert _register(client, token).status_code == 201
    assert _register(client, token).status_code == 409


def test_patch_changes_metadata_but_not_field_types(client, token):
    _register(client, token)
    headers = _h(token, **STEWARD)
    ok = client.patch("/v1/datasets/wards-survey", json={"title": "Khảo sát hộ"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["title"] == "Khảo sát hộ"
    fields = _yaml(DESCRIPTOR)["fields"]
    fields[2]["type"] = "string"
    bad = client.patch("/v1/datasets/wards-survey", json={"fields": fields}, headers=headers)
    assert bad.status_code == 409
    secret = client.patch(
        "/v1/datasets/wards-survey", json={"classification": "secret"}, headers=headers
    )
    assert secret.status_code == 422


def _upload(client, token, body: str):
    headers = {**_h(token, **STEWARD), "Content-Type": "text/csv"}
    return client.post("/v1/datasets/wards-survey/ingest", content=body.encode(), headers=headers)


def test_ingest_upload_creates_versions_and_quarantines(client, token, hub):
    _register(client, token)
    first = _upload(client, token, CSV_OK)
    assert first.status_code == 200, first.text
    assert first.json()["rows_written"] == 3 and first.json()["version"] == 1
    # one bad date, one bad integer, one duplicate key: quarantined, the rest lands
    second = _upload(
        client,
        token,
        CSV_OK
        + "4,Phạm Văn Dũng,3,31/02/2025\n5,Võ Thị E,many,2025-03-05\n1,Dup,1,2025-03-06\n"
        + "".join(f"{i},Người {i},1,2025-04-01\n" for i in range(6, 30)),
    )
    body = second.json()
    assert second.status_code == 200, second.text
    assert (body["rows_read"], body["rows_written"], body["rows_rejected"]) == (30, 27, 3)
    reasons = " ".join(r["reason"] for r in body["rejected_sample"])
    assert "surveyed_on" in reasons and "members" in reasons and "duplicate" in reasons
    shown = client.get("/v1/datasets/wards-survey", headers=_h(token, **STEWARD)).json()
    assert shown["current_version"]["number"] == 2


def test_failed_ingest_keeps_the_previous_version(client, token, hub):
    _register(client, token)
    assert _upload(client, token, CSV_OK).status_code == 200
    # header lacks a field: a structural error, nothing written
    broken = _upload(client, token, "household_id,head_name\n9,X\n")
    assert broken.status_code == 422
    assert "members" in broken.json()["detail"]
    # mostly invalid rows: refused, previous version stays current
    junk = _upload(client, token, "household_id,head_name,members,surveyed_on\n" + "x,y,z,w\n" * 10)
    assert junk.status_code == 422
    assert "previous version" in junk.json()["detail"]
    with hub.sessions() as session:
        versions = session.execute(
            sa.select(DatasetVersion.number, DatasetVersion.status).order_by(DatasetVersion.number)
        ).all()
    assert [(n, s) for n, s in versions] == [(1, "ready"), (2, "failed"), (3, "failed")]
    shown = client.get("/v1/datasets/wards-survey", headers=_h(token, **STEWARD)).json()
    assert shown["current_version"]["number"] == 1
    assert shown["current_version"]["rows_written"] == 3


def test_delete_removes_dataset_and_its_tables(client, token, hub):
    _register(client, token)
    _upload(client, token, CSV_OK)
    with hub.sessions() as session:
        table = session.scalar(sa.select(DatasetVersion.table_name))
    assert (
        client.delete("/v1/datasets/wards-survey", headers=_h(token, **STEWARD)).status_code == 204
    )
    assert client.get("/v1/datasets/wards-survey", headers=_h(token, **STEWARD)).status_code == 404
    assert not sa.inspect(hub.engine).has_table(table)


def test_unknown_dataset_is_404(client, token):
    response = client.get("/v1/datasets/nope", headers=_h(token, **STEWARD))
    assert response.status_code == 404
    assert "civichub dataset list" in response.json()["detail"]
