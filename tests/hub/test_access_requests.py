"""Access requests through the real app: ask, approve or reject, read with the grant, expire."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.access.models import AccessRequest
from hub.audit import service as audit
from hub.audit.models import AuditEntry
from policies.engine import HCMC_TZ
from tests.hub.conftest import bearer, hub_cli

REQUESTS = "/v1/access-requests"
RECORDS = "/v1/datasets/population-registry/records"

# tax officers have rule tax-identity-check for tax-administration; tax-audit is new
THUE_OFFICER = {"sub": "thue-1", "agency": "thue", "roles": ("officer",)}
THUE_OFFICER_2 = {"sub": "thue-2", "agency": "thue", "roles": ("officer",)}
YTE_OFFICER = {"sub": "yte-1", "agency": "y-te", "roles": ("officer",)}
OWNER_STEWARD = {"sub": "ca-steward", "agency": "cong-an", "roles": ("steward",),
                 "scopes": ("policies:write",)}  # fmt: skip
OTHER_STEWARD = {**OWNER_STEWARD, "sub": "thue-steward", "agency": "thue"}
ADMIN = {"sub": "root", "agency": "so-tttt", "roles": ("admin",), "scopes": ("policies:write",)}
AUDITOR = {"sub": "aud", "agency": "thanh-tra", "roles": ("auditor",), "scopes": ("audit:read",)}

ASK = {
    "dataset": "population-registry",
    "purpose": "tax-audit",
    "fields": ["citizen_id", "full_name", "phone", "ward"],
    "justification": "Audit of 2025 income tax refunds, case 12/TTr",
    "days": 30,
}


def _h(token, who) -> dict[str, str]:
    return bearer(token(**who))


def _ask(client, token, who=THUE_OFFICER, **changes):
    return client.post(REQUESTS, json={**ASK, **changes}, headers=_h(token, who))


def _read(client, token, who=THUE_OFFICER, purpose="tax-audit", **params):
    return client.get(RECORDS, params={"purpose": purpose, **params}, headers=_h(token, who))


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {r["citizen_id"]: r for r in csv.DictReader(fh)}


def _audit(hub, event: str) -> list[AuditEntry]:
    with hub.sessions() as session:
        rows = session.scalars(sa.select(AuditEntry).where(AuditEntry.event == event)).all()
    return sorted(rows, key=lambda e: e.seq)


def test_request_approve_then_read_through_the_grant(client, token, hub, population,
                                                     population_csv):  # fmt: skip
    assert _read(client, token).status_code == 403  # no rule for tax-audit yet
    created = _ask(client, token)
    assert created.status_code == 201, created.text
    req = created.json()
    assert req["status"] == "pending" and req["requester_agency"] == "thue"
    assert req["grant"] is None and req["active"] is False
    assert _read(client, token).status_code == 403  # pending grants nothing

    approved = client.post(
        f"{REQUESTS}/{req['id']}/approve",
        json={
            "fields": {
                "citizen_id": "keep",
                "full_name": "keep",
                "phone": {"mask": {"keep_last": 2}},
            },
            "reason": "case confirmed",
        },
        headers=_h(token, OWNER_STEWARD),
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    last_day = datetime.now(HCMC_TZ).date() + timedelta(days=30)
    assert body["status"] == "approved" and body["active"] is True
    assert body["decided_by"] == "ca-steward" and body["decision_reason"] == "case confirmed"
    assert body["grant"] == {
        "id": f"grant-{req['id']}",
        "description": body["grant"]["description"],
        "agencies": ["thue"],
        "roles": ["officer"],
        "purposes": ["tax-audit"],
        "fields": {"citizen_id": "keep", "full_name": "keep", "phone": {"mask": {"keep_last": 2}}},
        "row_filter": {},
        "expires": last_day.isoformat(),
    }
    # expires_at: the instant the last day ends in Ho Chi Minh City
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.astimezone(HCMC_TZ) == datetime.combine(
        last_day + timedelta(days=1), datetime.min.time(), tzinfo=HCMC_TZ
    )

    page = _read(client, token, limit=5)
    assert page.status_code == 200, page.text
    source = _rows(population_csv)
    for record in page.json()["records"]:
        assert set(record) == {"citizen_id", "full_name", "phone"}  # ward was not granted
        raw = source[record["citizen_id"]]
        assert record["full_name"] == raw["full_name"]
        if raw["phone"]:
            assert record["phone"] == "*" * (len(raw["phone"]) - 2) + raw["phone"][-2:]
    # the grant is the agency's: another tax officer may use it; a health officer may not
    assert _read(client, token, THUE_OFFICER_2, limit=1).status_code == 200
    assert _read(client, token, YTE_OFFICER).status_code == 403
    # the grant adds a purpose, it does not change the policy's own rule
    assert _read(client, token, purpose="tax-administration", limit=1).json()["records"][0]["ward"]
    read = _audit(hub, "records.read")[-3]
    assert read.rule_id == f"grant-{req['id']}" and read.purpose == "tax-audit"


def test_approving_a_subset_keeps_those_fields_unchanged(client, token, population):
    req = _ask(client, token).json()
    response = client.post(
        f"{REQUESTS}/{req['id']}/approve",
        json={"fields": ["citizen_id", "ward"]},
        headers=_h(token, ADMIN),
    )
    assert response.status_code == 200, response.text
    assert response.json()["grant"]["fields"] == {"citizen_id": "keep", "ward": "keep"}
    records = _read(client, token, limit=3).json()["records"]
    assert records and all(set(r) == {"citizen_id", "ward"} for r in records)


def test_approve_without_body_grants_every_requested_field(client, token, population):
    req = _ask(client, token).json()
    response = client.post(f"{REQUESTS}/{req['id']}/approve", headers=_h(token, OWNER_STEWARD))
    assert response.status_code == 200, response.text
    assert list(response.json()["grant"]["fields"]) == ASK["fields"]


@pytest.mark.parametrize(
    ("approval", "needle"),
    [
        ({"fields": ["citizen_id", "ethnicity"]}, "not requested"),  # widening the request
        ({"fields": {"notes": "keep"}}, "not requested"),
        ({"fields": {"phone": {"generalize": "year"}}}, "does not fit"),  # wrong type
        ({"fields": {"full_name": {"mask": {"keep_lots": 1}}}}, "keep_lots"),  # bad option
        ({"fields": {"full_name": "shred"}}, "unknown treatment"),
        ({"fields": {"full_name": "drop", "ward": "drop"}}, "every granted field is dropped"),
        ({"fields": []}, "at least one field"),
    ],
)
def test_bad_approvals_are_refused_and_the_request_stays_pending(
    client, token, population, approval, needle
):
    req = _ask(client, token).json()
    response = client.post(
        f"{REQUESTS}/{req['id']}/approve", json=approval, headers=_h(token, OWNER_STEWARD)
    )
    assert response.status_code == 422, response.text
    assert needle in response.text
    shown = client.get(f"{REQUESTS}/{req['id']}", headers=_h(token, OWNER_STEWARD)).json()
    assert shown["status"] == "pending" and shown["grant"] is None
    assert _read(client, token).status_code == 403


def test_reject_needs_a_reason_and_decisions_are_final(client, token, hub, population):
    req = _ask(client, token).json()
    url = f"{REQUESTS}/{req['id']}"
    steward = _h(token, OWNER_STEWARD)
    assert client.post(f"{url}/reject", headers=steward).status_code == 400  # no body
    blank = client.post(f"{url}/reject", json={"reason": "  "}, headers=steward)
    assert blank.status_code == 422 and "reason" in blank.json()["detail"]
    rejected = client.post(f"{url}/reject", json={"reason": "case closed"}, headers=steward)
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_reason"] == "case closed"
    for action, body in (("approve", {}), ("reject", {"reason": "again"})):
        again = client.post(f"{url}/{action}", json=body, headers=steward)
        assert again.status_code == 409, again.text
        assert "already rejected" in again.json()["detail"]
        assert again.json()["status"] == 409 and again.json()["request_status"] == "rejected"
    assert _read(client, token).status_code == 403
    entry = _audit(hub, "access.rejected")[-1]
    assert entry.decision == "deny" and entry.detail["access_request"] == req["id"]


def test_approving_twice_is_409(client, token, population):
    req = _ask(client, token).json()
    url = f"{REQUESTS}/{req['id']}/approve"
    assert client.post(url, headers=_h(token, OWNER_STEWARD)).status_code == 200
    second = client.post(url, json={"fields": ["ward"]}, headers=_h(token, ADMIN))
    assert second.status_code == 409
    assert "already approved" in second.json()["detail"]


def test_steward_of_another_agency_may_not_decide_or_see(client, token, population):
    req = _ask(client, token).json()
    url = f"{REQUESTS}/{req['id']}"
    other = _h(token, OTHER_STEWARD)
    for action, body in (("approve", {}), ("reject", {"reason": "no"})):
        response = client.post(f"{url}/{action}", json=body, headers=other)
        assert response.status_code == 403, response.text
        assert "owning agency cong-an" in response.json()["detail"]
    assert client.get(url, headers=other).status_code == 403
    # the requesting officer may not decide their own request either
    assert client.post(f"{url}/approve", headers=_h(token, THUE_OFFICER)).status_code == 403
    assert client.get(url, headers=_h(token, OWNER_STEWARD)).json()["status"] == "pending"
    assert client.post(f"{REQUESTS}/999999/approve", headers=_h(token, ADMIN)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "status", "needle"),
    [
        ({"fields": ["citizen_id", "shoe_size"]}, 422, "shoe_size"),  # unknown field
        ({"fields": []}, 422, "at least one field"),
        ({"days": 0}, 422, "1 to 365"),
        ({"days": 366}, 422, "1 to 365"),
        ({"days": "30"}, 400, "days"),  # not a number
        ({"days": 2.5}, 400, "days"),
        ({"justification": "   "}, 422, "justification"),
        ({"purpose": "Tax Audit!"}, 422, "slug"),
        ({"purpose": "tax-administration"}, 409, "tax-identity-check"),  # already allowed
        ({"dataset": "no-such-dataset"}, 404, "no-such-dataset"),
        ({"feilds": ["ward"]}, 400, "feilds"),  # a typo is an error, not ignored
    ],
)
def test_bad_requests_get_clear_errors(client, token, population, changes, status, needle):
    response = _ask(client, token, **changes)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert needle in response.text


def test_missing_justification_is_400(client, token, population):
    body = {k: v for k, v in ASK.items() if k != "justification"}
    response = client.post(REQUESTS, json=body, headers=_h(token, THUE_OFFICER))
    assert response.status_code == 400
    assert "justification" in response.json()["detail"]


def test_a_dataset_without_policy_cannot_be_requested(client, token, population):
    descriptor = {
        "id": "ward-survey",
        "title": "Ward survey",
        "agency": "cong-an",
        "classification": "internal",
        "primary_key": "household_id",
        "source": {"connector": "csv", "path": "survey.csv"},
        "fields": [{"name": "household_id", "type": "integer"}],
    }
    steward = {**OWNER_STEWARD, "scopes": ("datasets:write",)}
    assert (
        client.post("/v1/datasets", json=descriptor, headers=_h(token, steward)).status_code == 201
    )
    response = _ask(client, token, dataset="ward-survey", fields=["household_id"])
    assert response.status_code == 409
    assert "no access policy" in response.json()["detail"]


def test_a_second_pending_request_for_the_same_purpose_is_409(client, token, population):
    first = _ask(client, token).json()
    again = _ask(client, token, fields=["ward"])
    assert again.status_code == 409 and again.json()["access_request"] == first["id"]
    # another purpose, or another officer, may ask
    assert _ask(client, token, purpose="tax-statistics").status_code == 201
    assert _ask(client, token, THUE_OFFICER_2).status_code == 201


def test_only_officers_may_ask(client, token, population):
    for who in (OWNER_STEWARD, ADMIN, AUDITOR, {"roles": ("developer",), "agency": "thue"}):
        assert _ask(client, token, who).status_code == 403, who
    no_scope = {**THUE_OFFICER, "scopes": ()}
    assert _ask(client, token, no_scope).status_code == 403
    no_agency = {**THUE_OFFICER, "agency": None}
    response = _ask(client, token, no_agency)
    assert response.status_code == 422 and "agency" in response.json()["detail"]


def test_expiry_takes_effect_without_a_restart(client, token, hub, population):
    req = _ask(client, token, days=1).json()
    approve = client.post(f"{REQUESTS}/{req['id']}/approve", headers=_h(token, OWNER_STEWARD))
    assert approve.status_code == 200
    assert _read(client, token, limit=1).status_code == 200
    with hub.sessions.begin() as session:
        row = session.get(AccessRequest, req["id"])
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    # same app, same client: the next read no longer finds the grant
    denied = _read(client, token, limit=1)
    assert denied.status_code == 403, denied.text
    assert denied.json()["code"] == "purpose_not_allowed"  # tax-audit is gone
    shown = client.get(f"{REQUESTS}/{req['id']}", headers=_h(token, THUE_OFFICER)).json()
    assert shown["status"] == "approved" and shown["active"] is False
    # and the officer may ask again
    assert _ask(client, token).status_code == 201


def test_listing_shows_each_role_what_it_may_see(client, token, population):
    tax = _ask(client, token).json()
    health = _ask(client, token, YTE_OFFICER, purpose="epidemic-study").json()
    client.post(f"{REQUESTS}/{tax['id']}/reject", json={"reason": "no"},
                headers=_h(token, OWNER_STEWARD))  # fmt: skip

    def ids(who, **params) -> list[int]:
        response = client.get(REQUESTS, params=params, headers=_h(token, who))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(OWNER_STEWARD) == [health["id"], tax["id"]]  # newest first
    assert ids(ADMIN) == [health["id"], tax["id"]]
    assert ids(OTHER_STEWARD) == []  # thue owns no dataset here
    assert ids(THUE_OFFICER) == [tax["id"]]  # officers see their own
    assert ids(YTE_OFFICER) == [health["id"]]
    assert ids(OWNER_STEWARD, status="pending") == [health["id"]]
    assert ids(OWNER_STEWARD, dataset="population-registry", status="rejected") == [tax["id"]]
    assert (
        client.get(f"{REQUESTS}/{health['id']}", headers=_h(token, THUE_OFFICER)).status_code == 403
    )
    assert client.get(REQUESTS, headers=_h(token, AUDITOR)).status_code == 403
    assert (
        client.get(REQUESTS, params={"status": "lost"}, headers=_h(token, ADMIN)).status_code == 400
    )


def test_the_lifecycle_is_audited_in_the_chain(client, token, hub, population):
    req = _ask(client, token).json()
    client.post(f"{REQUESTS}/{req['id']}/approve", headers=_h(token, OWNER_STEWARD))
    _read(client, token, limit=2)
    asked = _audit(hub, "access.requested")[-1]
    assert (asked.principal, asked.agency, asked.purpose) == ("thue-1", "thue", "tax-audit")
    assert asked.fields == ASK["fields"] and asked.detail["access_request"] == req["id"]
    approved = _audit(hub, "access.approved")[-1]
    assert approved.principal == "ca-steward" and approved.rule_id == f"grant-{req['id']}"
    assert approved.detail["requester_agency"] == "thue"
    read = _audit(hub, "records.read")[-1]
    assert read.rule_id == f"grant-{req['id']}" and read.row_count == 2
    with hub.sessions() as session:
        assert audit.verify(session).intact


# -- the CLI -------------------------------------------------------------------------------


def test_cli_request_approve_reject_list(client, token, hub, population):
    asked = hub_cli(
        hub, "access", "request", "population-registry", "--agency", "thue",
        "--requester", "thue-1", "--purpose", "tax-audit", "--fields", "citizen_id,phone,ward",
        "--justification", "paper request 45/CV", "--days", "7",
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert "pending" in asked.stdout
    first = hub_cli(hub, "access", "list", "--json")
    (item,) = json.loads(first.stdout)
    assert (item["requester"], item["status"], item["days"]) == ("thue-1", "pending", 7)
    approved = hub_cli(
        hub, "access", "approve", str(item["id"]), "--treatments",
        '{"citizen_id": "keep", "phone": {"mask": {"keep_last": 3}}}',
    )  # fmt: skip
    assert approved.returncode == 0, approved.stderr
    assert f"grant-{item['id']}" in approved.stdout
    # the officer reads through the grant the operator approved
    records = _read(client, token, limit=2).json()["records"]
    assert records and all(set(r) == {"citizen_id", "phone"} for r in records)
    other = hub_cli(
        hub, "access", "request", "population-registry", "--agency", "xay-dung",
        "--purpose", "planning", "--fields", "ward", "--justification", "zoning",
    )  # fmt: skip
    assert other.returncode == 0, other.stderr
    second = json.loads(hub_cli(hub, "access", "list", "--json", "--status", "pending").stdout)
    assert [i["requester_agency"] for i in second] == ["xay-dung"]
    assert second[0]["requester"].startswith("cli:")  # filed by the operator
    rejected = hub_cli(hub, "access", "reject", str(second[0]["id"]), "--reason", "not needed")
    assert rejected.returncode == 0, rejected.stderr
    table = hub_cli(hub, "access", "list").stdout
    assert "rejected" in table and "approved" in table
    again = hub_cli(hub, "access", "approve", str(item["id"]))  # decided: one clear line
    assert again.returncode != 0 and again.stderr.count("\n") == 1
    assert "already approved" in again.stderr
    entry = _audit(hub, "access.requested")[-1]
    assert entry.detail["entered_by"].startswith("cli:")
