"""A citizen sees who read their record: agency, time, dataset, purpose, fields."""

from __future__ import annotations

import csv

import pytest

from hub.app import create_app
from hub.state import HubState

LOG = "/v1/me/access-log"


def _rows(population_csv) -> list[dict[str, str]]:
    with population_csv.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _citizen(token, citizen_id: str) -> dict[str, str]:
    tok = token(sub=f"vneid:{citizen_id}", roles=("citizen",), scopes=(), citizen_id=citizen_id)
    return {"Authorization": f"Bearer {tok}"}


def test_citizen_sees_reads_of_their_record_only(client, token, population, population_csv):
    me, other = _rows(population_csv)[:2]
    tax = {"Authorization": f"Bearer {token(agency='thue')}"}
    one = client.get(
        f"/v1/datasets/population-registry/records/{me['citizen_id']}",
        params={"purpose": "tax-administration", "fields": "citizen_id,full_name"},
        headers=tax,
    )
    assert one.status_code == 200
    page = client.get(
        "/v1/datasets/population-registry/records",
        params={"purpose": "tax-administration", "citizen_id": other["citizen_id"]},
        headers=tax,
    )
    assert len(page.json()["records"]) == 1
    mine = client.get(LOG, headers=_citizen(token, me["citizen_id"])).json()["entries"]
    assert [(e["agency"], e["dataset"], e["purpose"], e["fields"]) for e in mine] == [
        ("thue", "population-registry", "tax-administration", ["citizen_id", "full_name"])
    ]
    theirs = client.get(LOG, headers=_citizen(token, other["citizen_id"])).json()["entries"]
    assert len(theirs) == 1 and theirs[0]["fields"] != ["citizen_id", "full_name"]
    nobody = client.get(LOG, headers=_citizen(token, "001099000000")).json()["entries"]
    assert nobody == []
    # the officer's identity is not shown to the citizen
    assert "sub" not in mine[0] and "principal" not in mine[0]


@pytest.mark.parametrize(
    "claims",
    [
        {"roles": ("officer",)},  # not a citizen
        {"roles": ("citizen",), "scopes": ()},  # a citizen token without citizen_id
    ],
)
def test_only_citizen_tokens_with_an_id(client, token, claims, hub):
    if "citizen" in claims["roles"]:
        # the hub refuses to issue such a token, so sign one by hand
        import time

        import jwt

        key = hub.keyring.active()
        now = int(time.time())
        raw = jwt.encode(
            {"iss": "civichub", "aud": "civichub-api", "sub": "c", "iat": now, "exp": now + 60,
             "roles": ["citizen"], "scope": ""},
            key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"},
        )  # fmt: skip
    else:
        raw = token(**claims)
    assert client.get(LOG, headers={"Authorization": f"Bearer {raw}"}).status_code == 403


def test_covert_purposes_are_disclosed_later(client, token, hub, population, population_csv):
    me = _rows(population_csv)[0]
    police = {"Authorization": f"Bearer {token(agency='cong-an')}"}
    client.get(
        f"/v1/datasets/population-registry/records/{me['citizen_id']}",
        params={"purpose": "residence-management"},
        headers=police,
    )
    delayed = hub.settings.model_copy(update={"delayed_disclosure": "residence-management=180"})
    state = HubState(delayed, hub.engine, hub.sessions, hub.keyring, hub.tokens)
    from fastapi.testclient import TestClient

    with TestClient(create_app(delayed, state=state)) as hidden:
        entries = hidden.get(LOG, headers=_citizen(token, me["citizen_id"])).json()["entries"]
    assert entries == []
    shown = client.get(LOG, headers=_citizen(token, me["citizen_id"])).json()["entries"]
    assert [e["purpose"] for e in shown] == ["residence-management"]
