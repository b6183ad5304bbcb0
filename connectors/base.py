"""What every connector is: the base class, the rows it yields, and shared helpers.

A connector reads one agency source (a CSV file, a SQL table, a JSON API) in batches of
``RawRow``. It does not judge values: per-row problems travel with the row (``RawRow.error``
or an odd value) and ``connectors.validate.RowValidator`` turns them into rejections.
Only structural problems, the ones a steward must fix before anything can be read, raise
``SourceError``. Third parties subclass ``Connector`` and register it exactly like the
built-ins do (see ``connectors.registry``).
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.descriptor import FieldSpec, SourceSpec
from connectors.errors import DocumentError, DocumentProblem, SourceError

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")

#: long header lists in messages are cut here; the steward needs a hint, not a dump
_MAX_LISTED = 25


@dataclass(frozen=True)
class ConnectorContext:
    """Where and how a connector may read: set by the hub, never by the descriptor."""

    base_dir: Path
    allowed_roots: tuple[Path, ...] | None = None
    allowed_private_hosts: frozenset[str] = frozenset()
    # a factory because os.environ is unhashable, which dataclasses treat as mutable
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def resolve_path(self, raw: str) -> Path:
        """An absolute, symlink-free path for ``raw``, inside ``allowed_roots`` if set."""
        path = (self.base_dir / Path(raw)).resolve()
        if self.allowed_roots is not None:
            roots = [root.resolve() for root in self.allowed_roots]
            if not any(path.is_relative_to(root) for root in roots):
                listed = ", ".join(str(r) for r in roots) or "none configured"
                raise SourceError(
                    f"{raw!r} resolves to {path}, outside the directories the hub may read "
                    f"({listed}); move the file into one of them"
                )
        return path

    def expand(self, value: str) -> str:
        """Replace ``${env:NAME}`` references so secrets stay out of descriptors."""

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.env:
                raise SourceError(
                    f"environment variable {name} is not set (the source options refer to "
                    f"${{env:{name}}}); set it in the hub's environment"
                )
            return self.env[name]

        return ENV_REF.sub(lookup, value)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One source row, keyed by field name, values as read; ``error`` marks a broken row."""

    number: int
    values: dict[str, Any]
    error: str | None = None


class ConnectorOptions(BaseModel):
    """Base of every connector's ``Options``: unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MappedOptions(ConnectorOptions):
    """Options of connectors whose source columns may be renamed to field names."""

    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _unique_targets(cls, value: dict[str, str]) -> dict[str, str]:
        targets = list(value.values())
        repeated = sorted({t for t in targets if targets.count(t) > 1})
        if repeated:
            raise ValueError(f"several columns map to the same field: {', '.join(repeated)}")
        return value


class Connector(ABC):
    """Reads one source in batches. Subclasses set ``name``, ``Options`` and ``unit``."""

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]]
    unit: ClassVar[str]

    def __init__(
        self,
        options: BaseModel | Mapping[str, Any],
        *,
        context: ConnectorContext,
        fields: Sequence[FieldSpec],
    ) -> None:
        if not isinstance(options, self.Options):
            options = parse_options(self, dict(options))
        self.options: Any = options
        self.context = context
        self.fields: tuple[FieldSpec, ...] = tuple(fields)

    @classmethod
    def from_source(
        cls, source: SourceSpec, *, context: ConnectorContext, fields: Sequence[FieldSpec]
    ) -> Self:
        """Build from a descriptor's ``source:``; bad options raise ``DocumentError``."""
        options = parse_options(cls, source.options)
        check_column_targets(options, fields, connector=cls.name)
        return cls(options, context=context, fields=fields)

    @abstractmethod
    def batches(self, batch_size: int = 5000) -> Iterator[list[RawRow]]:
        """Yield non-empty lists of at most ``batch_size`` rows, streaming the source."""

    @abstractmethod
    def describe(self) -> str:
        """One line naming the source for logs and progress bars (no secrets)."""

    @abstractmethod
    def progress(self) -> tuple[int, int | None]:
        """(done, total) in ``unit``; total is None when unknown."""


def parse_options(connector: type[Connector] | Connector, options: dict[str, Any]) -> Any:
    """Validate source options; problems point at ``source.<option>``."""
    try:
        return connector.Options.model_validate(options)
    except ValidationError as exc:
        known = ", ".join(connector.Options.model_fields)
        problems = [
            DocumentProblem(("source", *err["loc"]), None, _option_message(err, known))
            for err in exc.errors(include_url=False)
        ]
        raise DocumentError(f"{connector.name} source options", problems) from None


def _option_message(err: Any, known: str) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown option (this connector takes: {known})"
    if err["type"] == "missing":
        return "required option is missing"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def check_column_targets(options: Any, fields: Sequence[FieldSpec], *, connector: str) -> None:
    """``columns:`` may only rename to fields the descriptor declares."""
    columns: dict[str, str] = getattr(options, "columns", {}) or {}
    names = {f.name for f in fields}
    problems = [
        DocumentProblem(
            ("source", "columns", column),
            None,
            f"maps to {target!r}, which is not a field (fields: {', '.join(sorted(names))})",
        )
        for column, target in columns.items()
        if target not in names
    ]
    if problems:
        raise DocumentError(f"{connector} source options", problems)


def map_columns(
    header: Sequence[str],
    fields: Sequence[FieldSpec],
    columns: Mapping[str, str],
    *,
    what: str,
) -> list[tuple[int, str]]:
    """Pair each field with the position of the source column that feeds it.

    An explicit ``columns:`` entry wins over a column that happens to carry the field's
    name. A field fed by two columns of the same name is ambiguous, so it is an error.
    """
    names = [h.strip() if isinstance(h, str) else str(h) for h in header]
    absent = [c for c in columns if c not in names]
    if absent:
        raise SourceError(
            f"`columns:` names {short_list(absent)} but the {what} has no such column "
            f"(it has: {short_list(names)})"
        )
    pairs: list[tuple[int, str]] = []
    missing: list[str] = []
    for spec in fields:
        sources = [c for c, target in columns.items() if target == spec.name] or [spec.name]
        positions = [
            i for i, h in enumerate(names) if h in sources and columns.get(h, h) == spec.name
        ]
        if not positions:
            missing.append(spec.name)
        elif len(positions) > 1:
            raise SourceError(
                f"the {what} repeats column {names[positions[0]]!r} (positions "
                f"{', '.join(str(p + 1) for p in positions)}); rename the copies so only one "
                f"feeds field {spec.name!r}"
            )
        else:
            pairs.append((positions[0], spec.name))
    if missing:
        raise SourceError(_missing_message(what, missing, names))
    return pairs


def _missing_message(what: str, missing: list[str], names: list[str]) -> str:
    message = (
        f"{what} lacks fields: {', '.join(missing)} (it has: {short_list(names)}); "
        "map them with `columns:`"
    )
    folded = {n.casefold(): n for n in names}
    hints = [f"{folded[m.casefold()]}: {m}" for m in missing if m.casefold() in folded]
    if hints:
        message += f", e.g. columns: {{{', '.join(hints)}}}"
    return message


def short_list(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f", … ({len(items)} in all)" if len(items) > _MAX_LISTED else "")
