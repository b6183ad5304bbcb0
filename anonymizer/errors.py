"""Errors of the anonymizer package.

No web types here: ``hub/errors.py`` maps these to problem responses in one place.
"""

from __future__ import annotations


class AnonymizerError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(AnonymizerError):
    """The engine configuration file is missing, malformed or names unknown things.

    ``problems`` holds one ``"file:line: path: message"`` string per problem so a steward
    sees every mistake at once, not one per restart.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class EngineUnavailable(AnonymizerError):
    """The analyzer could not be built (missing dependency, broken install)."""


class TextTooLong(AnonymizerError):
    """Input longer than the configured cap; analysis cost grows with length."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"text has {length} characters; the limit is {limit}")


class UnsupportedLanguage(AnonymizerError):
    """A language the engine was not configured for."""

    def __init__(self, language: str, supported: list[str]) -> None:
        self.language = language
        self.supported = supported
        super().__init__(f"language {language!r} is not supported (supported: {supported})")


class UnsupportedEntity(AnonymizerError):
    """An entity type no loaded recognizer reports."""

    def __init__(self, entities: list[str], supported: list[str]) -> None:
        self.entities = entities
        self.supported = supported
        super().__init__(f"unknown entity types {entities} (supported: {supported})")
