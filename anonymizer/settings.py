"""The engine configuration: a YAML file validated by Pydantic, errors with line numbers.

A bad file stops the engine from being built (fail closed): an unknown recognizer name,
an unknown key or a threshold out of range is a ``ConfigError`` naming file, line and key,
never a silently ignored setting.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from anonymizer.errors import ConfigError

Language = Literal["vi", "en"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContextWindow(_Strict):
    before: int = Field(60, ge=0, le=200)
    after: int = Field(25, ge=0, le=200)


class RecognizerSpec(_Strict):
    name: str
    enabled: bool = True
    languages: list[Language] | None = None
    context: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        from anonymizer.recognizers import registry

        if name not in registry.names():
            raise ValueError(f"unknown recognizer {name!r}; known: {', '.join(registry.names())}")
        return name


class EngineConfig(_Strict):
    languages: list[Language] = Field(min_length=1)
    nlp_engine: Literal["no_op"] = "no_op"
    score_threshold: float = Field(0.5, ge=0.0, le=1.0)
    max_text_length: int = Field(100_000, ge=1)
    context: ContextWindow = Field(default_factory=lambda: ContextWindow.model_validate({}))
    recognizers: list[RecognizerSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _recognizer_languages_are_configured(self) -> EngineConfig:
        for index, spec in enumerate(self.recognizers):
            extra = set(spec.languages or ()) - set(self.languages)
            if extra:
                raise ValueError(
                    f"recognizers.{index} ({spec.name}) uses languages {sorted(extra)} "
                    f"that are not in languages {self.languages}"
                )
        return self


def default_config_text() -> tuple[str, str]:
    source = resources.files("anonymizer.config").joinpath("default.yaml")
    return source.read_text(encoding="utf-8"), "anonymizer/config/default.yaml"


def load_config(path: Path | None = None) -> EngineConfig:
    """Read and validate a configuration file (the shipped default when ``path`` is None)."""
    if path is None:
        text, source = default_config_text()
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(source, [f"cannot read: {exc.strerror or exc}"]) from exc
    return parse_config(text, source=source)


def parse_config(text: str, *, source: str) -> EngineConfig:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigError(
            source, [f"{where}not valid YAML: {getattr(exc, 'problem', exc)}"]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(source, ["line 1: expected a mapping (key: value) at the top level"])
    lines: dict[tuple[Any, ...], int] = {}
    _walk(node, (), lines)
    try:
        return EngineConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line = _line_of(lines, loc)
            dotted = ".".join(str(p) for p in loc) or "(top level)"
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(f"line {line}: {dotted}: {message}")
        raise ConfigError(source, problems) from None


def _walk(node: yaml.Node | None, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    if node is None:
        return
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _walk(value, (*path, key.value), lines)
            lines[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def _line_of(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    for cut in range(len(loc), -1, -1):
        if tuple(loc[:cut]) in lines:
            return lines[tuple(loc[:cut])]
    return 1
