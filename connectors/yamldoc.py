"""Load a YAML or JSON document into a Pydantic model, with errors that name the line.

Configuration in Civic Data Hub is data (dataset descriptors, policies, recognizer sets).
A steward who gets a file wrong must be told *where*: this module keeps the line of every
node while parsing, so a validation error at ``rules[1].fields.phone`` can say
``policy.yaml:14``. JSON is a subset of YAML, so one parser serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from connectors.errors import DocumentError, DocumentProblem

M = TypeVar("M", bound=BaseModel)

#: Descriptor and policy files are small; a larger file is a mistake or an attack.
MAX_DOCUMENT_BYTES = 1_000_000


@dataclass(frozen=True)
class Located:
    """Parsed values plus the line of every path (empty for data that came as JSON)."""

    value: Any
    lines: dict[tuple[str | int, ...], int]


def plain(data: Any) -> Located:
    """Data that arrived already parsed (a JSON body): same checks, no line numbers."""
    return Located(data, {})


class _SafeLineLoader(yaml.SafeLoader):
    """SafeLoader that never builds arbitrary objects; we only read marks from nodes."""


def _walk(node: yaml.Node, path: tuple[str | int, ...], lines: dict) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
            # keep the key's own line for the path, it reads better in messages
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def parse(text: str | bytes, *, source: str) -> Located:
    """Parse YAML/JSON text into plain Python values plus a path -> line map."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise DocumentError(source, [DocumentProblem((), None, "file is larger than 1 MB")])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(
                source, [DocumentProblem((), None, f"not UTF-8 text ({exc.reason})")]
            ) from exc
    if len(text) > MAX_DOCUMENT_BYTES:
        raise DocumentError(source, [DocumentProblem((), None, "file is larger than 1 MB")])
    try:
        node = yaml.compose(text, Loader=_SafeLineLoader)
        value = yaml.load(text, Loader=_SafeLineLoader)
    except ValueError as exc:
        # YAML's own types can fail after parsing, e.g. an impossible date 2027-02-30
        raise DocumentError(source, [DocumentProblem((), None, f"bad value: {exc}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DocumentError(
            source, [DocumentProblem((), line, f"not valid YAML: {problem}")]
        ) from None
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _walk(node, (), lines)
    return Located(value, lines)


def line_of(lines: dict[tuple[str | int, ...], int], loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest existing ancestor of ``loc`` (missing keys point at the parent)."""
    for cut in range(len(loc), -1, -1):
        found = lines.get(tuple(loc[:cut]))
        if found is not None:
            return found
    return None


def validate(model: type[M], located: Located, *, source: str, context: dict | None = None) -> M:
    """Validate parsed values against ``model``; errors carry their line numbers."""
    if not isinstance(located.value, dict):
        raise DocumentError(
            source, [DocumentProblem((), 1, "expected a mapping (key: value) at the top level")]
        )
    try:
        return model.model_validate(located.value, context=context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
            problems.append(DocumentProblem(loc, line_of(located.lines, loc), _message(err)))
        raise DocumentError(source, problems) from None


def validate_data(model: type[M], data: Any, *, source: str, context: dict | None = None) -> M:
    """Validate already-parsed data (a JSON request body) with the same error shape."""
    return validate(model, plain(data), source=source, context=context)


def load_model(model: type[M], text: str | bytes, *, source: str, context: dict | None = None) -> M:
    """Parse and validate in one step."""
    return validate(model, parse(text, source=source), source=source, context=context)


def _is_union_tag(part: str | int) -> bool:
    # pydantic inserts the union member's name ("str", "function-after[...]") into locations
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "dict", "list"})


def _message(err: Any) -> str:
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling; see the documented keys)"
    if err["type"] == "missing":
        return "required key is missing"
    return msg
