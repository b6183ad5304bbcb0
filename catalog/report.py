"""What de-identification did to a dataset, for stewards, catalogs and auditors.

The report goes into the published package (``civichub`` property of datapackage.json,
CKAN extras) and the hub's publication record, so it never holds a data value: only
field names, level names, counts and rates. (Generalized labels stay out too; the
suppressed classes live in the ``Plan``, which is never published.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from catalog.risk import Risk


class Role(StrEnum):
    """What happens to a field in the open version."""

    quasi_identifier = "generalized"  # climbs its hierarchy until k is reached
    direct_dropped = "dropped: direct identifier"
    direct_pseudonymized = "pseudonymized: direct identifier"
    free_text = "dropped: free text"
    sensitive = "kept: sensitive attribute"
    kept = "kept"


@dataclass(frozen=True)
class DeidReport:
    dataset: str
    k_requested: int
    k_achieved: int
    l_requested: int | None
    #: distinct ℓ per sensitive field: the fewest distinct values in any published class
    l_achieved: dict[str, int]
    rows_in: int
    rows_out: int
    rows_suppressed: int
    max_suppression: float  # the budget, as a share of rows_in
    #: per quasi-identifier: hierarchy, level chosen, its name, the top level
    generalization: dict[str, dict[str, Any]]
    risk: Risk
    #: mean normalized generalization level: 0 = published as is, 1 = every QI withheld
    information_loss: float
    fields: dict[str, str]
    search: dict[str, Any] = field(default_factory=dict)

    @property
    def suppressed_share(self) -> float:
        return self.rows_suppressed / self.rows_in if self.rows_in else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, stable keys (catalogs and the publication record store it)."""
        return {
            "dataset": self.dataset,
            "k": {"requested": self.k_requested, "achieved": self.k_achieved},
            "l_diversity": {"requested": self.l_requested, "achieved": dict(self.l_achieved)},
            "rows": {
                "in": self.rows_in,
                "out": self.rows_out,
                "suppressed": self.rows_suppressed,
            },
            "max_suppression": self.max_suppression,
            "suppressed_share": round(self.suppressed_share, 6),
            "generalization": {name: dict(g) for name, g in self.generalization.items()},
            "risk": self.risk.to_dict(),
            "information_loss": round(self.information_loss, 6),
            "fields": dict(self.fields),
            "search": dict(self.search),
        }
