"""The authorization matrix: every route x every role x own / other agency's dataset x
with / without a declared purpose, each cell's expected status written down below.

The route list comes from the app itself: a route without a row here fails
``test_every_route_has_a_row``, so a new endpoint cannot ship without deciding who may
call it. Every principal belongs to agency ``cong-an`` (citizens and developers to none)
and carries *every* scope, so the statuses below show what roles and ownership decide
(scope checks have their own tests in tests/policies/test_policies_permissions.py).

The two datasets: ``own-registry`` of cong-an and ``other-registry`` of thue. Their
policies (``POLICIES``) let cong-an officers and stewards read own-registry, and cong-an
officers (not stewards) look up other-registry, for purpose ``residence-management``;
no rule names admins, so admins get no records (they manage, they do not read).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.auth.tokens import TokenRequest
from policies.principal import Role, Scope
from tests.contract.conftest import api_routes

AGENCY = "cong-an"
OWNERS = {"own": AGENCY, "other": "thue"}
DATASETS = {"own": "own-registry", "other": "other-registry"}
PURPOSE = "residence-management"
KEY = "079000000001"
CSV = (
    "citizen_id,full_name,ward\n"
    f"{KEY},Nguyễn Văn An,phuong-ben-thanh\n"
    "079000000002,Lê Thị Bình,phuong-ben-thanh\n"
)
ANONYMOUS = "anonymous"
ASKER = "m-officer"
ROLES = [*(r.value for r in Role), ANONYMOUS]


def descriptor(dataset_id: str, agency: str) -> dict[str, Any]:
    return {
        "id": dataset_id,
        "title": dataset_id,
        "agency": agency,
        "classification": "restricted",
        "primary_key": "citizen_id",
        "source": {"connector": "csv", "path": "upload.csv"},
        "fields": [
            {"name": "citizen_id", "type": "string", "pii": "VN_CCCD"},
            {"name": "full_name", "type": "string", "pii": "PERSON"},
            {"name": "ward", "type": "string"},
        ],
        # publishable: both rows share the ward, so k = 2 holds
        "open_data": {"quasi_identifiers": ["ward"], "k": 2, "license": "cc-by-4.0"},
    }


PUBLISH = {"target": "local"}
ALL_FIELDS = {"citizen_id": "keep", "full_name": "keep", "ward": "keep"}
POLICIES = {
    "own": {
        "dataset": DATASETS["own"],
        "rules": [
            {"id": "police-work", "agencies": [AGENCY], "roles": ["officer", "steward"],
             "purposes": [PURPOSE], "fields": ALL_FIELDS},
        ],
    },
    "other": {
        "dataset": DATASETS["other"],
        "rules": [
            {"id": "tax-work", "agencies": ["thue"], "roles": ["officer", "steward"],
             "purposes": ["tax-administration"], "fields": ALL_FIELDS},
            {"id": "police-lookup", "agencies": [AGENCY], "roles": ["officer"],
             "purposes": [PURPOSE], "fields": {"citizen_id": "keep", "ward": "keep"}},
        ],
    },
}  # fmt: skip


# -- expectations ------------------------------------------------------------------------

#: one status for a request with and without a purpose, or (with, without)
Status = int | tuple[int, int]


@dataclass(frozen=True)
class Expect:
    own: Status
    other: Status

    def status(self, owner: str, with_purpose: bool) -> int:
        cell = self.own if owner == "own" else self.other
        if isinstance(cell, tuple):
            return cell[0] if with_purpose else cell[1]
        return cell


def cells(own: Status, other: Status | None = None) -> Expect:
    return Expect(own, own if other is None else other)


def own_only(status: Status) -> Expect:
    """Stewards act on their own agency's datasets only."""
    return cells(status, 403)


def guarded(**allowed: Status | Expect) -> dict[str, Expect]:
    """The roles named get these statuses; every other role 403, no token 401."""
    table = {role: cells(403) for role in ROLES}
    table[ANONYMOUS] = cells(401)
    for role, expect in allowed.items():
        table[role] = expect if isinstance(expect, Expect) else cells(expect)
    return table


def public(status: Status) -> dict[str, Expect]:
    return {role: cells(status) for role in ROLES}


# -- how each row is called --------------------------------------------------------------


@dataclass
class Call:
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    """The app with its two datasets, plus makers of fresh targets for state changes."""

    client: TestClient
    #: issue(sub, agency, roles, **TokenRequest fields) -> a token with every scope
    issue: Callable[..., str]
    requests: dict[str, int] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=itertools.count)
    tokens: dict[str, str] = field(default_factory=dict)
    #: the client the row's calls come from (``next_row``)
    row_client: TestClient | None = None
    #: the rate limiters' clock: a new minute per row, so buckets never depend on how fast
    #: the rows run (the officer is the same subject in every row)
    clock: float = 0.0

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self.counter)}"

    def next_row(self) -> None:
        """Fresh subjects and a fresh client address per row: the hub rate-limits per
        principal and, on public routes, per client IP, not per test.

        The officer stays ``ASKER``: the requests of ``self.requests`` are theirs.
        """
        n = next(self.counter)
        self.clock += 60.0
        self.row_client = TestClient(self.client.app, client=(f"10.0.{n // 250}.{n % 250}", 5000))
        self.tokens = {
            role: self.issue(f"m-{role}-{n}", AGENCY, [role])
            for role in ("admin", "steward", "auditor")
        }
        self.tokens["officer"] = self.issue(ASKER, AGENCY, ["officer"])
        self.tokens["citizen"] = self.issue(f"m-citizen-{n}", None, ["citizen"], citizen_id=KEY)
        self.tokens["developer"] = self.issue(f"m-developer-{n}", None, ["developer"])

    def as_(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, role: str, method: str, c: Call) -> int:
        headers = {**self.as_(role), **c.headers}
        return self.row_client.request(
            method, c.path, params=c.params, json=c.json, content=c.content, headers=headers
        ).status_code

    def setup_call(self, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.setup_token}", **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == expected, response.text
        return response.json() if response.content else None

    @cached_property
    def setup_token(self) -> str:
        return self.issue("m-setup", AGENCY, ["admin"])

    def scratch_dataset(self, owner: str) -> str:
        dataset_id = self.unique("scratch")
        self.setup_call("POST", "/v1/datasets", 201, json=descriptor(dataset_id, OWNERS[owner]))
        return dataset_id

    def pending_request(self, owner: str) -> int:
        """A request by a y-te officer (a fresh subject each time, so never a duplicate)."""
        token = self.issue(self.unique("yte"), "y-te", ["officer"])
        response = self.client.post(
            "/v1/access-requests",
            json={"dataset": DATASETS[owner], "purpose": self.unique("study"),
                  "fields": ["ward"], "justification": "matrix", "days": 5},
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        return response.json()["id"]


def plain(world: World, owner: str, with_purpose: bool, path: str) -> Call:
    """Fill path parameters; declare the purpose as a query parameter (ignored if unused)."""
    filled = path.format(
        dataset_id=DATASETS[owner],
        key=KEY,
        request_id=world.requests.get(owner, 0),
    )
    return Call(filled, params={"purpose": PURPOSE} if with_purpose else {})


def _register(w: World, owner: str, p: bool, path: str) -> Call:
    return Call(path, json=descriptor(w.unique("registered"), OWNERS[owner]))


def _patch(w: World, owner: str, p: bool, path: str) -> Call:
    return Call(plain(w, owner, p, path).path, json={"title": w.unique("title")})


def _delete(w: World, owner: str, p: bool, path: str) -> Call:
    return Call(path.format(dataset_id=w.scratch_dataset(owner)))


def _ingest(w: World, owner: str, p: bool, path: str) -> Call:
    call = plain(w, owner, p, path)
    return Call(call.path, content=CSV.encode(), headers={"Content-Type": "text/csv"})


def _put_policy(w: World, owner: str, p: bool, path: str) -> Call:
    return Call(plain(w, owner, p, path).path, json=POLICIES[owner])


def _explain(w: World, owner: str, p: bool, path: str, **extra: Any) -> Call:
    body = {"dataset": DATASETS[owner], **({"purpose": PURPOSE} if p else {}), **extra}
    return Call(path, json=body)


def _explain_other(w: World, owner: str, p: bool, path: str) -> Call:
    return _explain(w, owner, p, path, principal={"agency": AGENCY, "roles": ["officer"]})


def _ask(w: World, owner: str, p: bool, path: str) -> Call:
    body = {"dataset": DATASETS[owner], "fields": ["ward"], "justification": "j", "days": 3}
    if p:
        body["purpose"] = w.unique("statistics")  # a purpose no rule has
    return Call(path, json=body)


def _decide(w: World, owner: str, p: bool, path: str, body: Any = None) -> Call:
    return Call(path.format(request_id=w.pending_request(owner)), json=body)


def _reject(w: World, owner: str, p: bool, path: str) -> Call:
    return _decide(w, owner, p, path, {"reason": "matrix"})


def _text(w: World, owner: str, p: bool, path: str) -> Call:
    return Call(path, json={"text": "Liên hệ chị Trần Thị Mai, SĐT 0912 345 678"})


def _publish(w: World, owner: str, p: bool, path: str) -> Call:
    return Call(plain(w, owner, p, path).path, json={**PUBLISH, "dry_run": True})


def _token(w: World, owner: str, p: bool, path: str) -> Call:
    return Call(path, content=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: dict[str, Expect]
    build: Callable[..., Call] = plain
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.variant if self.variant else ''}"


DS = "/v1/datasets/{dataset_id}"
REQ = "/v1/access-requests/{request_id}"
READERS = {"steward": cells((200, 400), 403), "officer": cells((200, 400))}

# (method, path, who gets what, how it is called) -- one row per route (and variant)
ROWS = [
    # operations and sign-in: open to anyone, a token changes nothing
    Row("GET", "/healthz", public(200)),
    Row("GET", "/readyz", public(200)),
    Row("GET", "/metrics", public(200)),
    Row("GET", "/.well-known/jwks.json", public(200)),
    Row("POST", "/v1/auth/token", public(400), _token),  # no client credentials in the form
    # dataset metadata: admins, stewards and officers of any agency
    Row("GET", "/v1/datasets", guarded(admin=200, steward=200, officer=200)),
    Row("GET", DS, guarded(admin=200, steward=200, officer=200)),
    # managing datasets: admins, and stewards of the owning agency only
    Row("POST", "/v1/datasets", guarded(admin=201, steward=own_only(201)), _register),
    Row("PATCH", DS, guarded(admin=200, steward=own_only(200)), _patch),
    Row("DELETE", DS, guarded(admin=204, steward=own_only(204)), _delete),
    Row("POST", f"{DS}/ingest", guarded(admin=200, steward=own_only(200)), _ingest),
    Row("GET", f"{DS}/classification", guarded(admin=200, steward=own_only(200))),
    # records: a policy rule decides; without a purpose 400 where a rule would apply;
    # admins have no rule (403), stewards have one on their own dataset only
    Row("GET", f"{DS}/records", guarded(admin=403, **READERS)),
    Row("GET", f"{DS}/records/{{key}}", guarded(admin=403, **READERS)),
    # policies: stewards of the owner and admins read and write them; officers never
    Row("GET", f"{DS}/policy", guarded(admin=200, steward=own_only(200))),
    Row("PUT", f"{DS}/policy", guarded(admin=200, steward=own_only(200)), _put_policy),
    # explain your own access: any admin, steward, officer, with or without a purpose
    Row("POST", "/v1/policy/explain", guarded(admin=200, steward=200, officer=200), _explain),
    # explain someone else's: needs policies.read on the dataset
    Row("POST", "/v1/policy/explain", guarded(admin=200, steward=own_only(200)),
        _explain_other, "principal"),
    # access requests: officers ask (a purpose is required: 400 without)
    Row("POST", "/v1/access-requests", guarded(officer=cells((201, 400))), _ask),
    # deciders and askers list them; each sees what concerns them
    Row("GET", "/v1/access-requests", guarded(admin=200, steward=200, officer=200)),
    # a request on own/other's dataset made by our officer: the officer sees both
    Row("GET", REQ, guarded(admin=200, steward=own_only(200), officer=200)),
    # deciding: admins, stewards of the owning agency; never the officers
    Row("POST", f"{REQ}/approve", guarded(admin=200, steward=own_only(200)), _decide),
    Row("POST", f"{REQ}/reject", guarded(admin=200, steward=own_only(200)), _reject),
    # open data: stewards of the owner and admins publish (a dry run here); metadata
    # readers see the history; anyone reads what is published, token or not
    Row("POST", f"{DS}/publish", guarded(admin=200, steward=own_only(200)), _publish),
    Row("GET", "/v1/publications", guarded(admin=200, steward=200, officer=200)),
    Row("GET", "/v1/open/datasets", public(200)),
    # open records take no purpose: ?purpose= is a filter on a field they lack (400)
    Row("GET", "/v1/open/datasets/{dataset_id}/records", public((400, 200))),
    # a citizen's own access log: citizens only
    Row("GET", "/v1/me/access-log", guarded(citizen=200)),
    # the PII analyzer on free text: stewards, officers, admins
    Row("POST", "/v1/pii/analyze", guarded(admin=200, steward=200, officer=200), _text),
    Row("POST", "/v1/pii/redact", guarded(admin=200, steward=200, officer=200), _text),
    # the audit log: auditors and admins only
    Row("GET", "/v1/audit", guarded(admin=200, auditor=200)),
    Row("GET", "/v1/audit/verify", guarded(admin=200, auditor=200)),
]  # fmt: skip


# -- the world ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(contract_app: FastAPI):
    hub = contract_app.state.hub
    every_scope = [s.value for s in Scope]

    def issue(sub: str, agency: str | None, roles: list[str], **kw: Any) -> str:
        return hub.tokens.issue(TokenRequest(sub, agency, roles, every_scope, {}, ttl=3600, **kw))

    with TestClient(contract_app) as client:
        w = World(client, issue)
        contract_app.state.limits.set_clock(lambda: w.clock)
        w.next_row()
        for owner, dataset_id in DATASETS.items():
            w.setup_call("POST", "/v1/datasets", 201, json=descriptor(dataset_id, OWNERS[owner]))
            w.setup_call("POST", f"/v1/datasets/{dataset_id}/ingest", 200, content=CSV.encode(),
                         headers={"Content-Type": "text/csv"})  # fmt: skip
            w.setup_call("PUT", f"/v1/datasets/{dataset_id}/policy", 200, json=POLICIES[owner])
            w.setup_call(
                "POST", f"/v1/datasets/{dataset_id}/publish", 200, json={"target": "local"}
            )
            # a request on this dataset by the officer of every row, for GET /{request_id}
            asked = client.post(
                "/v1/access-requests",
                json={"dataset": dataset_id, "purpose": "census-check", "fields": ["ward"],
                      "justification": "matrix", "days": 1},
                headers=w.as_("officer"),
            )  # fmt: skip
            assert asked.status_code == 201, asked.text
            w.requests[owner] = asked.json()["id"]
        yield w


# -- the tests ---------------------------------------------------------------------------


def test_every_route_has_a_row(contract_app):
    routes = {(method, path) for path, methods, _ in api_routes(contract_app) for method in methods}
    table = {(row.method, row.path) for row in ROWS}
    assert sorted(routes - table) == [], "routes without a row: add them to ROWS"
    assert sorted(table - routes) == [], "rows for routes the app does not have"


def test_every_row_names_every_role():
    assert len({row.id for row in ROWS}) == len(ROWS)
    for row in ROWS:
        assert sorted(row.expect) == sorted(ROLES), row.id


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_authorization_matrix(world, row):
    world.next_row()
    unexpected = []
    for role, owner, with_purpose in itertools.product(ROLES, OWNERS, (True, False)):
        expected = row.expect[role].status(owner, with_purpose)
        call = row.build(world, owner, with_purpose, row.path)
        status = world.call(role, row.method, call)
        if status != expected:
            purpose = "with purpose" if with_purpose else "no purpose"
            unexpected.append(f"{role:<9} {owner:<5} {purpose:<12} got {status}, want {expected}")
    assert unexpected == [], f"{row.id}:\n" + "\n".join(unexpected)
