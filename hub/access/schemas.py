"""What the access API takes and returns: access requests and explain answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, field_validator

from hub.access.models import AccessRequest, RequestStatus
from hub.db import utcnow
from policies.principal import Principal, Role, Scope, split_list

Names = Annotated[list[str], BeforeValidator(lambda v: split_list(v) if isinstance(v, str) else v)]


class _In(BaseModel):
    # a typo in a key (``feilds``) is an error, never a silently ignored option
    model_config = ConfigDict(extra="forbid")


# -- access requests ---------------------------------------------------------------------


class AccessRequestCreate(_In):
    dataset: str = Field(max_length=63, examples=["population-registry"])
    purpose: str = Field(
        max_length=100, examples=["tax-audit"], description="the one purpose the data is for"
    )
    fields: Names = Field(
        max_length=500,
        examples=[["citizen_id", "full_name", "ward"]],
        description="fields of the dataset (at least one)",
    )
    justification: str = Field(
        max_length=5000,
        examples=["Audit of 2025 personal income tax refunds in phuong-ben-thanh (case 12/TTr)"],
    )
    days: StrictInt = Field(examples=[30], description="how long access is needed: 1 to 365")


class AccessApproval(_In):
    """Optional body of ``approve``: narrow the fields or give them treatments."""

    fields: list[str] | dict[str, Any] | None = Field(
        default=None,
        description=(
            "omit to grant every requested field unchanged; a list grants that subset "
            "unchanged; a mapping {field: treatment} grants those fields so treated"
        ),
        examples=[["citizen_id", "full_name"], {"citizen_id": "keep", "phone": {"mask": {}}}],
    )
    reason: str | None = Field(default=None, max_length=2000, examples=["case 12/TTr confirmed"])


class AccessRejection(_In):
    reason: str = Field(max_length=2000, examples=["the audit case is closed"])


class AccessRequestRead(BaseModel):
    id: int = Field(examples=[7])
    dataset: str = Field(examples=["population-registry"])
    status: RequestStatus
    requester: str = Field(examples=["thue-officer-1"])
    requester_agency: str = Field(examples=["thue"])
    purpose: str = Field(examples=["tax-audit"])
    fields: list[str]
    justification: str
    days: int = Field(examples=[30])
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    grant: dict[str, Any] | None = Field(
        description="the rule an approval created (policy-file shape)",
        examples=[
            {
                "id": "grant-7",
                "agencies": ["thue"],
                "roles": ["officer"],
                "purposes": ["tax-audit"],
                "fields": {"citizen_id": "keep", "full_name": "keep"},
                "expires": "2026-02-01",
            }
        ],
    )
    expires_at: datetime | None = Field(description="when the grant stops working (UTC)")
    active: bool = Field(description="approved and not expired now")

    @classmethod
    def of(cls, r: AccessRequest, now: datetime | None = None) -> AccessRequestRead:
        now = now or utcnow()
        return cls(
            id=r.id,
            dataset=r.dataset.id,
            status=RequestStatus(r.status),
            requester=r.requester,
            requester_agency=r.requester_agency,
            purpose=r.purpose,
            fields=list(r.fields),
            justification=r.justification,
            days=r.days,
            created_at=r.created_at,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            decision_reason=r.decision_reason,
            grant=r.grant,
            expires_at=r.expires_at,
            active=r.status == RequestStatus.approved and bool(r.expires_at and r.expires_at > now),
        )


class AccessRequestPage(BaseModel):
    items: list[AccessRequestRead]
    total: int
    limit: int
    offset: int


# -- explain -----------------------------------------------------------------------------


class PrincipalClaims(_In):
    """Claims of the principal to explain, as a token would carry them."""

    sub: str = Field(default="", max_length=200, description="for ${sub} row filters")
    agency: str | None = Field(default=None, max_length=63, examples=["thue"])
    roles: Annotated[list[Role], BeforeValidator(split_list)] = Field(examples=[["officer"]])
    scope: str = Field(
        default=Scope.records_read.value,
        description="space-separated scopes; default records:read (the question is a read)",
    )
    attrs: dict[str, Any] = Field(default_factory=dict, examples=[{"ward": "phuong-ben-thanh"}])
    citizen_id: str | None = None

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        known = {s.value for s in Scope}
        unknown = sorted(set(split_list(value)) - known)
        if unknown:
            raise ValueError(f"unknown scope {', '.join(unknown)}; use {', '.join(sorted(known))}")
        return value

    def to_principal(self) -> Principal:
        return Principal(
            sub=self.sub,
            agency=self.agency or None,
            roles=frozenset(r.value for r in self.roles),
            scopes=frozenset(split_list(self.scope)),
            attrs=dict(self.attrs),
            citizen_id=self.citizen_id,
        )


class ExplainRequest(_In):
    dataset: str = Field(max_length=63, examples=["population-registry"])
    purpose: str | None = Field(
        default=None,
        max_length=100,
        examples=["tax-administration"],
        description="omit to learn which purposes you may declare",
    )
    fields: Names | None = Field(
        default=None, description="only these fields (default: every field of the dataset)"
    )
    principal: PrincipalClaims | None = Field(
        default=None,
        description="explain for these claims instead of your token (stewards of the owning "
        "agency and admins only)",
    )


class FieldExplained(BaseModel):
    visible: bool
    treatment: str | dict[str, Any] | None = Field(examples=[{"mask": {"keep_last": 3}}])
    description: str = Field(examples=["masked with '*', keeping the last 3 characters"])
    filterable: bool = Field(description="equality filters work on this field")


class RuleExplained(BaseModel):
    rule_id: str
    source: str = Field(description="policy, or grant (an approved access request)")
    outcome: str = Field(examples=["matched", "other_purpose", "expired"])
    detail: str


class ExplainRead(BaseModel):
    dataset: str = Field(examples=["population-registry"])
    purpose: str | None
    principal: dict[str, Any] = Field(description="the claims the answer is for")
    allowed: bool
    code: str = Field(examples=["rule_matched", "purpose_not_allowed", "no_matching_rule"])
    reason: str
    rule_id: str | None = Field(examples=["tax-identity-check"])
    policy_version: int | None
    allowed_purposes: list[str] = Field(description="when denied for the purpose: what you may use")
    fields: dict[str, FieldExplained]
    row_filter: dict[str, list[Any]] = Field(examples=[{"ward": ["phuong-ben-thanh"]}])
    max_rows: int | None
    rules: list[RuleExplained] = Field(description="each candidate rule, in evaluation order")
    other_rules: int = Field(
        description="rules for other agencies or roles, not shown to callers who may not "
        "read the policy"
    )
