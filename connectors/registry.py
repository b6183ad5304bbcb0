"""Connectors by name: the built-ins and third-party ones from entry points.

Built-ins are listed as ``module:Class`` references and loaded the same way as the
entry points of the ``civichub.connectors`` group: lazily, on the first lookup, so that
importing ``connectors`` does no work. Built-ins load first and keep their names; a
third-party connector that fails to load, or claims a taken name, is recorded in
``load_problems()`` instead of breaking every other connector.
"""

from __future__ import annotations

import importlib
import inspect
import re
import threading
from collections.abc import Sequence
from importlib.metadata import entry_points

from connectors.base import Connector, ConnectorContext
from connectors.descriptor import FieldSpec, SourceSpec
from connectors.errors import ConnectorLoadError, UnknownConnector

ENTRY_POINT_GROUP = "civichub.connectors"
BUILTINS = (
    "connectors.csv_source:CsvConnector",
    "connectors.sql_source:SqlConnector",
    "connectors.http_source:HttpConnector",
)
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class ConnectorRegistry:
    """Name -> connector class. The module functions below use one shared instance."""

    def __init__(
        self, *, builtins: Sequence[str] = BUILTINS, group: str | None = ENTRY_POINT_GROUP
    ) -> None:
        self._builtins = tuple(builtins)
        self._group = group
        self._classes: dict[str, type[Connector]] = {}
        self._problems: dict[str, str] = {}
        self._loaded = False
        self._lock = threading.RLock()

    def register(self, cls: type[Connector]) -> type[Connector]:
        """Add ``cls`` under ``cls.name``; registering the same class again is a no-op."""
        _check_class(cls)
        with self._lock:
            taken = self._classes.get(cls.name)
            if taken is not None and taken is not cls:
                raise ValueError(
                    f"connector name {cls.name!r} is already taken by "
                    f"{taken.__module__}.{taken.__qualname__}"
                )
            self._classes[cls.name] = cls
        return cls

    def get(self, name: str) -> type[Connector]:
        self._ensure_loaded()
        found = self._classes.get(name)
        if found is not None:
            return found
        if name in self._problems:
            raise ConnectorLoadError(name, self._problems[name])
        raise UnknownConnector(name, list(self._classes))

    def names(self) -> list[str]:
        self._ensure_loaded()
        return sorted(self._classes)

    def load_problems(self) -> dict[str, str]:
        """Entry points that could not be used, by name, with the reason."""
        self._ensure_loaded()
        return dict(self._problems)

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for ref in self._builtins:
                # a broken built-in is a bug in this package: let it raise
                self.register(_load_reference(ref))
            if self._group:
                self._load_entry_points(self._group)
            self._loaded = True

    def _load_entry_points(self, group: str) -> None:
        for ep in entry_points(group=group):
            try:
                cls = ep.load()
                _check_class(cls)
                if cls.name != ep.name:
                    raise ValueError(f"entry point is named {ep.name!r} but the class {cls.name!r}")
                self.register(cls)
            except Exception as exc:  # a third party's bug must not break the others
                self._problems.setdefault(ep.name, f"{ep.value}: {exc}")


def _load_reference(ref: str) -> type[Connector]:
    module_name, _, attr = ref.partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module_name), attr)
    return cls


def _check_class(cls: object) -> None:
    if not (inspect.isclass(cls) and issubclass(cls, Connector)):
        raise TypeError(f"{cls!r} is not a subclass of connectors.base.Connector")
    if inspect.isabstract(cls):
        raise TypeError(f"{cls.__qualname__} does not implement every abstract method")
    for attr in ("name", "Options", "unit"):
        if not hasattr(cls, attr):
            raise TypeError(f"{cls.__qualname__} must set the class attribute {attr!r}")
    if not _NAME.match(str(cls.name)):
        raise TypeError(
            f"connector name {cls.name!r} must be lower-case letters, digits, '_' or '-'"
        )


_default = ConnectorRegistry()


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make ``cls`` available as ``source: {connector: <cls.name>}``."""
    return _default.register(cls)


def get(name: str) -> type[Connector]:
    return _default.get(name)


def names() -> list[str]:
    return _default.names()


def load_problems() -> dict[str, str]:
    return _default.load_problems()


def open_source(
    source: SourceSpec, *, context: ConnectorContext, fields: Sequence[FieldSpec]
) -> Connector:
    """The connector ``source`` names, with its options checked."""
    return get(source.connector).from_source(source, context=context, fields=fields)
