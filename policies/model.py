"""The policy file: rules that say who may read which fields of a dataset, and how treated.

A policy is YAML (``civichub policy apply FILE``) or JSON (``PUT /v1/datasets/{id}/policy``)
validated in two passes:

1. *shape* (Pydantic, through ``connectors.yamldoc`` so every error names its line):
   unknown keys, bad slugs, unknown roles, malformed treatments and templates;
2. *fit* against the dataset descriptor, when one is given: the policy is for this dataset,
   every field it names exists, and each treatment fits its field's type.

Both passes report together: a steward sees every problem of the file in one error.
Treatments are typed values (``policies.treatment_kinds``: frozen ``Treatment``
subclasses re-exported here), never raw dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    field_validator,
)

from connectors import yamldoc
from connectors.descriptor import FIELD_NAME, SLUG, DatasetDescriptor
from connectors.errors import DocumentError, DocumentProblem
from policies.principal import Role
from policies.templates import check_templates
from policies.treatment_kinds import (
    BuiltinTreatment,
    Drop,
    Generalize,
    Keep,
    Mask,
    Pseudonymize,
    Redact,
    RedactPii,
    Treatment,
    parse_treatment,
)

__all__ = [
    "BuiltinTreatment",
    "Drop",
    "Generalize",
    "Keep",
    "Mask",
    "Policy",
    "Pseudonymize",
    "Redact",
    "RedactPii",
    "Rule",
    "Treatment",
    "load_policy",
    "parse_treatment",
    "policy_from_dict",
]

#: ``agencies: ["*"]`` means any agency (but never a principal without one).
ANY_AGENCY = "*"

T = TypeVar("T")
D = TypeVar("D")

Scalar = str | int | float | bool

TreatmentField = Annotated[
    Treatment, PlainValidator(parse_treatment), PlainSerializer(lambda t: t.to_spec())
]


def _as_tuple(value: Any) -> Any:
    """``ward: x`` and ``ward: [x, y]`` are both allowed; store one shape."""
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError("give at least one value (an empty list would match no row)")
        return tuple(value)
    return (value,)


def _filter_spec(values: tuple[Scalar, ...]) -> Scalar | list[Scalar]:
    return values[0] if len(values) == 1 else list(values)


FilterValues = Annotated[
    tuple[Scalar, ...],
    BeforeValidator(_as_tuple),
    AfterValidator(check_templates),
    PlainSerializer(_filter_spec),
]


def _slug(value: str, what: str) -> str:
    if not SLUG.match(value):
        raise ValueError(
            f"{what} {value!r} must be a slug: lower-case letters, digits and '-', "
            "not starting or ending with '-'"
        )
    return value


class Rule(BaseModel):
    """One grant: these agencies and roles, for these purposes, see these fields so treated."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str
    description: str | None = Field(default=None, max_length=2000)
    # Non-empty is checked by a validator, not min_length: pydantic would add a second,
    # misleading "0 items" error whenever one item is invalid.
    agencies: tuple[str, ...]
    roles: tuple[Role, ...]
    purposes: tuple[str, ...]
    fields: dict[str, TreatmentField] = Field(min_length=1)
    row_filter: dict[str, FilterValues] = Field(default_factory=dict)
    max_rows: int | None = Field(default=None, ge=1)
    expires: date | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "rule id")

    @field_validator("agencies", "roles", "purposes")
    @classmethod
    def _not_empty(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        if not value:
            raise ValueError("list at least one (an empty list would match nobody)")
        return value

    @field_validator("agencies")
    @classmethod
    def _agencies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(a if a == ANY_AGENCY else _slug(a, "agency code") for a in value)

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_slug(p, "purpose") for p in value)

    @field_validator("fields", "row_filter")
    @classmethod
    def _field_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        bad = [name for name in value if not FIELD_NAME.match(name)]
        if bad:
            raise ValueError(f"not a field name: {', '.join(bad)}")
        return value

    @property
    def visible_fields(self) -> dict[str, Treatment]:
        """The fields this rule returns: every named field except ``drop`` ones."""
        return {name: t for name, t in self.fields.items() if not isinstance(t, Drop)}

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


class Policy(BaseModel):
    """A dataset's access policy: its rules, evaluated in file order (first match wins)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    dataset: str
    rules: tuple[Rule, ...] = ()

    @field_validator("dataset")
    @classmethod
    def _dataset(cls, value: str) -> str:
        return _slug(value, "dataset id")

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``policy_from_dict(p.to_dict()) == p``."""
        return {"dataset": self.dataset, "rules": [r.to_dict() for r in self.rules]}

    def ordered_like(self, field_names: Sequence[str]) -> Policy:
        """The same policy with each rule's fields in descriptor order (answers read better)."""
        rank = {name: i for i, name in enumerate(field_names)}
        rules = tuple(
            rule.model_copy(
                update={"fields": dict(sorted(rule.fields.items(), key=lambda kv: rank[kv[0]]))}
            )
            for rule in self.rules
        )
        return self.model_copy(update={"rules": rules})


# -- loading ----------------------------------------------------------------------------


def load_policy(
    text: str | bytes, *, source: str, descriptor: DatasetDescriptor | None = None
) -> Policy:
    """Parse a YAML/JSON policy; raises DocumentError listing every problem with its line."""
    return _build(yamldoc.parse(text, source=source), source, descriptor)


def policy_from_dict(
    data: Any, descriptor: DatasetDescriptor | None = None, *, source: str = "policy"
) -> Policy:
    """The same checks for a policy that arrived as JSON data (problems carry no lines)."""
    return _build(yamldoc.plain(data), source, descriptor)


def _build(located: Any, source: str, descriptor: DatasetDescriptor | None) -> Policy:
    try:
        policy = yamldoc.validate(Policy, located, source=source)
    except DocumentError as exc:
        # Check what can be checked of the malformed file too: one error lists everything.
        extra = check_fit(*_raw_views(located.value), descriptor, located.lines)
        raise DocumentError(source, _by_line([*exc.problems, *extra])) from None
    views = [_RuleView.of(i, rule) for i, rule in enumerate(policy.rules)]
    problems = check_fit(policy.dataset, views, descriptor, located.lines)
    if problems:
        raise DocumentError(source, problems)
    return policy.ordered_like(descriptor.field_names) if descriptor else policy


@dataclass(frozen=True)
class _RuleView:
    """What the fit checks read of a rule, from a valid Rule or from raw (malformed) data."""

    index: int
    id: str | None
    fields: dict[str, Treatment | None]  # None: the treatment itself is malformed
    filter_fields: tuple[str, ...]

    @property
    def name(self) -> str:
        return repr(self.id) if self.id else f"rules[{self.index}]"

    @classmethod
    def of(cls, index: int, rule: Rule) -> _RuleView:
        return cls(index, rule.id, dict(rule.fields), tuple(rule.row_filter))

    @classmethod
    def raw(cls, index: int, raw: Any) -> _RuleView | None:
        if not isinstance(raw, dict):
            return None
        fields = _typed(raw.get("fields"), dict, {})
        row_filter = _typed(raw.get("row_filter"), dict, {})
        rule_id = _typed(raw.get("id"), str, None)
        return cls(
            index,
            rule_id,
            {str(k): _try_parse(v) for k, v in fields.items()},
            tuple(str(k) for k in row_filter),
        )


def _typed(value: Any, kind: type[T], default: D) -> T | D:
    """``value`` if it has the expected type, else ``default`` (for malformed input)."""
    return value if isinstance(value, kind) else default


def _try_parse(value: Any) -> Treatment | None:
    try:
        return parse_treatment(value)
    except ValueError:
        return None  # reported by the shape pass


def _raw_views(value: Any) -> tuple[str | None, list[_RuleView]]:
    if not isinstance(value, dict):
        return None, []
    dataset = _typed(value.get("dataset"), str, None)
    views = [_RuleView.raw(i, raw) for i, raw in enumerate(_typed(value.get("rules"), list, []))]
    return dataset, [v for v in views if v is not None]


def check_fit(
    dataset: str | None,
    rules: Iterable[_RuleView],
    descriptor: DatasetDescriptor | None,
    lines: dict[tuple[str | int, ...], int],
) -> list[DocumentProblem]:
    """Problems beyond shape: duplicate rule ids, and fit against the descriptor if given."""
    problems: list[DocumentProblem] = []

    def add(path: tuple[str | int, ...], message: str) -> None:
        problems.append(DocumentProblem(path, yamldoc.line_of(lines, path), message))

    if descriptor is not None and dataset is not None and dataset != descriptor.id:
        add(("dataset",), f"this policy is for {dataset!r}, not for dataset {descriptor.id!r}")
    seen: dict[str, int] = {}
    for rule in rules:
        if rule.id is not None and rule.id in seen:
            add(
                ("rules", rule.index, "id"),
                f"rule id {rule.id!r} is already used by rules[{seen[rule.id]}]; "
                "rule ids must be unique within a policy",
            )
        if rule.id is not None:
            seen.setdefault(rule.id, rule.index)
        if descriptor is not None:
            for path, message in _rule_fit(rule, descriptor):
                add(path, message)
    return _by_line(problems)


def _rule_fit(
    rule: _RuleView, descriptor: DatasetDescriptor
) -> Iterable[tuple[tuple[str | int, ...], str]]:
    types = descriptor.field_types
    valid = ", ".join(descriptor.field_names)
    for section, names in (("fields", list(rule.fields)), ("row_filter", rule.filter_fields)):
        for name in names:
            if name not in types:
                yield (
                    ("rules", rule.index, section, name),
                    f"rule {rule.name} names field {name!r}, which dataset "
                    f"{descriptor.id!r} does not have; valid fields: {valid}",
                )
    for name, treatment in rule.fields.items():
        if treatment is not None and name in types and not treatment.fits(types[name]):
            fits = ", ".join(sorted(treatment.fits_types or ()))
            yield (
                ("rules", rule.index, "fields", name),
                f"rule {rule.name}: {treatment.label()} does not fit field {name!r} of "
                f"type {types[name]}; it fits fields of type: {fits}",
            )


def _by_line(problems: list[DocumentProblem]) -> list[DocumentProblem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))
