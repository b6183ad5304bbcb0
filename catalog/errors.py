"""Errors of the catalog package: why a dataset cannot be published as open data.

No web types here; ``hub/errors.py`` maps these to HTTP problems in one place. Every
message says what is wrong and what the steward can change, because the person reading
it is editing a descriptor, not debugging the hub.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

_SHOWN = 10  # findings named in a message; the error object carries all of them


class CatalogError(Exception):
    """Base of every error this package raises."""


class NotPublishable(CatalogError):
    """The descriptor or the options do not describe a publishable open dataset."""


class QuasiIdentifierError(NotPublishable):
    """A quasi-identifier that cannot be generalized (free text, a direct identifier, ...)."""

    def __init__(self, field: str, why: str):
        self.field = field
        super().__init__(f"quasi-identifier {field!r} {why}")


class EmptyDataset(CatalogError):
    def __init__(self, dataset: str):
        self.dataset = dataset
        super().__init__(
            f"dataset {dataset!r} has no rows to publish; ingest data before publishing"
        )


class KUnreachable(CatalogError):
    """No generalization within the suppression budget makes every class at least k rows."""

    def __init__(self, *, k: int, best_k: int, rows: int, max_suppressed: int):
        self.k, self.best_k, self.rows = k, best_k, rows
        super().__init__(
            f"k={k} cannot be reached: with every quasi-identifier fully generalized and "
            f"up to {max_suppressed} of {rows} rows suppressed, the smallest group has "
            f"{best_k} rows. Lower open_data.k to {best_k} or less, raise the suppression "
            "budget, or publish a larger dataset."
        )


class LDiversityUnreachable(CatalogError):
    """Some sensitive field has fewer distinct values than ``l_diversity`` asks for."""

    def __init__(self, *, field: str, l_required: int, best_l: int):
        self.field, self.l_required, self.best_l = field, l_required, best_l
        super().__init__(
            f"l_diversity={l_required} cannot be reached: sensitive field {field!r} has at "
            f"most {best_l} distinct values in any group of rows. Lower open_data.l_diversity "
            f"to {best_l} or less, or remove {field!r} from open_data.sensitive."
        )


class OutputCheckFailed(CatalogError):
    """The transformed rows do not meet the plan (the data changed after planning)."""


@dataclass(frozen=True)
class Residual:
    """One cell of the de-identified result in which the PII analyzer found something."""

    row: int
    field: str
    entity_type: str


class ResidualPii(CatalogError):
    """The de-identified result still contains personal data: publication refused."""

    def __init__(self, findings: Sequence[Residual]):
        self.findings = list(findings)
        shown = ", ".join(f"row {f.row} {f.field}: {f.entity_type}" for f in findings[:_SHOWN])
        more = f" and {len(findings) - _SHOWN} more" if len(findings) > _SHOWN else ""
        fields = ", ".join(sorted({f.field for f in findings}))
        super().__init__(
            f"publication refused: the PII analyzer still finds personal data in the "
            f"de-identified result ({shown}{more}). Declare the pii type of the fields "
            f"involved ({fields}) so they are dropped or pseudonymized, or clean the source."
        )

    @property
    def triples(self) -> list[tuple[int, str, str]]:
        return [(f.row, f.field, f.entity_type) for f in self.findings]


class PackageError(CatalogError):
    """The local catalog package could not be written."""
