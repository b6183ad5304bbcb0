"""Explain a records read without reading: which rule matches, or why none does.

``explain`` runs the same decision as a read (``policies.engine.decide_read`` over the
policy in force and the dataset's active grants) and describes it: the rule, the row
filter resolved from the principal, the row cap, and every field's treatment, including
the fields the caller will *not* get and why. Unknown field names are an error (400), as
in a read.

Explain reveals policy, so:

- explaining *another* principal (the API's ``"principal"``, the CLI) needs
  ``policies.read`` on the dataset (the route checks it);
- a caller who may not read the policy (an officer) sees the notes of the rules that
  apply to their agency and roles only, and a count of the others, never their content;
- every answer is audited (``PolicyExplained``) with the decision it describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.access import grants, requests
from hub.access import service as policies
from hub.audit import service as audit
from hub.audit.events import PolicyExplained
from hub.context import Actor
from hub.datasets import service as datasets
from hub.datasets.models import Dataset
from hub.db import utcnow
from policies.decision import Action, Decision, RuleOutcome
from policies.engine import decide_read
from policies.errors import UnknownField
from policies.model import Drop, Keep, Rule
from policies.permissions import authorize
from policies.principal import Principal

#: rule notes an officer does not see (they describe other agencies' or roles' access)
_NOT_YOURS = {RuleOutcome.other_agency, RuleOutcome.other_role}


def explain(
    session: Session,
    *,
    dataset: Dataset,
    principal: Principal,
    purpose: str | None,
    fields: Sequence[str] | None,
    actor: Actor,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The explain answer for ``principal`` (the caller's own, or one a steward describes)."""
    now = now or utcnow()
    descriptor = datasets.descriptor_of(dataset)
    stored = policies.current(session, dataset)
    active_grants = grants.active(session, dataset=dataset, now=now)
    decision = decide_read(
        policy=stored.policy if stored else None,
        policy_version=stored.version if stored else None,
        principal=principal,
        purpose=purpose,
        now=now,
        extra_rules=active_grants,
        field_order=descriptor.field_names,
    )
    wanted = _wanted(fields, descriptor.field_names)
    rules = [*(stored.policy.rules if stored else ()), *active_grants]
    winner = next((r for r in rules if r.id == decision.rule_id), None)
    answer = {
        "dataset": dataset.id,
        "principal": principal.claims(),
        **decision.to_dict(),
        "fields": {name: _field(name, decision, winner) for name in wanted},
    }
    may_read_policy = authorize(
        actor.principal, Action.policies_read, requests.resource_of(dataset)
    ).allowed
    answer["other_rules"] = 0
    if not may_read_policy:
        shown = [i for i, n in enumerate(decision.notes) if n.outcome not in _NOT_YOURS]
        answer["rules"] = [answer["rules"][i] for i in shown]
        answer["other_rules"] = len(decision.notes) - len(shown)
    _audit(session, actor, dataset, principal, decision, wanted if fields else ())
    return answer


def _wanted(fields: Sequence[str] | None, names: Sequence[str]) -> list[str]:
    wanted = [f.strip() for f in fields or () if f.strip()]
    for name in wanted:
        if name not in names:
            raise UnknownField(name, names)
    return list(dict.fromkeys(wanted)) or list(names)


def _field(name: str, decision: Decision, winner: Rule | None) -> dict[str, Any]:
    treatment = decision.fields.get(name)
    if treatment is not None:
        return {
            "visible": True,
            "treatment": treatment.to_spec(),
            "description": treatment.describe(),
            # equality filters work on fields returned as stored only (Decision.check_filters)
            "filterable": isinstance(treatment, Keep),
        }
    if not decision.allowed:
        why = "not returned: the read is denied"
    elif winner is not None and isinstance(winner.fields.get(name), Drop):
        why = f"not returned: rule {winner.id!r} drops it"
    else:
        why = f"not returned: rule {decision.rule_id!r} does not name it"
    return {"visible": False, "treatment": None, "description": why, "filterable": False}


def _audit(
    session: Session,
    actor: Actor,
    dataset: Dataset,
    principal: Principal,
    decision: Decision,
    fields: Sequence[str],
) -> None:
    detail: dict[str, Any] = {"allowed": decision.allowed, "code": str(decision.code)}
    if principal != actor.principal:
        detail["for"] = {
            "sub": principal.sub,
            "agency": principal.agency,
            "roles": sorted(principal.roles),
        }
    audit.append(
        session,
        actor.event(
            PolicyExplained,
            dataset=dataset.id,
            purpose=decision.purpose,
            fields=tuple(fields),
            rule_id=decision.rule_id,
            policy_version=decision.policy_version,
            detail=detail,
        ),
    )
