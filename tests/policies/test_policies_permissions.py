"""authorize(): the management-permissions table of policies/permissions.py, row by row."""

from __future__ import annotations

import pytest

from policies.decision import Action, AllowCode, DenyCode, Resource
from policies.permissions import TABLE, authorize

ALL_SCOPES = ("records:read", "datasets:write", "policies:write", "catalog:publish", "audit:read")
OWN = Resource(dataset_id="population-registry", agency="cong-an")
OTHER = Resource(dataset_id="tax-payers", agency="thue")

ADMIN = {"agency": "so-tttt", "roles": ("admin",), "scopes": ALL_SCOPES}
STEWARD = {"agency": "cong-an", "roles": ("steward",), "scopes": ALL_SCOPES}
OFFICER = {"agency": "thue", "roles": ("officer",), "scopes": ALL_SCOPES}
AUDITOR = {"agency": "thanh-tra", "roles": ("auditor",), "scopes": ALL_SCOPES}
CITIZEN = {"agency": None, "roles": ("citizen",), "scopes": (), "citizen_id": "079090001234"}
DEVELOPER = {"agency": None, "roles": ("developer",), "scopes": ALL_SCOPES}


def without(who: dict, scope: str) -> dict:
    return {**who, "scopes": tuple(s for s in who["scopes"] if s != scope)}


# (principal, action, resource, expected code)
TABLE_ROWS = [
    # datasets.list / datasets.read: admin, steward, officer of any agency
    (ADMIN, Action.datasets_list, None, AllowCode.permitted),
    (OFFICER, Action.datasets_list, None, AllowCode.permitted),
    (STEWARD, Action.datasets_read, OTHER, AllowCode.permitted),  # metadata of others too
    (OFFICER, Action.datasets_read, OWN, AllowCode.permitted),
    (AUDITOR, Action.datasets_read, OWN, DenyCode.missing_role),
    (DEVELOPER, Action.datasets_list, None, DenyCode.missing_role),  # developers use open data
    (CITIZEN, Action.datasets_list, None, DenyCode.missing_role),
    # datasets.register/update/delete/ingest/classify: datasets:write and admin/own steward
    (STEWARD, Action.datasets_register, OWN, AllowCode.permitted),
    (STEWARD, Action.datasets_ingest, OWN, AllowCode.permitted),
    (STEWARD, Action.datasets_classify, OTHER, DenyCode.not_owner),  # another agency's data
    (STEWARD, Action.datasets_update, None, DenyCode.missing_resource),  # owner unknown
    (without(STEWARD, "datasets:write"), Action.datasets_delete, OWN, DenyCode.missing_scope),
    (ADMIN, Action.datasets_delete, OTHER, AllowCode.permitted),  # admins: any agency
    (without(ADMIN, "datasets:write"), Action.datasets_update, OWN, DenyCode.missing_scope),
    (OFFICER, Action.datasets_register, OWN, DenyCode.missing_role),
    # a steward without an agency claim owns nothing
    ({**STEWARD, "agency": None}, Action.datasets_ingest, OWN, DenyCode.not_owner),
    # policies.read: admin, steward of the owner; officers use explain instead
    (ADMIN, Action.policies_read, OTHER, AllowCode.permitted),
    (STEWARD, Action.policies_read, OWN, AllowCode.permitted),
    (STEWARD, Action.policies_read, OTHER, DenyCode.not_owner),
    (OFFICER, Action.policies_read, OTHER, DenyCode.missing_role),
    # policies.explain: admin, steward, officer explain their own access to any dataset;
    # explaining someone else's also needs policies.read (rows above)
    (OFFICER, Action.policies_explain, OTHER, AllowCode.permitted),
    (STEWARD, Action.policies_explain, OTHER, AllowCode.permitted),  # own access, any agency
    (ADMIN, Action.policies_explain, None, AllowCode.permitted),
    (without(OFFICER, "records:read"), Action.policies_explain, OWN,
     AllowCode.permitted),  # no scope: explain then says what the token lacks
    (AUDITOR, Action.policies_explain, OWN, DenyCode.missing_role),
    (DEVELOPER, Action.policies_explain, None, DenyCode.missing_role),
    (CITIZEN, Action.policies_explain, None, DenyCode.missing_role),
    # policies.write and access_requests.decide: policies:write and admin/own steward
    (STEWARD, Action.policies_write, OWN, AllowCode.permitted),
    (STEWARD, Action.access_requests_decide, OWN, AllowCode.permitted),
    (STEWARD, Action.access_requests_decide, OTHER, DenyCode.not_owner),
    (without(STEWARD, "policies:write"), Action.policies_write, OWN, DenyCode.missing_scope),
    (ADMIN, Action.access_requests_decide, OTHER, AllowCode.permitted),
    (OFFICER, Action.policies_write, OTHER, DenyCode.missing_role),
    # access_requests.create: officers of any agency, with records:read
    (OFFICER, Action.access_requests_create, OWN, AllowCode.permitted),
    (without(OFFICER, "records:read"), Action.access_requests_create, OWN,
     DenyCode.missing_scope),
    (STEWARD, Action.access_requests_create, OTHER, DenyCode.missing_role),
    # catalog.publish: catalog:publish and admin/own steward
    (STEWARD, Action.catalog_publish, OWN, AllowCode.permitted),
    (STEWARD, Action.catalog_publish, OTHER, DenyCode.not_owner),
    (without(STEWARD, "catalog:publish"), Action.catalog_publish, OWN, DenyCode.missing_scope),
    (ADMIN, Action.catalog_publish, OTHER, AllowCode.permitted),
    # audit.read / audit.verify: audit:read and auditor or admin
    (AUDITOR, Action.audit_read, None, AllowCode.permitted),
    (AUDITOR, Action.audit_verify, None, AllowCode.permitted),
    (ADMIN, Action.audit_verify, None, AllowCode.permitted),
    (without(AUDITOR, "audit:read"), Action.audit_read, None, DenyCode.missing_scope),
    (STEWARD, Action.audit_read, None, DenyCode.missing_role),
    # me.read: role citizen with a citizen_id; no scope needed
    (CITIZEN, Action.me_read, None, AllowCode.permitted),
    ({**CITIZEN, "citizen_id": None}, Action.me_read, None, DenyCode.missing_citizen_id),
    (OFFICER, Action.me_read, None, DenyCode.missing_role),
    # pii.use: steward, officer, admin
    (STEWARD, Action.pii_use, None, AllowCode.permitted),
    (OFFICER, Action.pii_use, None, AllowCode.permitted),
    (ADMIN, Action.pii_use, None, AllowCode.permitted),
    (DEVELOPER, Action.pii_use, None, DenyCode.missing_role),
    (AUDITOR, Action.pii_use, None, DenyCode.missing_role),
    # records.read: records:read and admin/steward/officer (decide_read decides the rest)
    (OFFICER, Action.records_read, OTHER, AllowCode.permitted),
    (ADMIN, Action.records_read, OTHER, AllowCode.permitted),  # may ask; needs a rule for data
    (without(OFFICER, "records:read"), Action.records_read, OTHER, DenyCode.missing_scope),
    (AUDITOR, Action.records_read, OTHER, DenyCode.missing_role),
    (CITIZEN, Action.records_read, OWN, DenyCode.missing_role),
    # a plain string finds its row; an unknown action is denied
    (ADMIN, "datasets.list", None, AllowCode.permitted),
    (ADMIN, "datasets.purge", None, DenyCode.unknown_action),
    # no roles at all
    ({"agency": "thue", "roles": (), "scopes": ALL_SCOPES}, Action.datasets_list, None,
     DenyCode.missing_role),
]  # fmt: skip


@pytest.mark.parametrize(("who", "action", "resource", "code"), TABLE_ROWS)
def test_permissions_table(make_principal, who, action, resource, code):
    decision = authorize(make_principal(**who), action, resource)
    assert decision.code == code, decision.reason
    assert decision.allowed is (code is AllowCode.permitted)
    assert decision.reason


def test_every_action_has_a_row_and_a_test():
    assert set(TABLE) == set(Action)
    tested = {str(action) for _, action, _, _ in TABLE_ROWS}
    assert {str(a) for a in Action} <= tested


def test_reasons_say_what_is_missing(make_principal):
    scope = authorize(
        make_principal(**without(STEWARD, "policies:write")), Action.policies_write, OWN
    )
    assert "needs scope policies:write" in scope.reason
    owner = authorize(make_principal(**STEWARD), Action.policies_write, OTHER)
    assert "owning agency thue" in owner.reason
    role = authorize(make_principal(**DEVELOPER), Action.audit_read, None)
    assert "needs one of the roles admin, auditor" in role.reason
