"""De-identify a dataset for open data, driven by the descriptor's ``open_data`` block.

Two passes over the data, both streaming batches of columns (``{field: [values]}``):

    plan = plan_deidentification(descriptor, qi_batches, options=DeidOptions())
    applier = plan.compile(ctx)                  # ctx: policies.treatments.TreatmentContext
    for batch in batches:
        columns, kept = applier.apply(batch)     # or apply_plan(plan, batch, ctx)

``plan_deidentification`` reads only the quasi-identifier and sensitive columns (other
columns in the batches are ignored), searches the generalization lattice
(``catalog.lattice``) and returns a ``Plan``: a level per quasi-identifier, the
generalized keys of the classes to suppress, a treatment for every other field and the
report. The plan must see every row: a sample cannot prove k for the rows it missed.

What happens to each field (``field_roles``):

* **quasi-identifiers** (``open_data.quasi_identifiers``) climb their hierarchy
  (``catalog.hierarchies``) to the chosen level; rows of the classes still smaller than
  k (or not ℓ-diverse, when ``l_diversity`` is set) are suppressed: left out;
* **direct identifiers**: the primary key, and every field with a PII type other than
  FREE_TEXT and SENSITIVE that is not a quasi-identifier, are dropped, or pseudonymized
  with the hub's keyed HMAC when ``direct_identifiers="pseudonymize"``;
* **free text** (type ``text`` or PII ``FREE_TEXT``) is dropped: it cannot be proven safe;
* **sensitive** fields (PII ``SENSITIVE`` and ``open_data.sensitive``) are kept and
  their distinct ℓ is reported (and enforced with ``open_data.l_diversity``);
* everything else is kept as it is; the residual gate (``catalog.gate``) still scans it.

Options the descriptor cannot carry (``OpenDataSpec`` forbids unknown keys) come from the
caller as ``DeidOptions``: the publish command or API passes them.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import compress
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from catalog.errors import (
    EmptyDataset,
    KUnreachable,
    LDiversityUnreachable,
    NotPublishable,
    OutputCheckFailed,
)
from catalog.hierarchies import Hierarchy, check_quasi_identifier, hierarchy_for
from catalog.lattice import Criteria, Encoder, Lattice, Levels, Node, loss, search, withheld
from catalog.report import DeidReport, Role
from catalog.risk import Risk, summarize
from connectors.descriptor import DatasetDescriptor, FieldType, OpenDataSpec, PiiType
from policies.treatment_kinds import Drop, Keep, Pseudonymize, Treatment
from policies.treatments import Plan as TreatmentPlan
from policies.treatments import TreatmentContext, compile_plan

DirectMode = Literal["drop", "pseudonymize"]
Columns = Mapping[str, Sequence[Any]]
_NOT_DIRECT = frozenset({PiiType.FREE_TEXT, PiiType.SENSITIVE})


@dataclass(frozen=True)
class DeidOptions:
    """Choices beyond the descriptor. ``k``, ``l_diversity`` come from ``open_data``."""

    direct_identifiers: DirectMode = "drop"
    #: share of rows that may be suppressed to reach k (ARX's default budget is similar)
    max_suppression: float = 0.05
    #: hierarchy kind per quasi-identifier, to override the one chosen from its type
    hierarchies: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.direct_identifiers not in ("drop", "pseudonymize"):
            raise NotPublishable(
                f"direct_identifiers must be 'drop' or 'pseudonymize', not "
                f"{self.direct_identifiers!r}"
            )
        if not 0 <= self.max_suppression < 1:
            raise NotPublishable(
                f"max_suppression is a share of rows from 0 to below 1, not {self.max_suppression}"
            )


def field_roles(descriptor: DatasetDescriptor, options: DeidOptions) -> dict[str, Role]:
    """What happens to each field, in descriptor order."""
    spec = _open_data(descriptor)
    direct = (
        Role.direct_pseudonymized
        if options.direct_identifiers == "pseudonymize"
        else Role.direct_dropped
    )
    roles = {}
    for f in descriptor.fields:
        if f.name in spec.quasi_identifiers:
            roles[f.name] = Role.quasi_identifier
        elif f.type is FieldType.text or f.pii is PiiType.FREE_TEXT:
            roles[f.name] = Role.free_text
        elif f.name == descriptor.primary_key or (f.pii is not None and f.pii not in _NOT_DIRECT):
            roles[f.name] = direct
        elif f.pii is PiiType.SENSITIVE or f.name in spec.sensitive:
            roles[f.name] = Role.sensitive
        else:
            roles[f.name] = Role.kept
    return roles


def _open_data(descriptor: DatasetDescriptor) -> OpenDataSpec:
    if descriptor.open_data is None:
        raise NotPublishable(
            f"dataset {descriptor.id!r} has no open_data block: declare its "
            "quasi_identifiers and k before publishing it as open data"
        )
    return descriptor.open_data


def _sensitive_fields(descriptor: DatasetDescriptor, roles: Mapping[str, Role]) -> list[str]:
    listed = _open_data(descriptor).sensitive
    for name in listed:
        if roles[name] is not Role.sensitive:
            raise NotPublishable(
                f"open_data.sensitive names {name!r}, which is {roles[name].value}, not "
                "published as a sensitive attribute; remove it from open_data.sensitive"
            )
    return [name for name, role in roles.items() if role is Role.sensitive]


@dataclass(frozen=True)
class Plan:
    """How to de-identify every batch of one dataset. Never published: it holds labels."""

    dataset: str
    quasi: tuple[Hierarchy, ...]
    levels: Node
    #: generalized QI label tuples whose rows are left out
    withheld: frozenset[tuple[Any, ...]]
    #: treatment of every other field; dropped fields are ``Drop`` and never compiled
    treatments: Mapping[str, Treatment]
    #: published fields in descriptor order
    output_fields: tuple[str, ...]
    #: the labels each QI can carry at its chosen level (the residual gate's vocabulary)
    vocabulary: Mapping[str, frozenset[Any]]
    report: DeidReport

    @property
    def quasi_identifiers(self) -> tuple[str, ...]:
        return tuple(h.field for h in self.quasi)

    def compile(self, ctx: TreatmentContext) -> Applier:
        return Applier(self, ctx)


class Applier:
    """A plan compiled for one context: apply it to each batch of a stream."""

    def __init__(self, plan: Plan, ctx: TreatmentContext) -> None:
        self.plan = plan
        self._qi_fns = [
            h.column_fn(level, ctx) for h, level in zip(plan.quasi, plan.levels, strict=True)
        ]
        self._others: TreatmentPlan = compile_plan(plan.treatments, ctx)

    def apply(self, columns: Columns) -> tuple[dict[str, list[Any]], list[bool]]:
        """The published columns of a batch (suppressed rows left out) and the kept mask."""
        plan = self.plan
        missing = [
            name for name in (*plan.quasi_identifiers, *self._others.fields) if name not in columns
        ]
        if missing:
            raise NotPublishable(f"the batch has no column for {', '.join(missing)}")
        generalized = {
            h.field: fn(columns[h.field]) for h, fn in zip(plan.quasi, self._qi_fns, strict=True)
        }
        treated = {**generalized, **self._others.apply(columns)}
        kept = self._kept(generalized, _rows(columns))
        out = {name: list(compress(treated[name], kept)) for name in plan.output_fields}
        return out, kept

    def _kept(self, generalized: Mapping[str, list[Any]], rows: int) -> list[bool]:
        if not self.plan.withheld:
            return [True] * rows
        withheld = self.plan.withheld
        keys = zip(*(generalized[name] for name in self.plan.quasi_identifiers), strict=True)
        return [key not in withheld for key in keys]


def apply_plan(
    plan: Plan, columns: Columns, ctx: TreatmentContext
) -> tuple[dict[str, list[Any]], list[bool]]:
    """One batch through ``plan`` (compile once with ``plan.compile`` for a stream)."""
    return plan.compile(ctx).apply(columns)


def _rows(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def plan_deidentification(
    descriptor: DatasetDescriptor,
    batches: Iterable[Columns],
    *,
    options: DeidOptions | None = None,
) -> Plan:
    """Find the least generalization reaching k (and ℓ) over every row of ``batches``.

    Raises ``EmptyDataset``, ``KUnreachable``, ``LDiversityUnreachable``,
    ``QuasiIdentifierError`` or ``NotPublishable`` with what to change.
    """
    started = time.perf_counter()
    options = options or DeidOptions()
    spec = _open_data(descriptor)
    roles = field_roles(descriptor, options)
    sensitive = _sensitive_fields(descriptor, roles)
    _check_quasi_identifiers(descriptor, options)
    encoder = _encode(descriptor, batches, spec.quasi_identifiers, sensitive)
    lattice = _lattice(descriptor, encoder, options)
    criteria = Criteria(
        k=spec.k,
        l_diversity=spec.l_diversity,
        max_suppressed=math.floor(options.max_suppression * encoder.rows),
    )
    found = search(lattice, criteria)
    if found is None:
        raise _unreachable(lattice, criteria, sensitive)
    search_info = {
        "lattice_nodes": found.lattice_size,
        "evaluated": found.evaluated,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return _plan(descriptor, roles, sensitive, lattice, criteria, found.node, options, search_info)


def _check_quasi_identifiers(descriptor: DatasetDescriptor, options: DeidOptions) -> None:
    """Refuse a bad QI before reading any data."""
    qis = _open_data(descriptor).quasi_identifiers
    for name in qis:
        check_quasi_identifier(descriptor.field(name))
    stray = sorted(set(options.hierarchies) - set(qis))
    if stray:
        raise NotPublishable(
            f"hierarchies are given for {', '.join(stray)}, which are not quasi-identifiers"
        )


def _encode(
    descriptor: DatasetDescriptor,
    batches: Iterable[Columns],
    qis: Sequence[str],
    sensitive: Sequence[str],
) -> Encoder:
    encoder = Encoder(qis, sensitive)
    for batch in batches:
        missing = [name for name in (*qis, *sensitive) if name not in batch]
        if missing:
            raise NotPublishable(
                f"planning needs the columns {', '.join(missing)}; the batch has "
                f"{', '.join(batch) or 'none'}"
            )
        encoder.add(batch)
    if encoder.rows == 0:
        raise EmptyDataset(descriptor.id)
    return encoder


def _lattice(descriptor: DatasetDescriptor, encoder: Encoder, options: DeidOptions) -> Lattice:
    # Generalizations never read the key; the context requires one, so a throwaway.
    ctx = TreatmentContext.for_dataset(
        descriptor, pseudonym_key=secrets.token_bytes(32), today=date.today()
    )
    levels = []
    for code, name in encoder.names.items():
        if code.startswith("q"):
            distinct = encoder.distinct(code)
            spec = descriptor.field(name)
            hierarchy = hierarchy_for(spec, distinct, options.hierarchies.get(name))
            levels.append(Levels.build(hierarchy, distinct, ctx))
    sensitive = [code for code in encoder.names if code.startswith("s")]
    return Lattice(encoder.counts(), levels, sensitive)


def _unreachable(lattice: Lattice, criteria: Criteria, sensitive: Sequence[str]) -> Exception:
    """The error for a lattice whose top node fails: k first, then ℓ, with the best value."""
    top = lattice.classes(lattice.tops, diversity=bool(sensitive))
    best_k = _best_k(sorted(top["n"].to_pylist()), criteria.max_suppressed)
    if best_k < criteria.k:
        return KUnreachable(
            k=criteria.k, best_k=best_k, rows=lattice.rows, max_suppressed=criteria.max_suppressed
        )
    assert criteria.l_diversity is not None  # only k or ℓ can fail
    for j, name in enumerate(sensitive):
        best_l = min(top[f"l{j}"].to_pylist())
        if best_l < criteria.l_diversity:
            return LDiversityUnreachable(field=name, l_required=criteria.l_diversity, best_l=best_l)
    raise AssertionError("the top node failed for no reason")  # pragma: no cover


def _best_k(sizes: Sequence[int], budget: int) -> int:
    """The largest k whose too-small classes fit in the budget (``sizes`` ascending)."""
    suppressed = 0
    for size in sizes:
        if suppressed + size > budget:
            return size
        suppressed += size
    return sizes[-1] if sizes else 0


_DROPPED = frozenset({Role.direct_dropped, Role.free_text})
_TREATMENT: Mapping[Role, Treatment] = {
    Role.direct_dropped: Drop(),
    Role.free_text: Drop(),
    Role.direct_pseudonymized: Pseudonymize(),
    Role.sensitive: Keep(),
    Role.kept: Keep(),
}


def _plan(
    descriptor: DatasetDescriptor,
    roles: Mapping[str, Role],
    sensitive: Sequence[str],
    lattice: Lattice,
    criteria: Criteria,
    node: Node,
    options: DeidOptions,
    search_info: dict[str, Any],
) -> Plan:
    classes = lattice.classes(node, diversity=bool(sensitive), by_qi=True)
    bad = withheld(classes, criteria, len(sensitive))
    chosen = list(zip(lattice.qis, node, strict=True))
    report = _report(
        descriptor,
        roles,
        sensitive,
        lattice,
        criteria,
        node,
        options,
        search_info,
        kept=classes.filter(pc.invert(bad)),
    )
    return Plan(
        dataset=descriptor.id,
        quasi=tuple(q.hierarchy for q in lattice.qis),
        levels=node,
        withheld=_class_keys(classes.filter(bad), chosen),
        treatments={n: _TREATMENT[r] for n, r in roles.items() if r is not Role.quasi_identifier},
        output_fields=tuple(n for n, r in roles.items() if r not in _DROPPED),
        vocabulary={
            q.hierarchy.field: frozenset(v for v in q.labels[level] if v is not None)
            for q, level in chosen
        },
        report=report,
    )


def _class_keys(classes: pa.Table, chosen: Sequence[tuple[Levels, int]]) -> frozenset[tuple]:
    """The classes' QI labels, decoded from the per-QI label codes ``g0..``."""
    labels = [q.labels[level] for q, level in chosen]
    columns = [classes[f"g{i}"].to_pylist() for i in range(len(chosen))]
    return frozenset(
        tuple(labels[i][code] for i, code in enumerate(row)) for row in zip(*columns, strict=True)
    )


def _report(
    descriptor: DatasetDescriptor,
    roles: Mapping[str, Role],
    sensitive: Sequence[str],
    lattice: Lattice,
    criteria: Criteria,
    node: Node,
    options: DeidOptions,
    search_info: dict[str, Any],
    *,
    kept: pa.Table,
) -> DeidReport:
    risk = summarize(kept["n"].to_pylist())
    generalization = {
        q.hierarchy.field: {**q.hierarchy.describe(level), "distinct_labels": len(q.labels[level])}
        for q, level in zip(lattice.qis, node, strict=True)
    }
    return DeidReport(
        dataset=descriptor.id,
        k_requested=criteria.k,
        k_achieved=risk.smallest_class,
        l_requested=criteria.l_diversity,
        l_achieved={name: int(pc.min(kept[f"l{j}"]).as_py()) for j, name in enumerate(sensitive)},
        rows_in=lattice.rows,
        rows_out=risk.rows,
        rows_suppressed=lattice.rows - risk.rows,
        max_suppression=options.max_suppression,
        generalization=generalization,
        risk=risk,
        information_loss=float(loss(node, lattice.tops)),
        fields={name: role.value for name, role in roles.items()},
        search=search_info,
    )


def check_output(plan: Plan, published: Risk) -> None:
    """Refuse a written result whose recount misses the plan (the data changed meanwhile)."""
    report = plan.report
    if published.rows == 0 or published.smallest_class < report.k_requested:
        raise OutputCheckFailed(
            f"the de-identified rows of {plan.dataset!r} do not reach k={report.k_requested} "
            f"(smallest group: {published.smallest_class} rows); the data changed after "
            "planning. Publish again."
        )
    if published.rows != report.rows_out:
        raise OutputCheckFailed(
            f"{published.rows} rows were de-identified but the plan expected "
            f"{report.rows_out}; the data changed after planning. Publish again."
        )
