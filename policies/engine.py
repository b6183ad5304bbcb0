"""Who may read which records: a pure decision over a policy, a principal and a purpose.

``decide_read`` never touches a database, a clock or a token: the caller passes the
policy, the verified principal, the declared purpose and ``now``. The answer is a
``Decision`` that says yes or no, why in one sentence, which rule decided, and for an
allowed read the row filter, the visible fields with their treatments and the row cap.

Resolution order (a product decision, written down so it can be explained to stewards and
pinned by the decision-table test in ``tests/policies/test_engine.py``):

1. No policy: deny (``no_policy``). A dataset without a policy is closed, never open.
2. The token lacks scope ``records:read``: deny (``missing_scope``).
3. Candidate rules are the policy's rules in file order, then ``extra_rules`` (time-bound
   grants from approved access requests) in the order given. A rule *applies to the
   principal* when the principal's agency is in ``agencies`` (``"*"`` matches any agency,
   but not a principal without one) and the principal has one of ``roles``.
4. No purpose declared: if an applicable, unexpired rule exists, deny
   (``purpose_required``, ``allowed_purposes`` = sorted union of their purposes);
   otherwise deny (``no_matching_rule``).
5. Among applicable rules, expired ones are dropped (``expires`` is valid through the end of
   that day in Asia/Ho_Chi_Minh; the reason says "rule X expired on D"), then those whose
   purposes lack the declared one. If every applicable rule expired: ``no_matching_rule``;
   if none of the unexpired ones has the purpose: ``purpose_not_allowed`` (the reason lists
   the purposes the caller may use).
6. The first remaining rule wins. Rules are never merged: one rule decides a read, so the
   answer is predictable and can be explained by pointing at that rule.
7. Its ``row_filter`` templates are resolved from the principal. A missing attribute or
   claim denies (``missing_attribute``), never falls back to "no filter".
8. Allowed (``rule_matched``): the visible fields are the rule's fields minus ``drop``
   ones; a field the rule does not name is not returned.

Admins get no bypass here: they manage datasets and policies, but reading records needs a
matching rule like anyone else (``policies.permissions`` only lets them *ask*).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType

from policies.decision import (
    Action,
    AllowCode,
    Decision,
    DenyCode,
    Resource,
    RuleNote,
    RuleOutcome,
)
from policies.errors import PoliciesError
from policies.model import ANY_AGENCY, Policy, Rule
from policies.principal import Principal, Scope
from policies.templates import MissingAttribute, resolve_filter

# Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact and
# needs no tz database on the host.
HCMC_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

GRANT = "grant"
POLICY = "policy"


def local_date(now: datetime) -> date:
    """The calendar day in Ho Chi Minh City; naive datetimes are refused (ambiguous)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise PoliciesError("now must be timezone-aware (e.g. datetime.now(UTC))")
    return now.astimezone(HCMC_TZ).date()


def is_expired(rule: Rule, today: date) -> bool:
    return rule.expires is not None and today > rule.expires


def decide_read(
    *,
    policy: Policy | None,
    policy_version: int | None,
    principal: Principal,
    purpose: str | None,
    now: datetime,
    extra_rules: Sequence[Rule] = (),
    field_order: Sequence[str] | None = None,
) -> Decision:
    """Decide a records read following the resolution order in the module docstring.

    ``field_order`` (the descriptor's field names) orders the visible fields and drops any
    a rule names that the dataset no longer has.
    """
    declared = (purpose or "").strip() or None
    base = {"policy_version": policy_version, "purpose": declared}
    if policy is None:
        return Decision.deny(
            DenyCode.no_policy,
            "this dataset has no access policy, so no records can be read; its steward "
            "must apply one first",
            **base,
        )
    if not principal.has_scope(Scope.records_read):
        return Decision.deny(
            DenyCode.missing_scope,
            f"your token lacks scope {Scope.records_read}; request a token that includes it",
            **base,
        )
    notes, winner = _evaluate(policy, extra_rules, principal, declared, local_date(now))
    if winner is None:
        return _no_winner(policy, principal, declared, notes, base)
    return _allow(winner, principal, declared, notes, base, field_order)


def evaluate_rules(
    *,
    policy: Policy,
    principal: Principal,
    purpose: str | None,
    now: datetime,
    extra_rules: Sequence[Rule] = (),
) -> tuple[RuleNote, ...]:
    """Why each candidate rule did or did not match (for ``POST /v1/policy/explain``)."""
    declared = (purpose or "").strip() or None
    notes, _ = _evaluate(policy, extra_rules, principal, declared, local_date(now))
    return notes


def _evaluate(
    policy: Policy,
    extra_rules: Sequence[Rule],
    principal: Principal,
    purpose: str | None,
    today: date,
) -> tuple[tuple[RuleNote, ...], Rule | None]:
    """Steps 3 to 6: one note per candidate rule, in order, and the winning rule if any."""
    candidates = [(r, POLICY) for r in policy.rules] + [(r, GRANT) for r in extra_rules]
    notes: list[RuleNote] = []
    winner: Rule | None = None
    for rule, source in candidates:
        outcome, detail = _judge(rule, principal, purpose, today, winner)
        if outcome is RuleOutcome.matched:
            winner = rule
        notes.append(RuleNote(rule.id, source, outcome, detail, tuple(rule.purposes)))
    return tuple(notes), winner


def _judge(
    rule: Rule, principal: Principal, purpose: str | None, today: date, winner: Rule | None
) -> tuple[RuleOutcome, str]:
    if not _agency_matches(rule, principal):
        return RuleOutcome.other_agency, (
            f"rule {rule.id!r} is for agencies {', '.join(rule.agencies)}; "
            f"you are {principal.agency or 'not in any agency'}"
        )
    if not principal.has_role(*rule.roles):
        return RuleOutcome.other_role, (
            f"rule {rule.id!r} is for roles {', '.join(rule.roles)}; "
            f"you have {', '.join(sorted(principal.roles)) or 'no role'}"
        )
    if is_expired(rule, today):
        return RuleOutcome.expired, f"rule {rule.id!r} expired on {rule.expires}"
    if purpose is None:
        return RuleOutcome.purpose_required, (
            f"rule {rule.id!r} applies to you for purposes {', '.join(rule.purposes)}; declare one"
        )
    if purpose not in rule.purposes:
        return RuleOutcome.other_purpose, (
            f"rule {rule.id!r} is for purposes {', '.join(rule.purposes)}, not {purpose!r}"
        )
    if winner is not None:
        return RuleOutcome.shadowed, f"rule {winner.id!r} matched first (first match wins)"
    return RuleOutcome.matched, f"rule {rule.id!r} matched"


def _agency_matches(rule: Rule, principal: Principal) -> bool:
    if not principal.agency:
        return False  # "*" means any agency, never "no agency"
    return ANY_AGENCY in rule.agencies or principal.agency in rule.agencies


def _no_winner(
    policy: Policy,
    principal: Principal,
    purpose: str | None,
    notes: tuple[RuleNote, ...],
    base: dict,
) -> Decision:
    """Steps 4 and 5: turn the notes into the one denial that helps the caller most."""
    usable = sorted({p for n in notes if n.usable for p in n.purposes})
    expired = "; ".join(n.detail for n in notes if n.outcome is RuleOutcome.expired)
    tail = f" ({expired})" if expired else ""
    if usable and purpose is None:
        code = DenyCode.purpose_required
        reason = (
            "declare a purpose (query parameter purpose= or header X-Purpose); "
            f"purposes you may use: {', '.join(usable)}"
        )
    elif usable:
        code = DenyCode.purpose_not_allowed
        reason = (
            f"purpose {purpose!r} is not allowed for you on dataset {policy.dataset!r}; "
            f"purposes you may use: {', '.join(usable)}{tail}"
        )
    else:
        code = DenyCode.no_matching_rule
        roles = ", ".join(sorted(principal.roles)) or "(none)"
        who = f"agency {principal.agency or '(none)'} with roles {roles}"
        reason = (
            f"no rule of the policy of dataset {policy.dataset!r} lets {who} read it{tail}; "
            "ask its steward for access (POST /v1/access-requests)"
        )
    return Decision.deny(code, reason, allowed_purposes=tuple(usable), notes=notes, **base)


def _allow(
    rule: Rule,
    principal: Principal,
    purpose: str | None,
    notes: tuple[RuleNote, ...],
    base: dict,
    field_order: Sequence[str] | None,
) -> Decision:
    """Steps 7 and 8: resolve the row filter, then list the visible fields."""
    try:
        row_filter = resolve_filter(rule.row_filter, principal)
    except MissingAttribute as exc:
        return Decision.deny(
            DenyCode.missing_attribute,
            f"rule {rule.id!r} filters rows by {exc.name}, but your token has no usable "
            f"{exc.name}; ask your identity provider to include it",
            rule_id=rule.id,
            notes=notes,
            **base,
        )
    fields = rule.visible_fields
    if field_order is not None:
        fields = {name: fields[name] for name in field_order if name in fields}
    return Decision(
        allowed=True,
        code=AllowCode.rule_matched,
        reason=(
            f"rule {rule.id!r} lets {principal.agency} "
            f"({', '.join(sorted(principal.roles))}) read for purpose {purpose!r}"
        ),
        rule_id=rule.id,
        row_filter=MappingProxyType(row_filter),
        fields=MappingProxyType(fields),
        max_rows=rule.max_rows,
        notes=notes,
        **base,
    )


__all__ = [
    "HCMC_TZ",
    "Action",
    "AllowCode",
    "Decision",
    "DenyCode",
    "Resource",
    "RuleNote",
    "RuleOutcome",
    "decide_read",
    "evaluate_rules",
    "is_expired",
    "local_date",
]
