"""Recognizer registry: a name in the YAML configuration -> a class that builds recognizers.

Built-ins register exactly as a third party would::

    @register("my_thing")
    class MyThing(ContextualRecognizer): ...

and then list ``- name: my_thing`` in the engine configuration. Modules holding the
built-ins are imported on first lookup, never at package import (they import Presidio).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from anonymizer.recognizers.context import Window

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

_BUILTIN_MODULES = (
    "anonymizer.recognizers.ids",
    "anonymizer.recognizers.phone",
    "anonymizer.recognizers.plate",
    "anonymizer.recognizers.bank",
    "anonymizer.recognizers.dates",
    "anonymizer.recognizers.person",
    "anonymizer.recognizers.location",
    "anonymizer.recognizers.presidio_builtin",
)


@dataclass(frozen=True)
class RecognizerOptions:
    """What the configuration passes to every recognizer it builds."""

    language: str
    window: Window = field(default_factory=Window)
    #: cue phrases added to the recognizer's own (from the YAML ``context`` key)
    extra_cues: tuple[str, ...] = field(default=())


class RecognizerFactory(Protocol):
    #: entity types the built recognizer reports (for validating ``entities=`` requests)
    ENTITIES: tuple[str, ...]

    @classmethod
    def from_options(cls, options: RecognizerOptions) -> EntityRecognizer: ...


F = TypeVar("F", bound=type)
_REGISTRY: dict[str, type] = {}
_loaded = False


def register(name: str) -> Callable[[F], F]:
    def decorator(cls: F) -> F:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"recognizer name {name!r} is already registered")
        _REGISTRY[name] = cls
        return cls

    return decorator


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        from anonymizer import offline

        offline.prepare()  # the built-ins import Presidio
        for module in _BUILTIN_MODULES:
            importlib.import_module(module)
        _loaded = True


def names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def get(name: str) -> RecognizerFactory:
    _load_builtins()
    try:
        return _REGISTRY[name]  # type: ignore[return-value]
    except KeyError:
        raise KeyError(
            f"unknown recognizer {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None
