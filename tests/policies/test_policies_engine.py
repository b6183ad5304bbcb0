"""decide_read: the resolution order of policies/engine.py, pinned row by row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from policies.decision import AllowCode, DenyCode, RuleOutcome
from policies.engine import decide_read, evaluate_rules
from policies.errors import (
    Denied,
    FieldNotPermitted,
    FilterNotPermitted,
    PoliciesError,
    UnknownField,
)
from policies.model import Generalize, Keep, Mask, Rule, load_policy

POLICY = """\
dataset: population-registry
rules:
  - id: tax-identity-check
    agencies: [thue]
    roles: [officer]
    purposes: [tax-administration]
    fields:
      citizen_id: keep
      full_name: keep
      date_of_birth: {generalize: year}
      phone: {mask: {keep_last: 3}}
      ethnicity: drop
    row_filter: {ward: "${attrs.ward}"}
    max_rows: 100
    expires: 2027-12-31
  - id: old-census
    agencies: [thong-ke]
    roles: [officer, auditor]
    purposes: [statistics]
    fields: {age: keep}
    expires: 2024-06-30
  - id: health-any-agency
    agencies: ["*"]
    roles: [officer, steward]
    purposes: [public-health, statistics]
    fields: {date_of_birth: {generalize: age_band}, ward: keep}
  - id: tax-audit
    agencies: [thue]
    roles: [officer]
    purposes: [tax-audit, tax-administration]
    fields: {citizen_id: keep}
  - id: own-records
    agencies: [cong-an]
    roles: [citizen]
    purposes: [self-service]
    fields: {citizen_id: keep, full_name: keep}
    row_filter: {citizen_id: "${citizen_id}"}
"""

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GRANT = Rule.model_validate(
    {
        "id": "grant-42",
        "agencies": ["benh-vien-cho-ray"],
        "roles": ["officer"],
        "purposes": ["research", "tax-administration"],
        "fields": {"age": "keep"},
        "expires": "2026-12-31",
    }
)
THUE_GRANT = GRANT.model_copy(update={"id": "grant-thue", "agencies": ("thue",)})
WARD = {"ward": "phuong-ben-thanh"}


@pytest.fixture(scope="module")
def policy(descriptor):
    return load_policy(POLICY, source="policy.yaml", descriptor=descriptor)


# (principal kwargs, purpose, now, extra rules, code, rule id, allowed purposes);
# "policy": None in the principal column means the dataset has no policy
TABLE = [
    # 1. no policy: deny, even for an admin with every scope and a purpose
    ({"policy": None, "roles": ("admin",)}, "statistics", NOW, (), DenyCode.no_policy, None, ()),
    # 1. before 2: no policy is the answer even when the token lacks records:read
    ({"policy": None, "scopes": ()}, "statistics", NOW, (), DenyCode.no_policy, None, ()),
    # 2. a token without records:read is denied before any rule is looked at
    ({"scopes": ("datasets:write",), "attrs": WARD}, "tax-administration", NOW, (),
     DenyCode.missing_scope, None, ()),
    # 3. agency and role decide applicability; developers are in no rule
    ({"agency": "startup", "roles": ("developer",)}, "statistics", NOW, (),
     DenyCode.no_matching_rule, None, ()),
    # 3. "*" matches any agency, never a principal without one
    ({"agency": None}, "public-health", NOW, (), DenyCode.no_matching_rule, None, ()),
    # 3. "*" matches an agency named nowhere else
    ({"agency": "benh-vien-cho-ray"}, "public-health", NOW, (), AllowCode.rule_matched,
     "health-any-agency", ()),
    # 3. right agency, wrong role (auditor is in no thue rule)
    ({"roles": ("auditor",)}, "tax-administration", NOW, (), DenyCode.no_matching_rule, None, ()),
    # 3. an admin gets no data by default: no rule names admins
    ({"agency": "so-tttt", "roles": ("admin",)}, "statistics", NOW, (),
     DenyCode.no_matching_rule, None, ()),
    # 4. no purpose, applicable rules: purpose_required with the sorted union of purposes
    ({"attrs": WARD}, None, NOW, (), DenyCode.purpose_required, None,
     ("public-health", "statistics", "tax-administration", "tax-audit")),
    # 4. a blank purpose is no purpose
    ({"attrs": WARD}, "  ", NOW, (), DenyCode.purpose_required, None,
     ("public-health", "statistics", "tax-administration", "tax-audit")),
    # 4. no purpose and the only applicable rule expired: no_matching_rule
    ({"agency": "thong-ke", "roles": ("auditor",)}, None, NOW, (),
     DenyCode.no_matching_rule, None, ()),
    # 5. with a purpose, all applicable rules expired: no_matching_rule too
    ({"agency": "thong-ke", "roles": ("auditor",)}, "statistics", NOW, (),
     DenyCode.no_matching_rule, None, ()),
    # 5. an expired rule is skipped and a later rule with the purpose matches
    ({"agency": "thong-ke"}, "statistics", NOW, (), AllowCode.rule_matched,
     "health-any-agency", ()),
    # 5. no applicable rule has the purpose: purpose_not_allowed lists usable ones
    ({"attrs": WARD}, "marketing", NOW, (), DenyCode.purpose_not_allowed, None,
     ("public-health", "statistics", "tax-administration", "tax-audit")),
    # 5. expiry is the end of the day in Ho Chi Minh City: 23:59:59 local still counts
    ({"attrs": WARD}, "tax-administration",
     datetime(2027, 12, 31, 16, 59, 59, tzinfo=UTC), (), AllowCode.rule_matched,
     "tax-identity-check", ()),
    # 5. one second later (00:00 local) the rule has expired; the next rule matches
    ({"attrs": WARD}, "tax-administration", datetime(2027, 12, 31, 17, 0, tzinfo=UTC), (),
     AllowCode.rule_matched, "tax-audit", ()),
    # 6. first match wins: tax-identity-check before tax-audit, both have the purpose
    ({"attrs": WARD}, "tax-administration", NOW, (), AllowCode.rule_matched,
     "tax-identity-check", ()),
    # 6. a later rule matches when earlier ones lack the purpose
    ({"attrs": WARD}, "tax-audit", NOW, (), AllowCode.rule_matched, "tax-audit", ()),
    # 3. grants from approved access requests are candidates after the policy's rules
    ({"agency": "benh-vien-cho-ray"}, "research", NOW, (GRANT,), AllowCode.rule_matched,
     "grant-42", ()),
    # 3./6. a policy rule with the purpose comes before a grant with it
    ({"attrs": WARD}, "tax-administration", NOW, (THUE_GRANT,), AllowCode.rule_matched,
     "tax-identity-check", ()),
    # 5. grants expire like rules
    ({"agency": "benh-vien-cho-ray"}, "research", datetime(2027, 1, 1, tzinfo=UTC), (GRANT,),
     DenyCode.purpose_not_allowed, None, ("public-health", "statistics")),
    # 7. the matching rule filters by attrs.ward, which the token lacks: deny
    ({}, "tax-administration", NOW, (), DenyCode.missing_attribute, "tax-identity-check", ()),
    # 7. an empty attribute is as good as missing
    ({"attrs": {"ward": ""}}, "tax-administration", NOW, (), DenyCode.missing_attribute,
     "tax-identity-check", ()),
    # 7. ${citizen_id} without a citizen_id claim: deny
    ({"agency": "cong-an", "roles": ("citizen",)}, "self-service", NOW, (),
     DenyCode.missing_attribute, "own-records", ()),
    # 7./8. with the claim the citizen reads their own record
    ({"agency": "cong-an", "roles": ("citizen",), "citizen_id": "079090001234"}, "self-service",
     NOW, (), AllowCode.rule_matched, "own-records", ()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "purpose", "now", "extra", "code", "rule_id", "allowed_purposes"), TABLE
)
def test_resolution_order(
    policy, make_principal, who, purpose, now, extra, code, rule_id, allowed_purposes
):
    who = dict(who)
    decision = decide_read(
        policy=who.pop("policy", policy),
        policy_version=7,
        principal=make_principal(**who),
        purpose=purpose,
        now=now,
        extra_rules=extra,
    )
    assert (decision.code, decision.rule_id) == (code, rule_id), decision.reason
    assert decision.allowed is (code is AllowCode.rule_matched)
    assert decision.allowed_purposes == allowed_purposes
    assert decision.policy_version == 7


def test_1_no_policy_denies(make_principal):
    decision = decide_read(
        policy=None, policy_version=None, principal=make_principal(), purpose="x", now=NOW
    )
    assert (decision.allowed, decision.code) == (False, DenyCode.no_policy)
    assert "no access policy" in decision.reason


def test_allowed_decision_carries_filter_fields_and_cap(policy, make_principal, descriptor):
    decision = decide_read(
        policy=policy,
        policy_version=3,
        principal=make_principal(attrs=WARD),
        purpose="tax-administration",
        now=NOW,
        field_order=descriptor.field_names,
    )
    assert dict(decision.row_filter) == {"ward": ("phuong-ben-thanh",)}
    # 8. drop entries are not visible; the order is the descriptor's
    assert list(decision.fields) == ["citizen_id", "full_name", "date_of_birth", "phone"]
    assert decision.fields["phone"] == Mask(keep_last=3)
    assert decision.max_rows == 100
    assert decision.purpose == "tax-administration"
    assert "tax-identity-check" in decision.reason


def test_field_order_drops_fields_the_dataset_no_longer_has(policy, make_principal):
    decision = decide_read(
        policy=policy,
        policy_version=1,
        principal=make_principal(attrs=WARD),
        purpose="tax-administration",
        now=NOW,
        field_order=["phone", "citizen_id"],
    )
    assert list(decision.fields) == ["phone", "citizen_id"]


def test_denial_reasons_explain(policy, make_principal):
    expired = decide_read(
        policy=policy,
        policy_version=1,
        principal=make_principal(agency="thong-ke", roles=("auditor",)),
        purpose="statistics",
        now=NOW,
    )
    assert "rule 'old-census' expired on 2024-06-30" in expired.reason
    wrong = decide_read(
        policy=policy,
        policy_version=1,
        principal=make_principal(attrs=WARD),
        purpose="marketing",
        now=NOW,
    )
    assert "purposes you may use: public-health, statistics, tax-administration, tax-audit" in (
        wrong.reason
    )
    missing = decide_read(
        policy=policy,
        policy_version=1,
        principal=make_principal(),
        purpose="tax-administration",
        now=NOW,
    )
    assert "attrs.ward" in missing.reason


def test_list_attribute_allows_each_value_and_templates_splice_into_text(make_principal):
    policy = load_policy(
        "dataset: d\nrules:\n  - id: r\n    agencies: [thue]\n    roles: [officer]\n"
        "    purposes: [p]\n    fields: {ward: keep}\n"
        "    row_filter: {ward: '${attrs.wards}', unit: ['hq', 'team-${agency}']}\n",
        source="p.yaml",
    )
    decision = decide_read(
        policy=policy,
        policy_version=1,
        principal=make_principal(attrs={"wards": ["phuong-a", "phuong-b"]}),
        purpose="p",
        now=NOW,
    )
    assert dict(decision.row_filter) == {
        "ward": ("phuong-a", "phuong-b"),
        "unit": ("hq", "team-thue"),
    }


def test_naive_now_is_refused(policy, make_principal):
    with pytest.raises(PoliciesError, match="timezone-aware"):
        decide_read(
            policy=policy,
            policy_version=1,
            principal=make_principal(),
            purpose="x",
            now=datetime(2026, 1, 1),
        )


def test_any_timezone_is_read_in_ho_chi_minh_city(policy, make_principal):
    paris = timezone(timedelta(hours=1))
    # 2027-12-31 18:00 in Paris is 2028-01-01 00:00 in HCMC: the rule has expired
    decision = decide_read(
        policy=policy,
        policy_version=1,
        principal=make_principal(attrs=WARD),
        purpose="tax-administration",
        now=datetime(2027, 12, 31, 18, 0, tzinfo=paris),
    )
    assert decision.rule_id == "tax-audit"


def test_notes_say_why_each_rule_did_or_did_not_match(policy, make_principal):
    notes = evaluate_rules(
        policy=policy,
        principal=make_principal(attrs=WARD),
        purpose="tax-administration",
        now=NOW,
        extra_rules=(GRANT,),
    )
    assert [(n.rule_id, n.source, n.outcome) for n in notes] == [
        ("tax-identity-check", "policy", RuleOutcome.matched),
        ("old-census", "policy", RuleOutcome.other_agency),
        ("health-any-agency", "policy", RuleOutcome.other_purpose),
        ("tax-audit", "policy", RuleOutcome.shadowed),
        ("own-records", "policy", RuleOutcome.other_agency),
        ("grant-42", "grant", RuleOutcome.other_agency),
    ]
    decision = decide_read(
        policy=policy,
        policy_version=2,
        principal=make_principal(roles=("steward",)),
        purpose=None,
        now=NOW,
    )
    outcomes = {n.rule_id: n.outcome for n in decision.notes}
    assert outcomes["tax-identity-check"] is RuleOutcome.other_role
    assert outcomes["health-any-agency"] is RuleOutcome.purpose_required


def test_to_dict_is_json_for_explain(policy, make_principal):
    decision = decide_read(
        policy=policy,
        policy_version=3,
        principal=make_principal(attrs=WARD),
        purpose="tax-administration",
        now=NOW,
    )
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["rule_id"] == "tax-identity-check"
    assert data["fields"]["phone"]["treatment"] == {"mask": {"keep_last": 3}}
    assert data["row_filter"] == {"ward": ["phuong-ben-thanh"]}
    assert data["rules"][0]["outcome"] == "matched"


# -- applying a decision to a request ----------------------------------------------------


@pytest.fixture
def allowed(policy, make_principal):
    return decide_read(
        policy=policy,
        policy_version=1,
        principal=make_principal(attrs=WARD),
        purpose="tax-administration",
        now=NOW,
    )


def test_project_all_or_a_subset(allowed, descriptor):
    names = descriptor.field_names
    assert list(allowed.project(None, names)) == list(allowed.fields)
    assert list(allowed.project([], names)) == list(allowed.fields)
    assert allowed.project(["phone", "citizen_id"], names) == {
        "phone": Mask(keep_last=3),
        "citizen_id": Keep(),
    }
    assert allowed.project(["date_of_birth"], names) == {"date_of_birth": Generalize("year")}


def test_project_tells_unknown_from_not_visible(allowed, descriptor):
    with pytest.raises(UnknownField, match="no field 'phon'"):
        allowed.project(["phon"], descriptor.field_names)
    with pytest.raises(FieldNotPermitted, match="'ethnicity' is not visible") as exc:
        allowed.project(["citizen_id", "ethnicity"], descriptor.field_names)
    assert exc.value.visible == ["citizen_id", "date_of_birth", "full_name", "phone"]


def test_a_denial_cannot_be_projected(policy, make_principal, descriptor):
    denied = decide_read(
        policy=policy, policy_version=1, principal=make_principal(), purpose=None, now=NOW
    )
    with pytest.raises(Denied, match="declare a purpose"):
        denied.project(None, descriptor.field_names)


@pytest.mark.parametrize(
    ("filters", "error", "message"),
    [
        ({"citizen_id": "079"}, None, None),  # keep: fine
        ({"full_name": "An", "citizen_id": "1"}, None, None),
        ({"phone": "0909"}, FilterNotPermitted, "only in treated form"),  # masked
        ({"date_of_birth": "1990"}, FilterNotPermitted, "only in treated form"),  # generalized
        ({"ethnicity": "Kinh"}, FilterNotPermitted, "is not visible to you"),  # dropped
        ({"income": 5}, FilterNotPermitted, "is not visible to you"),  # not named
        ({"colour": "red"}, UnknownField, "no field 'colour'"),
    ],
)
def test_check_filters(allowed, descriptor, filters, error, message):
    if error is None:
        allowed.check_filters(filters, descriptor.field_names)
        return
    with pytest.raises(error, match=message):
        allowed.check_filters(filters, descriptor.field_names)
