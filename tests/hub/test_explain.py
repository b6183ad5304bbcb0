"""POST /v1/policy/explain and `civichub policy explain`; bad policy input through HTTP.

The population-registry example policy has three rules: tax-identity-check (thue
officers, tax-administration), health-ward-care (y-te officers, row filter on the token's
ward) and police-full (cong-an officers and stewards, residence-management).
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
import yaml

from hub.audit.models import AuditEntry
from tests.hub.conftest import EXAMPLES, bearer, hub_cli

EXPLAIN = "/v1/policy/explain"
DATASET = "population-registry"
POLICY_URL = f"/v1/datasets/{DATASET}/policy"
RECORDS = f"/v1/datasets/{DATASET}/records"

TAX = {"sub": "thue-1", "agency": "thue", "roles": ("officer",)}
HEALTH = {"sub": "yte-1", "agency": "y-te", "roles": ("officer",)}
STEWARD = {"sub": "ca-steward", "agency": "cong-an", "roles": ("steward",),
           "scopes": ("policies:write",)}  # fmt: skip
OTHER_STEWARD = {**STEWARD, "sub": "thue-steward", "agency": "thue"}
ADMIN = {"sub": "root", "agency": "so-tttt", "roles": ("admin",), "scopes": ("policies:write",)}


def _explain(client, token, who, **body):
    return client.post(EXPLAIN, json={"dataset": DATASET, **body}, headers=bearer(token(**who)))


def test_own_access_rule_fields_and_cap(client, token, population):
    response = _explain(client, token, TAX, purpose="tax-administration")
    assert response.status_code == 200, response.text
    a = response.json()
    assert a["allowed"] is True and a["code"] == "rule_matched"
    assert a["rule_id"] == "tax-identity-check" and a["policy_version"] == 1
    assert a["principal"]["agency"] == "thue" and a["principal"]["sub"] == "thue-1"
    assert a["max_rows"] == 100 and a["row_filter"] == {}
    fields = a["fields"]
    assert list(fields) == [  # every field of the dataset, in descriptor order
        "citizen_id", "full_name", "date_of_birth", "gender", "phone", "address", "ward",
        "ethnicity", "notes",
    ]  # fmt: skip
    assert fields["citizen_id"] == {
        "visible": True, "treatment": "keep", "description": "returned as stored",
        "filterable": True,
    }  # fmt: skip
    assert fields["phone"]["treatment"] == {"mask": {"keep_last": 3}}
    assert fields["phone"]["filterable"] is False  # masked: filtering would probe it
    assert fields["date_of_birth"]["treatment"] == {"generalize": "year"}
    assert fields["ethnicity"] == {
        "visible": False, "treatment": None, "filterable": False,
        "description": "not returned: rule 'tax-identity-check' drops it",
    }  # fmt: skip
    # an officer sees the rules that apply to them, not other agencies' rules
    assert [(r["rule_id"], r["outcome"]) for r in a["rules"]] == [("tax-identity-check", "matched")]
    assert a["other_rules"] == 2


@pytest.mark.parametrize(
    ("who", "body", "code", "purposes"),
    [
        (TAX, {}, "purpose_required", ["tax-administration"]),  # no purpose: what may I use?
        (TAX, {"purpose": "marketing"}, "purpose_not_allowed", ["tax-administration"]),
        ({**TAX, "agency": "xay-dung"}, {"purpose": "planning"}, "no_matching_rule", []),
        ({**TAX, "scopes": ()}, {"purpose": "tax-administration"}, "missing_scope", []),
        (HEALTH, {"purpose": "healthcare"}, "missing_attribute", []),  # no ward in the token
    ],
)
def test_why_no_rule_matched(client, token, population, who, body, code, purposes):
    response = _explain(client, token, who, **body)
    assert response.status_code == 200, response.text
    a = response.json()
    assert a["allowed"] is False and a["code"] == code, a["reason"]
    assert a["reason"] and a["allowed_purposes"] == purposes
    assert all(not f["visible"] for f in a["fields"].values())


def test_row_filter_is_resolved_from_the_token(client, token, population):
    who = {**HEALTH, "attrs": {"ward": "phuong-ben-thanh"}}
    a = _explain(client, token, who, purpose="healthcare").json()
    assert a["allowed"] and a["rule_id"] == "health-ward-care"
    assert a["row_filter"] == {"ward": ["phuong-ben-thanh"]}
    assert a["fields"]["citizen_id"]["treatment"] == "pseudonymize"
    assert a["fields"]["notes"]["description"] == "not returned: rule 'health-ward-care' drops it"


def test_fields_subset_and_unknown_fields(client, token, population):
    a = _explain(client, token, TAX, purpose="tax-administration", fields=["phone", "ethnicity"])
    assert list(a.json()["fields"]) == ["phone", "ethnicity"]
    as_text = _explain(client, token, TAX, purpose="tax-administration", fields="phone, ward")
    assert list(as_text.json()["fields"]) == ["phone", "ward"]
    unknown = _explain(client, token, TAX, purpose="tax-administration", fields=["shoe_size"])
    assert unknown.status_code == 400
    assert unknown.json()["type"].endswith("/unknown-field")
    assert "shoe_size" in unknown.json()["detail"]


def test_stewards_and_admins_explain_someone_else(client, token, population):
    claims = {"agency": "thue", "roles": ["officer"], "sub": "thue-9"}
    for who in (STEWARD, ADMIN):
        response = _explain(client, token, who, purpose="tax-administration", principal=claims)
        assert response.status_code == 200, response.text
        a = response.json()
        assert a["allowed"] and a["rule_id"] == "tax-identity-check"
        assert a["principal"]["sub"] == "thue-9" and a["principal"]["scope"] == "records:read"
        # who may read the policy sees every rule and why it did not match
        assert [r["outcome"] for r in a["rules"]] == ["matched", "other_agency", "other_agency"]
        assert a["other_rules"] == 0
    # roles as a string, attrs for a row filter
    health = {"agency": "y-te", "roles": "officer", "attrs": {"ward": "phuong-sai-gon"}}
    a = _explain(client, token, STEWARD, purpose="healthcare", principal=health).json()
    assert a["row_filter"] == {"ward": ["phuong-sai-gon"]}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (OTHER_STEWARD, 403),  # a steward of another agency may not read this policy
        (TAX, 403),  # officers explain their own access only
        ({**STEWARD, "roles": ("auditor",)}, 403),
    ],
)
def test_explaining_someone_else_needs_the_policy(client, token, population, who, status):
    claims = {"agency": "thue", "roles": ["officer"]}
    response = _explain(client, token, who, purpose="tax-administration", principal=claims)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("principal", "needle"),
    [
        ({"agency": "thue", "roles": ["wizard"]}, "roles"),  # unknown role
        ({"agency": "thue", "roles": ["officer"], "scope": "records:write"}, "unknown scope"),
        ({"agency": "thue", "roles": ["officer"], "group": "x"}, "group"),  # unknown claim
        ({"agency": "thue"}, "roles"),  # roles are required
    ],
)
def test_bad_principal_claims_are_400(client, token, population, principal, needle):
    response = _explain(client, token, STEWARD, purpose="p", principal=principal)
    assert response.status_code == 400
    assert needle in response.json()["detail"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ({"roles": ("developer",), "agency": "thue"}, 403),
        ({"roles": ("auditor",), "scopes": ("audit:read",)}, 403),
        ({"roles": ("citizen",), "scopes": (), "citizen_id": "079090001234"}, 403),
    ],
)
def test_other_roles_may_not_explain(client, token, population, who, status):
    assert _explain(client, token, who, purpose="tax-administration").status_code == status


def test_no_token_is_401_and_unknown_dataset_404(client, token, population):
    assert client.post(EXPLAIN, json={"dataset": DATASET}).status_code == 401
    missing = client.post(EXPLAIN, json={"dataset": "nope"}, headers=bearer(token(**TAX)))
    assert missing.status_code == 404


def test_a_dataset_without_policy_is_explained_as_closed(client, token, population):
    descriptor = {
        "id": "ward-survey", "title": "Ward survey", "agency": "cong-an",
        "classification": "internal", "primary_key": "household_id",
        "source": {"connector": "csv", "path": "survey.csv"},
        "fields": [{"name": "household_id", "type": "integer"}],
    }  # fmt: skip
    steward = bearer(token(**{**STEWARD, "scopes": ("datasets:write",)}))
    assert client.post("/v1/datasets", json=descriptor, headers=steward).status_code == 201
    response = client.post(
        EXPLAIN, json={"dataset": "ward-survey", "purpose": "x"}, headers=bearer(token(**TAX))
    )
    a = response.json()
    assert a["allowed"] is False and a["code"] == "no_policy" and a["policy_version"] is None


def test_explain_shows_an_approved_grant(client, token, population):
    ask = {
        "dataset": DATASET, "purpose": "tax-audit", "fields": ["citizen_id", "ward"],
        "justification": "case 12/TTr", "days": 10,
    }  # fmt: skip
    req = client.post("/v1/access-requests", json=ask, headers=bearer(token(**TAX))).json()
    client.post(f"/v1/access-requests/{req['id']}/approve", headers=bearer(token(**STEWARD)))
    a = _explain(client, token, TAX, purpose="tax-audit").json()
    assert a["allowed"] and a["rule_id"] == f"grant-{req['id']}"
    assert a["rules"][-1] == {
        "rule_id": f"grant-{req['id']}", "source": "grant", "outcome": "matched",
        "detail": f"rule 'grant-{req['id']}' matched",
    }  # fmt: skip
    assert [n for n, f in a["fields"].items() if f["visible"]] == ["citizen_id", "ward"]
    assert a["fields"]["full_name"]["description"] == (
        f"not returned: rule 'grant-{req['id']}' does not name it"
    )


def test_explain_is_audited(client, token, hub, population):
    _explain(client, token, TAX, purpose="tax-administration", fields=["phone"])
    _explain(client, token, STEWARD, purpose="marketing", principal={"agency": "thue",
             "roles": ["officer"], "sub": "thue-9"})  # fmt: skip
    with hub.sessions() as session:
        entries = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.event == "policy.explained")
        ).all()
    own, other = sorted(entries, key=lambda e: e.seq)[-2:]
    assert (own.principal, own.purpose, own.fields) == ("thue-1", "tax-administration", ["phone"])
    assert own.rule_id == "tax-identity-check" and own.detail["allowed"] is True
    assert own.row_count == 0 and own.record_keys == []  # explain reads no data
    assert other.principal == "ca-steward"
    assert other.detail["for"] == {"sub": "thue-9", "agency": "thue", "roles": ["officer"]}
    assert other.detail["code"] == "purpose_not_allowed"


# -- bad policy input: a clear error or a deny, never a silent allow ------------------------


def _policy() -> dict:
    doc = yaml.safe_load((EXAMPLES / "policies" / f"{DATASET}.yaml").read_text())
    return json.loads(json.dumps(doc, default=str))  # YAML dates as JSON strings


def _put(client, token, policy: dict):
    return client.put(POLICY_URL, json=policy, headers=bearer(token(**STEWARD)))


def _version(client, token) -> int:
    return client.get(POLICY_URL, headers=bearer(token(**STEWARD))).json()["version"]


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda r: r["fields"].update(shoe_size="keep"), "shoe_size"),  # unknown field
        (lambda r: r.update(row_filter={"district": "q1"}), "district"),  # unknown filter field
        (lambda r: r["fields"].update(ward={"generalize": "year"}), "does not fit"),  # string
        (lambda r: r["fields"].update(date_of_birth={"mask": {}}), "does not fit"),  # a date
        (lambda r: r["fields"].update(full_name="redact_pii_please"), "unknown treatment"),
        (lambda r: r.update(roles=["officer", "king"]), "rules[0].roles[1]"),  # unknown role
        (lambda r: r.update(agencies=[]), "at least one"),  # would match nobody
    ],
    ids=[
        "unknown-field",
        "unknown-filter-field",
        "generalize-string",
        "mask-date",
        "unknown-treatment",
        "unknown-role",
        "no-agency",
    ],
)
def test_bad_policies_are_refused_and_the_old_one_stays(client, token, population, edit, needle):
    policy = _policy()
    edit(policy["rules"][0])
    response = _put(client, token, policy)
    assert response.status_code == 422, response.text
    assert needle in json.dumps(response.json())
    assert _version(client, token) == 1  # nothing applied
    read = client.get(
        RECORDS, params={"purpose": "tax-administration", "limit": 1}, headers=bearer(token(**TAX))
    )
    assert read.status_code == 200 and "ethnicity" not in read.json()["records"][0]


def test_an_expired_rule_denies_and_says_so(client, token, population):
    policy = _policy()
    policy["rules"][0]["expires"] = "2020-01-31"
    assert _put(client, token, policy).status_code == 200
    read = client.get(RECORDS, params={"purpose": "tax-administration"},
                      headers=bearer(token(**TAX)))  # fmt: skip
    assert read.status_code == 403
    assert "expired on 2020-01-31" in read.json()["detail"]
    a = _explain(client, token, TAX, purpose="tax-administration").json()
    assert a["allowed"] is False and a["code"] == "no_matching_rule"
    assert a["rules"][0]["outcome"] == "expired"


@pytest.mark.parametrize(
    ("field", "value", "slug"),
    [
        ("ethnicity", "Kinh", "filter-not-permitted"),  # the rule drops it
        ("phone", "0903123456", "filter-not-permitted"),  # masked
        ("shoe_size", "42", "bad-request"),  # no such field
    ],
)
def test_filters_on_hidden_fields_are_refused(client, token, population, field, value, slug):
    response = client.get(
        RECORDS,
        params={"purpose": "tax-administration", field: value},
        headers=bearer(token(**TAX)),
    )
    assert response.status_code in (400, 403)
    assert response.json()["type"].endswith(f"/{slug}"), response.text
    if field in ("ethnicity", "phone"):  # explain agrees: not filterable
        a = _explain(client, token, TAX, purpose="tax-administration", fields=[field]).json()
        assert a["fields"][field]["filterable"] is False


# -- the CLI -------------------------------------------------------------------------------


def test_cli_explain_prints_rule_and_fields(hub, population):
    result = hub_cli(
        hub, "policy", "explain", DATASET, "--purpose", "tax-administration",
        "--agency", "thue", "--roles", "officer",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "ALLOWED by rule tax-identity-check" in text
    assert "at most 100 per request" in text
    assert "not returned: rule 'tax-identity-check' drops it" in text  # ethnicity
    assert "other_agency" in text  # the operator sees every rule
    as_json = hub_cli(
        hub, "policy", "explain", DATASET, "--purpose", "healthcare", "--agency", "y-te",
        "--roles", "officer", "--attrs", '{"ward": "phuong-ben-thanh"}',
        "--fields", "citizen_id,notes", "--json",
    )  # fmt: skip
    a = json.loads(as_json.stdout)
    assert a["rule_id"] == "health-ward-care" and list(a["fields"]) == ["citizen_id", "notes"]
    assert a["row_filter"] == {"ward": ["phuong-ben-thanh"]}
    denied = hub_cli(hub, "policy", "explain", DATASET, "--agency", "thue", "--roles", "officer")
    assert denied.returncode == 0 and "DENIED (purpose_required)" in denied.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--roles", "wizard"], "--roles"),
        (["--roles", "officer", "--attrs", "{"], "--attrs"),
        (["--roles", "officer", "--fields", "shoe_size"], "shoe_size"),
    ],
)
def test_cli_explain_failures_are_one_line(hub, population, args, needle):
    result = hub_cli(hub, "policy", "explain", DATASET, "--purpose", "x", *args)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr
