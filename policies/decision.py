"""The vocabulary of decisions: actions, resources, and the ``Decision`` every check returns.

A ``Decision`` is a plain frozen value. It answers yes or no, says why in one sentence
(safe to show the caller), names the deciding rule and, for an allowed records read,
carries what the hub needs to serve it: the row filter, the visible fields and their
treatments, and the row cap. ``project`` and ``check_filters`` apply it to a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from connectors.descriptor import Classification
from policies.errors import Denied, FieldNotPermitted, FilterNotPermitted, UnknownField
from policies.treatment_kinds import Keep, Treatment


class Action(StrEnum):
    """Everything a principal can ask the hub to do; ``policies.permissions`` has the table."""

    datasets_list = "datasets.list"
    datasets_read = "datasets.read"
    datasets_register = "datasets.register"
    datasets_update = "datasets.update"
    datasets_delete = "datasets.delete"
    datasets_ingest = "datasets.ingest"
    datasets_classify = "datasets.classify"
    policies_read = "policies.read"
    policies_write = "policies.write"
    policies_explain = "policies.explain"
    access_requests_create = "access_requests.create"
    access_requests_decide = "access_requests.decide"
    catalog_publish = "catalog.publish"
    audit_read = "audit.read"
    audit_verify = "audit.verify"
    me_read = "me.read"
    pii_use = "pii.use"
    records_read = "records.read"


@dataclass(frozen=True)
class Resource:
    """What an action is about: a dataset and the agency that owns it."""

    dataset_id: str | None = None
    agency: str | None = None
    classification: Classification | None = None


class DenyCode(StrEnum):
    no_policy = "no_policy"
    missing_scope = "missing_scope"
    missing_role = "missing_role"
    not_owner = "not_owner"
    missing_resource = "missing_resource"
    missing_citizen_id = "missing_citizen_id"
    unknown_action = "unknown_action"
    purpose_required = "purpose_required"
    no_matching_rule = "no_matching_rule"
    purpose_not_allowed = "purpose_not_allowed"
    missing_attribute = "missing_attribute"


class AllowCode(StrEnum):
    rule_matched = "rule_matched"
    permitted = "permitted"


class RuleOutcome(StrEnum):
    """Why a candidate rule did or did not decide a records read."""

    other_agency = "other_agency"
    other_role = "other_role"
    expired = "expired"
    purpose_required = "purpose_required"
    other_purpose = "other_purpose"
    matched = "matched"
    shadowed = "shadowed"  # applied too, but an earlier rule matched first


@dataclass(frozen=True)
class RuleNote:
    rule_id: str
    source: str  # "policy" or "grant" (an approved access request)
    outcome: RuleOutcome
    detail: str
    purposes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """The rule applies to the principal and has not expired: only the purpose decides."""
        return self.outcome in {
            RuleOutcome.purpose_required,
            RuleOutcome.other_purpose,
            RuleOutcome.matched,
            RuleOutcome.shadowed,
        }


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    code: DenyCode | AllowCode
    rule_id: str | None = None
    policy_version: int | None = None
    #: field -> allowed values, templates resolved; one value means equality
    row_filter: Mapping[str, tuple[Any, ...]] = field(default_factory=_empty)
    #: only the fields the caller may see, with their treatments, in descriptor order
    fields: Mapping[str, Treatment] = field(default_factory=_empty)
    max_rows: int | None = None
    purpose: str | None = None
    #: for purpose_required / purpose_not_allowed: what the caller may declare instead
    allowed_purposes: tuple[str, ...] = ()
    notes: tuple[RuleNote, ...] = ()

    @classmethod
    def deny(cls, code: DenyCode, reason: str, **kwargs: Any) -> Decision:
        return cls(allowed=False, reason=reason, code=code, **kwargs)

    @classmethod
    def permit(cls, reason: str, **kwargs: Any) -> Decision:
        return cls(allowed=True, reason=reason, code=AllowCode.permitted, **kwargs)

    def require(self) -> Decision:
        """Return self if allowed; raise Denied otherwise (so a denial is never used as data)."""
        if not self.allowed:
            raise Denied(self.reason, str(self.code))
        return self

    def project(
        self, requested: Sequence[str] | None, all_fields: Sequence[str]
    ) -> dict[str, Treatment]:
        """The fields to return for ``fields=a,b`` (None or empty: every visible field).

        Requested fields come back in the order asked. A name the dataset lacks raises
        UnknownField; one it has but the caller may not see raises FieldNotPermitted.
        """
        self.require()
        wanted = [name.strip() for name in requested or () if name.strip()]
        if not wanted:
            return dict(self.fields)
        out: dict[str, Treatment] = {}
        for name in wanted:
            if name not in all_fields:
                raise UnknownField(name, all_fields)
            if name not in self.fields:
                raise FieldNotPermitted(name, self.fields)
            out[name] = self.fields[name]
        return out

    def check_filters(
        self, filters: Mapping[str, Any], all_fields: Sequence[str] | None = None
    ) -> None:
        """Allow equality filters only on fields visible unaltered (``keep``)."""
        self.require()
        filterable = [n for n, t in self.fields.items() if isinstance(t, Keep)]
        for name in filters:
            if all_fields is not None and name not in all_fields:
                raise UnknownField(name, all_fields)
            if not isinstance(self.fields.get(name), Keep):
                raise FilterNotPermitted(name, filterable, visible=name in self.fields)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready answer for ``POST /v1/policy/explain`` and audit entries."""
        return {
            "allowed": self.allowed,
            "code": str(self.code),
            "reason": self.reason,
            "rule_id": self.rule_id,
            "policy_version": self.policy_version,
            "purpose": self.purpose,
            "allowed_purposes": list(self.allowed_purposes),
            "row_filter": {k: list(v) for k, v in self.row_filter.items()},
            "max_rows": self.max_rows,
            "fields": {
                name: {"treatment": t.to_spec(), "description": t.describe()}
                for name, t in self.fields.items()
            },
            "rules": [
                {
                    "rule_id": n.rule_id,
                    "source": n.source,
                    "outcome": str(n.outcome),
                    "detail": n.detail,
                }
                for n in self.notes
            ],
        }
