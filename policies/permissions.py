"""Who may do what besides reading records: one table, one pure function, default deny.

``authorize(principal, action, resource)`` looks the action up in ``TABLE`` and checks, in
this order: the principal's role, ownership of the resource (for roles that only act on
their own agency's datasets), the token's scope, then a citizen id for ``me.read``. The
first failing check is the reason of the denial. An action missing from the table is
denied (``unknown_action``), as is any role not listed in an action's row (developers and
citizens, for instance, are outside every row except ``me.read`` for citizens).

| action                                 | scope           | any agency              | own agency |
|----------------------------------------|-----------------|-------------------------|------------|
| datasets.list, datasets.read (metadata)| -               | admin, steward, officer | -          |
| datasets.register, .update, .delete,   | datasets:write  | admin                   | steward    |
|   .ingest, .classify                   |                 |                         |            |
| policies.read                          | -               | admin                   | steward    |
| policies.explain (own token)           | -               | admin, steward, officer | -          |
| policies.write, access_requests.decide | policies:write  | admin                   | steward    |
| access_requests.create                 | records:read    | officer                 | -          |
| catalog.publish                        | catalog:publish | admin                   | steward    |
| audit.read, audit.verify               | audit:read      | auditor, admin          | -          |
| me.read (also needs a citizen_id)      | -               | citizen                 | -          |
| pii.use                                | -               | steward, officer, admin | -          |
| records.read                           | records:read    | admin, steward, officer | -          |

Officers do not read policies: they see their own effective access through explain
(``policies.explain``). Explaining *another* principal's access (``POST /v1/policy/explain``
with ``"principal"``, ``civichub policy explain``) reveals the policy, so the hub checks
``policies.read`` on the dataset for it as well: stewards of the owning agency and admins.

``records.read`` here only says the principal may *ask*; ``policies.engine.decide_read``
then decides rows and fields from the dataset's policy. An admin passes this table but
still needs a matching rule to get any record: admins manage the hub, they do not get
data by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.decision import Action, Decision, DenyCode, Resource
from policies.principal import Principal, Role, Scope


@dataclass(frozen=True)
class Row:
    """One line of the table: what an action needs."""

    scope: Scope | None
    any_agency: frozenset[Role]
    own_agency: frozenset[Role] = frozenset()
    needs_citizen_id: bool = False

    @property
    def roles(self) -> frozenset[Role]:
        return self.any_agency | self.own_agency


def _row(
    scope: Scope | None, any_agency: set[Role], own_agency: set[Role] | None = None, **kw: bool
) -> Row:
    return Row(scope, frozenset(any_agency), frozenset(own_agency or ()), **kw)


ADMIN, STEWARD, OFFICER = Role.admin, Role.steward, Role.officer
_READ_META = _row(None, {ADMIN, STEWARD, OFFICER})
_WRITE_DATASET = _row(Scope.datasets_write, {ADMIN}, {STEWARD})
_WRITE_POLICY = _row(Scope.policies_write, {ADMIN}, {STEWARD})
_AUDIT = _row(Scope.audit_read, {Role.auditor, ADMIN})

TABLE: dict[Action, Row] = {
    Action.datasets_list: _READ_META,
    Action.datasets_read: _READ_META,
    Action.datasets_register: _WRITE_DATASET,
    Action.datasets_update: _WRITE_DATASET,
    Action.datasets_delete: _WRITE_DATASET,
    Action.datasets_ingest: _WRITE_DATASET,
    Action.datasets_classify: _WRITE_DATASET,
    Action.policies_read: _row(None, {ADMIN}, {STEWARD}),
    Action.policies_write: _WRITE_POLICY,
    Action.policies_explain: _READ_META,
    Action.access_requests_decide: _WRITE_POLICY,
    Action.access_requests_create: _row(Scope.records_read, {OFFICER}),
    Action.catalog_publish: _row(Scope.catalog_publish, {ADMIN}, {STEWARD}),
    Action.audit_read: _AUDIT,
    Action.audit_verify: _AUDIT,
    Action.me_read: _row(None, {Role.citizen}, needs_citizen_id=True),
    Action.pii_use: _row(None, {STEWARD, OFFICER, ADMIN}),
    Action.records_read: _row(Scope.records_read, {ADMIN, STEWARD, OFFICER}),
}


def authorize(principal: Principal, action: Action | str, resource: Resource | None) -> Decision:
    """Decide a management action from ``TABLE`` (see the module docstring)."""
    row = TABLE.get(action)  # type: ignore[arg-type]  # a plain str finds its Action row
    if row is None:
        return Decision.deny(
            DenyCode.unknown_action, f"{action!r} is not an action the hub knows; denied"
        )
    denial = (
        _check_role(principal, action, row)
        or _check_owner(principal, action, row, resource)
        or _check_scope(principal, action, row)
        or _check_citizen(principal, row)
    )
    if denial is not None:
        return denial
    return Decision.permit(f"{_who(principal)} may {action}")


def _who(principal: Principal) -> str:
    roles = ", ".join(sorted(principal.roles)) or "no role"
    return f"{principal.sub} ({roles}{', ' + principal.agency if principal.agency else ''})"


def _check_role(principal: Principal, action: str, row: Row) -> Decision | None:
    if principal.has_role(*row.roles):
        return None
    needed = ", ".join(sorted(row.roles))
    return Decision.deny(
        DenyCode.missing_role,
        f"{action} needs one of the roles {needed}; you are {_who(principal)}",
    )


def _check_owner(
    principal: Principal, action: str, row: Row, resource: Resource | None
) -> Decision | None:
    if principal.has_role(*row.any_agency):
        return None  # e.g. admin: any agency's datasets
    # Only own-agency roles are left: the resource must name its owner, and it must be us.
    if resource is None or not resource.agency:
        return Decision.deny(
            DenyCode.missing_resource,
            f"{action} by a {', '.join(sorted(row.own_agency))} needs the dataset's owning agency",
        )
    if not principal.agency or principal.agency != resource.agency:
        return Decision.deny(
            DenyCode.not_owner,
            f"{action} is for stewards of the owning agency {resource.agency}; "
            f"you are {principal.agency or 'not in any agency'}",
        )
    return None


def _check_scope(principal: Principal, action: str, row: Row) -> Decision | None:
    if row.scope is None or principal.has_scope(row.scope):
        return None
    return Decision.deny(
        DenyCode.missing_scope,
        f"{action} needs scope {row.scope} in your token; request a token that includes it",
    )


def _check_citizen(principal: Principal, row: Row) -> Decision | None:
    if not row.needs_citizen_id or principal.citizen_id:
        return None
    return Decision.deny(
        DenyCode.missing_citizen_id,
        "your token has no citizen_id; sign in with a citizen account to see your access log",
    )
