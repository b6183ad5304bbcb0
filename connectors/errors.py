"""Errors of the connectors package: descriptors, sources, row validation.

No web types here; ``hub/errors.py`` maps these to HTTP problems in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


class ConnectorsError(Exception):
    """Base of every error this package raises."""


@dataclass(frozen=True)
class DocumentProblem:
    """One problem in a YAML/JSON document: where (path and line) and what."""

    path: tuple[str | int, ...]
    line: int | None
    message: str

    def where(self) -> str:
        dotted = ""
        for part in self.path:
            dotted += f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else part)
        return dotted or "(document)"

    def __str__(self) -> str:
        line = f"line {self.line}: " if self.line else ""
        return f"{line}{self.where()}: {self.message}"


class DocumentError(ConnectorsError):
    """A descriptor/policy/config file failed to parse or validate."""

    def __init__(self, source: str, problems: list[DocumentProblem]):
        self.source = source
        self.problems = problems
        lines = "; ".join(str(p) for p in problems)
        super().__init__(f"{source}: {lines}")


class SecretDatasetRefused(ConnectorsError):
    """Classification `secret`: state secrets never enter the hub."""

    def __init__(self, dataset_id: str):
        self.dataset_id = dataset_id
        super().__init__(
            f"dataset {dataset_id!r} is classified 'secret': state secrets are never registered "
            "in the hub. Keep it in its agency's own secured system, or correct the "
            "classification if it is not a state secret."
        )


class SourceError(ConnectorsError):
    """The source cannot be read at all (missing file, bad header, unreachable API)."""


class UnknownConnector(ConnectorsError):
    def __init__(self, name: str, known: list[str]):
        self.name = name
        super().__init__(f"unknown connector {name!r}; use one of: {', '.join(sorted(known))}")


class ConnectorLoadError(ConnectorsError):
    """A third-party connector is declared (entry point) but could not be loaded."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(
            f"connector {name!r} is installed but could not be loaded ({reason}); "
            "fix or reinstall the package that provides it"
        )
