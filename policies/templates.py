"""``${...}`` templates in row filters: ``row_filter: {ward: "${attrs.ward}"}``.

A template reads the principal's token: ``${agency}``, ``${sub}``, ``${citizen_id}`` or
``${attrs.NAME}``. A value that is exactly one template takes the claim as is, so an
attribute holding a list (``attrs.wards: [a, b]``) allows any of its values. A template
inside a longer string is substituted as text.

A claim that is missing, empty or not a plain value raises ``MissingAttribute``: the
engine then denies. It never drops the filter, which would return every row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.errors import PoliciesError
from policies.principal import Principal

TEMPLATE = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"^(agency|sub|citizen_id|attrs\.[A-Za-z_][A-Za-z0-9_]*)$")
_SCALARS = (str, int, float, bool)


class MissingAttribute(PoliciesError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"the token has no usable {name}")


def check_templates(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Validator for policy files: only known claims, and every ``${`` closed."""
    for value in values:
        if not isinstance(value, str):
            continue
        for name in TEMPLATE.findall(value):
            if not _NAME.match(name.strip()):
                raise ValueError(
                    f"unknown template ${{{name}}}; use ${{agency}}, ${{sub}}, "
                    "${citizen_id} or ${attrs.NAME}"
                )
        if "${" in TEMPLATE.sub("", value):
            raise ValueError(f"unclosed template in {value!r}; write it as ${{name}}")
    return values


def resolve_filter(
    row_filter: Mapping[str, tuple[Any, ...]], principal: Principal
) -> dict[str, tuple[Any, ...]]:
    """Each field's allowed values with templates replaced by the principal's claims."""
    out: dict[str, tuple[Any, ...]] = {}
    for field, values in row_filter.items():
        resolved: list[Any] = []
        for value in values:
            resolved.extend(_resolve(value, principal))
        out[field] = tuple(dict.fromkeys(resolved))  # dedupe, keep order
    return out


def _resolve(value: Any, principal: Principal) -> tuple[Any, ...]:
    if not isinstance(value, str) or "${" not in value:
        return (value,)
    whole = TEMPLATE.fullmatch(value)
    if whole:
        claim = _claim(whole.group(1).strip(), principal)
        return tuple(claim) if isinstance(claim, list) else (claim,)

    def text(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        claim = _claim(name, principal)
        if isinstance(claim, list):
            raise MissingAttribute(name)  # a list cannot be spliced into text
        return str(claim)

    return (TEMPLATE.sub(text, value),)


def _claim(name: str, principal: Principal) -> Any:
    if name.startswith("attrs."):
        claim = principal.attrs.get(name.removeprefix("attrs."))
    else:
        claim = {
            "agency": principal.agency,
            "sub": principal.sub,
            "citizen_id": principal.citizen_id,
        }.get(name)
    if isinstance(claim, list | tuple):
        items = list(claim)
        if items and all(_usable(item) for item in items):
            return items
        raise MissingAttribute(name)
    if not _usable(claim):
        raise MissingAttribute(name)
    return claim


def _usable(claim: Any) -> bool:
    if isinstance(claim, str):
        return bool(claim.strip())
    return isinstance(claim, _SCALARS)
